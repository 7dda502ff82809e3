//! The records of an alert's delivery: one step per channel of its chain
//! (`pk` = `DELIVERY#<tenant>#<alert id>`, `sk` = `STEP#<nn>`), and, for each step that failed
//! for good, a line in the tenant's failed list (`pk` = `TENANT#<tenant>`,
//! `sk` = `FAILED#<at>#<alert id>#<nn>`). Both expire after [`RETENTION_DAYS`].

use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::channel::ChannelId;

/// Days delivery steps and failed-list lines are kept.
pub const RETENTION_DAYS: i64 = 30;

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// Not sent yet (or to be tried again).
    Pending,
    /// Claimed by a consumer until `leaseUntil`.
    Sending,
    Sent,
    Failed,
}

/// One step of an alert's delivery: its channel and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub pk: String,
    pub sk: String,
    pub tenant: String,
    pub alert_id: String,
    pub step: u32,
    pub channel_id: ChannelId,
    pub status: StepStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub updated_at: Timestamp,
    /// TTL (epoch seconds).
    pub expires_at: i64,
}

impl StepRecord {
    pub fn pk(tenant: &str, alert_id: &str) -> String {
        format!("DELIVERY#{tenant}#{alert_id}")
    }

    pub fn sk(step: u32) -> String {
        format!("STEP#{step:02}")
    }

    pub fn new(
        tenant: &str,
        alert_id: &str,
        step: u32,
        channel: ChannelId,
        now: Timestamp,
    ) -> Self {
        Self {
            pk: Self::pk(tenant, alert_id),
            sk: Self::sk(step),
            tenant: tenant.to_owned(),
            alert_id: alert_id.to_owned(),
            step,
            channel_id: channel,
            status: StepStatus::Pending,
            attempts: 0,
            lease_until: None,
            error: None,
            updated_at: now,
            expires_at: now.unix_seconds() + RETENTION_DAYS * 86_400,
        }
    }
}

/// A line of the tenant's failed list: which alert failed on which channel, why, and where it
/// went instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureRecord {
    pub pk: String,
    pub sk: String,
    pub tenant: String,
    pub alert_id: String,
    pub title: String,
    pub step: u32,
    pub channel_id: ChannelId,
    /// The channel's name and kind when it failed (`deleted` when it was gone).
    pub channel: String,
    pub error: String,
    /// The chain's next channel, which took the alert; `None`: the chain was used up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fell_back_to: Option<ChannelId>,
    pub at: Timestamp,
    pub expires_at: i64,
}

impl FailureRecord {
    pub fn sk(at: Timestamp, alert_id: &str, step: u32) -> String {
        format!("FAILED#{}#{alert_id}#{step:02}", at.to_rfc3339())
    }

    pub fn view(&self) -> FailureView {
        FailureView {
            alert_id: self.alert_id.clone(),
            title: self.title.clone(),
            channel_id: self.channel_id.to_string(),
            channel: self.channel.clone(),
            error: self.error.clone(),
            fell_back_to: self.fell_back_to.as_ref().map(ToString::to_string),
            at: self.at,
        }
    }
}

/// A failed delivery as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureView {
    pub alert_id: String,
    pub title: String,
    pub channel_id: String,
    pub channel: String,
    pub error: String,
    /// The channel that took the alert instead; `null`: no channel was left.
    pub fell_back_to: Option<String>,
    pub at: Timestamp,
}
