//! What is stored: contacts, user settings, sends, deliveries and their statuses (the
//! storage records; what the routes answer is in `replies`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use lookout_core::time::{Timestamp, Zone};

use crate::address::Addresses;
use crate::error::BroadcastError;
use crate::ids::DeliveryId;
use crate::outbound::kind::MessengerKind;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ContactRecord {
    pub(crate) pk: String,
    pub(crate) sk: String,
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) telegram: Option<String>,
    #[serde(default, rename = "whatsApp", skip_serializing_if = "Option::is_none")]
    pub(crate) whatsapp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) viber: Option<String>,
    #[serde(rename = "updatedAt")]
    pub(crate) updated_at: Timestamp,
}

/// A user's settings, stored beside the user's contacts under a sort key no contact name can
/// take (contact names have no control characters).
pub(crate) const USER_SETTINGS_SK: &str = "\u{1}settings";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UserSettingsRecord {
    pub(crate) pk: String,
    pub(crate) sk: String,
    #[serde(rename = "timeZone")]
    pub(crate) time_zone: String,
    #[serde(rename = "updatedAt")]
    pub(crate) updated_at: Timestamp,
}

/// A user's settings: the default zone for wall-clock send times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSettings {
    pub time_zone: Option<Zone>,
}

impl UserSettings {
    pub(crate) fn from_item(item: HashMap<String, AttributeValue>) -> Result<Self, BroadcastError> {
        let rec: UserSettingsRecord = serde_dynamo::from_item(item)?;
        // A zone the tz database no longer knows falls back to UTC rather than failing sends.
        Ok(Self {
            time_zone: Zone::parse(&rec.time_zone).ok(),
        })
    }
}

pub(crate) fn is_settings(item: &HashMap<String, AttributeValue>) -> bool {
    matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == USER_SETTINGS_SK)
}

impl ContactRecord {
    pub(crate) fn addresses(&self) -> Addresses {
        Addresses {
            telegram: self.telegram.clone(),
            whatsapp: self.whatsapp.clone(),
            viber: self.viber.clone(),
        }
    }
}

/// A send as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendRecord {
    pub(crate) pk: String,
    pub(crate) sk: String,
    pub tenant: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub message: String,
    #[serde(rename = "scheduledAt")]
    pub scheduled_at: Timestamp,
    #[serde(rename = "createdAt")]
    pub created_at: Timestamp,
    pub scheduled: bool,
    pub deliveries: usize,
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
    /// Fingerprint of the request, for sends made under an `Idempotency-Key`.
    #[serde(
        rename = "requestHash",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_hash: Option<String>,
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Sending,
    Sent,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub(crate) pk: String,
    pub(crate) sk: String,
    #[serde(rename = "deliveryId")]
    pub delivery_id: String,
    pub tenant: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub contact: String,
    pub messenger: MessengerKind,
    pub address: String,
    #[serde(rename = "scheduledAt")]
    pub scheduled_at: Timestamp,
    pub status: Status,
    pub attempts: u32,
    #[serde(rename = "createdAt")]
    pub created_at: Timestamp,
    #[serde(rename = "updatedAt")]
    pub updated_at: Timestamp,
    #[serde(
        rename = "leaseUntil",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub lease_until: Option<Timestamp>,
    #[serde(rename = "lastError", default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(rename = "sentAt", default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    #[serde(
        rename = "providerId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub provider_id: Option<String>,
    #[serde(rename = "failedAt", default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<Timestamp>,
    /// Set with `failed` when an attempt was cut off (its outcome is unknown).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The text, copied from the send when the delivery fails (for the failed list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(rename = "failedPk", default, skip_serializing_if = "Option::is_none")]
    pub(crate) failed_pk: Option<String>,
    #[serde(rename = "failedSk", default, skip_serializing_if = "Option::is_none")]
    pub(crate) failed_sk: Option<String>,
    /// The cross-tenant `failed-all` index (the console overview): `FAILED` while failed.
    #[serde(rename = "failedAll", default, skip_serializing_if = "Option::is_none")]
    pub(crate) failed_all: Option<String>,
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
}

impl DeliveryRecord {
    pub fn id(&self) -> Result<DeliveryId, BroadcastError> {
        DeliveryId::parse(&self.delivery_id).map_err(BroadcastError::fault)
    }

    pub fn lease_expired(&self, now: Timestamp) -> bool {
        self.lease_until.is_none_or(|l| l <= now)
    }
}
