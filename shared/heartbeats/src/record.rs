//! The app record and its pure state transitions (up, late, down, paused, retired; the mail
//! outbox), and the keys it is stored under.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailKind {
    Down,
    Up,
}

/// A transition mail stored with the transition, until it is confirmed sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Outbox {
    pub(crate) kind: MailKind,
    /// Unique per transition: the item version that made it.
    pub(crate) seq: u64,
    pub(crate) subject: String,
    pub(crate) body: String,
    pub(crate) attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppRecord {
    pub(crate) pk: String,
    pub(crate) tenant: String,
    pub(crate) app_id: String,
    pub(crate) state: AppState,
    pub(crate) version: u64,
    pub(crate) period_seconds: u32,
    pub(crate) grace_seconds: u32,
    /// (period + grace) in ms, for the heartbeat's update expression.
    pub(crate) window_ms: i64,
    /// Epoch ms after which an `up` app is silent.
    pub(crate) deadline: i64,
    pub(crate) created_at: Timestamp,
    pub(crate) state_changed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_beat_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_message: Option<String>,
    #[serde(default)]
    pub(crate) beats: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) down_since: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) due_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) due_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) outbox: Option<Outbox>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lease_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
}

pub(crate) fn app_pk(tenant: &str, app_id: &str) -> String {
    format!("APP#{tenant}#{app_id}")
}

pub(crate) fn shard_of(pk: &str) -> String {
    let digest = Sha256::digest(pk.as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % DUE_SHARDS;
    format!("DUE#{n}")
}

impl AppRecord {
    pub(crate) fn new(
        tenant: &Tenant,
        app_id: &AppId,
        now: Timestamp,
        period: u32,
        grace: u32,
    ) -> Self {
        let pk = app_pk(tenant.as_str(), app_id.as_str());
        let window_ms = window_ms(period, grace);
        let mut rec = Self {
            pk,
            tenant: tenant.as_str().to_owned(),
            app_id: app_id.as_str().to_owned(),
            state: AppState::Up,
            version: 1,
            period_seconds: period,
            grace_seconds: grace,
            window_ms,
            deadline: millis(now) + window_ms,
            created_at: now,
            state_changed_at: now,
            last_beat_at: None,
            last_message: None,
            beats: 0,
            down_since: None,
            due_shard: None,
            due_at: None,
            outbox: None,
            lease_until: None,
            expires_at: None,
        };
        rec.refresh_due();
        rec
    }

    pub(crate) fn app_id(&self) -> AppId {
        AppId(self.app_id.clone())
    }

    /// Sets `dueAt`/`dueShard` from the state: an `up` app is due at its deadline, an unsent
    /// mail at the end of its lease; anything else is not in the `due` index.
    pub(crate) fn refresh_due(&mut self) {
        let deadline = (self.state == AppState::Up).then_some(self.deadline);
        let retry = self.outbox.as_ref().and(self.lease_until);
        self.due_at = match (deadline, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.due_shard = self.due_at.map(|_| shard_of(&self.pk));
    }

    pub(crate) fn record_beat(&mut self, beat: &HeartbeatIn, now: Timestamp) {
        self.last_beat_at = Some(now);
        self.last_message = beat.message.as_ref().map(|m| m.0.clone());
        self.beats += 1;
        if self.state == AppState::Up {
            self.deadline = millis(now) + self.window_ms;
        }
    }

    /// Start of the current watch: the last beat, or when the app became `up`.
    pub(crate) fn watch_start(&self) -> i64 {
        let beat = self.last_beat_at.unwrap_or(self.state_changed_at);
        millis(self.state_changed_at.max(beat))
    }

    /// Stores a transition mail (owned by this writer for [`MAIL_LEASE_MS`]).
    pub(crate) fn put_outbox(
        &mut self,
        kind: MailKind,
        subject: String,
        body: String,
        now: Timestamp,
    ) {
        self.outbox = Some(Outbox {
            kind,
            seq: self.version,
            subject,
            body,
            attempts: 1,
        });
        self.lease_until = Some(millis(now) + MAIL_LEASE_MS);
    }

    pub(crate) fn pending(&self) -> Option<PendingMail> {
        self.outbox.as_ref().map(|o| PendingMail {
            kind: o.kind,
            seq: o.seq,
            subject: o.subject.clone(),
            body: o.body.clone(),
            written: self.clone(),
        })
    }

    pub(crate) fn heartbeat_reply(&self, now: Timestamp) -> HeartbeatReply {
        HeartbeatReply {
            status: "ok".into(),
            app_id: self.app_id().to_json(),
            state: self.state,
            received_at: now,
            due_by: (self.state == AppState::Up).then(|| from_millis(self.deadline)),
        }
    }

    pub(crate) fn view(&self) -> AppView {
        AppView {
            tenant: self.tenant.clone(),
            app_id: self.app_id().to_json(),
            state: self.state,
            period_seconds: self.period_seconds,
            grace_seconds: self.grace_seconds,
            last_heartbeat: self.last_beat_at,
            last_message: self.last_message.clone(),
            heartbeats: self.beats,
            due_by: (self.state == AppState::Up).then(|| from_millis(self.deadline)),
            down_since: self.down_since,
            state_changed_at: self.state_changed_at,
            created_at: self.created_at,
            mail_pending: self.outbox.is_some(),
        }
    }

    pub(crate) fn down_mail(&self, now: Timestamp) -> (String, String) {
        let subject = format!(
            "[Lookout] DOWN: app {} ({}) is silent",
            self.app_id, self.tenant
        );
        let body = format!(
            "App {app} of tenant {tenant} stopped sending heartbeats.\n\n\
             Last heartbeat: {last}\n\
             Last message:   {msg}\n\
             Expected every {period} s with {grace} s of grace: overdue since {deadline}.\n\
             Detected at:    {now}\n\n\
             One more mail follows when it is back. Pause or retire the app with\n\
             POST /admin/heartbeat_apps {{\"tenant\":\"{tenant}\",\"app_id\":...,\"action\":\"pause\"}}.\n",
            app = self.app_id,
            tenant = self.tenant,
            last = self.last_beat_at.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339()),
            msg = self.last_message.as_deref().unwrap_or("-"),
            period = self.period_seconds,
            grace = self.grace_seconds,
            deadline = from_millis(self.deadline),
        );
        (subject, body)
    }

    pub(crate) fn up_mail(
        &self,
        down_since: Option<Timestamp>,
        now: Timestamp,
    ) -> (String, String) {
        let subject = format!(
            "[Lookout] UP: app {} ({}) is back",
            self.app_id, self.tenant
        );
        let outage = down_since
            .map(|since| {
                let minutes = (millis(now) - millis(since)).max(0) / 60_000;
                format!("{since} (about {minutes} min)")
            })
            .unwrap_or_else(|| "-".into());
        let body = format!(
            "App {app} of tenant {tenant} is sending heartbeats again.\n\n\
             Back at:        {now}\n\
             Message:        {msg}\n\
             Down since:     {outage}\n",
            app = self.app_id,
            tenant = self.tenant,
            msg = self.last_message.as_deref().unwrap_or("-"),
        );
        (subject, body)
    }
}

pub(crate) fn window_ms(period: u32, grace: u32) -> i64 {
    (i64::from(period) + i64::from(grace)) * 1000
}

/// A transition mail to send; [`HeartbeatStore::deliver`] sends it and clears the outbox.
#[derive(Debug, Clone)]
pub struct PendingMail {
    pub kind: MailKind,
    pub seq: u64,
    pub subject: String,
    pub body: String,
    /// The item as written with this mail in its outbox.
    pub(crate) written: AppRecord,
}

/// What a heartbeat did.
#[derive(Debug, Clone)]
pub struct Beaten {
    pub reply: HeartbeatReply,
    /// The recovery mail when this beat ended an outage (down → up).
    pub mail: Option<PendingMail>,
}

/// Outcome of the heartbeat's one-write path.
pub(crate) enum FastBeat {
    Done(Box<AppRecord>),
    /// The app is not `up` or has an unsent mail: the item as it is (`None`: unknown app).
    NotApplicable(Option<Box<AppRecord>>),
}

/// Outcome of a conditional put.
pub(crate) enum Put {
    Written,
    /// The condition failed; the item as it is now (`None`: it does not exist).
    Conflict(Option<Box<AppRecord>>),
}
