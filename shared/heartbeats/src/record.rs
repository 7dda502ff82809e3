//! The app record and its pure state transitions (up, late, down, paused, retired; the mail
//! outbox), and the keys it is stored under.

use std::collections::BTreeMap;

use lookout_core::{auth::Tenant, time::Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::input::{AppId, AppState, HeartbeatIn};
use crate::limits::{index_shards, MAIL_LEASE_MS, MAX_PING_OUTPUTS, MAX_RUNS, PINGS_PER_MINUTE};
use crate::output::{AppView, HeartbeatReply};
use crate::runs::{OpenRun, Run, Tolerance};
use crate::time::{from_millis, millis};
use lookout_core::cron::CronSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MailKind {
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

/// One app's item as stored (what the [`Apps`](crate::Apps) port reads and writes; opaque
/// outside the crate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRecord {
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
    /// The `watch` index (the overview of apps needing attention): an `up` app from the time
    /// it is late (its expected time, before the grace), a `down` app from when it went down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) watch_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) watch_at: Option<i64>,
    /// period in ms, for the heartbeat's update expression (`watchAt = now + lateMs`).
    #[serde(default)]
    pub(crate) late_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) due_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) outbox: Option<Outbox>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lease_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
    /// A cron schedule instead of the period (the grace still applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cron: Option<CronSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_runtime_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_runtime_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_interval_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fail_tolerance: Option<Tolerance>,
    /// Started runs not finished yet (oldest first). This and the other history fields are
    /// stored packed (see [`crate::packed`]): a ping rewrites the whole item.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "crate::packed")]
    pub(crate) open_runs: Vec<OpenRun>,
    /// The last [`MAX_RUNS`] finished runs (oldest first).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "crate::packed")]
    pub(crate) runs: Vec<Run>,
    /// No transition to `down` before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) snoozed_until: Option<Timestamp>,
    /// Seconds down per UTC day (`YYYY-MM-DD`) of finished outages, the last
    /// [`DOWNTIME_DAYS`] days: the uptime bars. The current outage is `down_since` until now.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "crate::packed"
    )]
    pub(crate) downtime: BTreeMap<String, u32>,
    /// Why the app is `down` (silent, a failed or overlong run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) down_reason: Option<String>,
    /// When the last transition was announced (epoch ms), and which; flapping within
    /// [`ALERT_COOLDOWN_MS`] of it is held (see [`AppRecord::announce`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_alert_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) announced: Option<MailKind>,
    /// Transitions held since the last announcement, and until when they are held.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) held: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hold_until: Option<i64>,
    /// The check's UUID in its Healthchecks ping URL (`/ping/<uuid>`; the `ping` index finds
    /// the app by it). Given at creation, or at the next admin change of an older app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ping_id: Option<String>,
    /// The minute (epoch minutes) whose ping-URL pings `pings_in_minute` counts (the throttle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ping_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) pings_in_minute: u32,
    /// The last pings that carried a body (their outputs are items of their own), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "crate::packed")]
    pub(crate) outputs: Vec<OutputRef>,
}

/// A ping's body kept as output: where it is stored and what it belonged to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRef {
    /// The output item's id (`GET /admin/heartbeat_apps/output?…&output=<id>`).
    pub id: String,
    pub at: Timestamp,
    /// `success`, `start`, `fail`, `log` or `exit`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Bytes kept (at most [`PING_BODY_LIMIT`](crate::limits::PING_BODY_LIMIT)).
    pub bytes: usize,
    /// The body was longer and was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// A fresh check UUID for a ping URL.
pub(crate) fn new_ping_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

pub(crate) fn app_pk(tenant: &str, app_id: &str) -> String {
    format!("APP#{tenant}#{app_id}")
}

/// The `due` and `watch` shard of the item `pk` under this process's shard count.
pub(crate) fn shard_of(pk: &str) -> String {
    shard_among(pk, index_shards())
}

/// The shard of `pk` among `shards`: the first four bytes of its SHA-256, modulo the count.
pub(crate) fn shard_among(pk: &str, shards: u32) -> String {
    let digest = Sha256::digest(pk.as_bytes());
    shard_name(u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % shards.max(1))
}

/// The partition key of shard `n` of the `due` and `watch` indexes.
pub(crate) fn shard_name(n: u32) -> String {
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
            deadline: 0,
            created_at: now,
            state_changed_at: now,
            last_beat_at: None,
            last_message: None,
            beats: 0,
            down_since: None,
            due_shard: None,
            due_at: None,
            watch_shard: None,
            watch_at: None,
            late_ms: i64::from(period) * 1000,
            outbox: None,
            lease_until: None,
            expires_at: None,
            cron: None,
            max_runtime_seconds: None,
            min_runtime_seconds: None,
            min_interval_seconds: None,
            fail_tolerance: None,
            open_runs: Vec::new(),
            runs: Vec::new(),
            snoozed_until: None,
            down_reason: None,
            downtime: BTreeMap::new(),
            last_alert_at: None,
            announced: None,
            held: 0,
            hold_until: None,
            ping_id: Some(new_ping_id()),
            ping_minute: None,
            pings_in_minute: 0,
            outputs: Vec::new(),
        };
        rec.deadline = rec.next_deadline(now);
        rec.refresh_due();
        rec
    }

    pub(crate) fn app_id(&self) -> AppId {
        AppId(self.app_id.clone())
    }

    /// The deadline of a watch that starts at `from`: the period and grace later, or, with a
    /// schedule, the grace after the first scheduled time that follows `from`.
    pub(crate) fn next_deadline(&self, from: Timestamp) -> i64 {
        let grace_ms = i64::from(self.grace_seconds) * 1000;
        self.cron
            .as_ref()
            .and_then(|c| c.next_after(from))
            .map_or(millis(from) + self.window_ms, |t| millis(t) + grace_ms)
    }

    /// When the oldest open run exceeds `max_runtime_seconds`, if that is set.
    pub(crate) fn run_timeout(&self) -> Option<(i64, &OpenRun)> {
        let max_ms = i64::from(self.max_runtime_seconds?) * 1000;
        self.open_runs
            .iter()
            .map(|r| (millis(r.started_at) + max_ms, r))
            .min_by_key(|(t, _)| *t)
    }

    pub(crate) fn tolerance(&self) -> Tolerance {
        self.fail_tolerance.unwrap_or(Tolerance {
            failures: 1,
            runs: 1,
        })
    }

    /// Whether a ping at `now` is over [`PINGS_PER_MINUTE`] (the ping is then not recorded).
    pub(crate) fn ping_throttled(&self, now: Timestamp) -> bool {
        self.ping_minute == Some(millis(now).div_euclid(60_000))
            && self.pings_in_minute >= PINGS_PER_MINUTE
    }

    /// Counts a ping at `now` in its minute, and keeps its output's reference if it had one.
    pub(crate) fn count_ping(&mut self, now: Timestamp, output: Option<OutputRef>) {
        let minute = millis(now).div_euclid(60_000);
        if self.ping_minute == Some(minute) {
            self.pings_in_minute += 1;
        } else {
            self.ping_minute = Some(minute);
            self.pings_in_minute = 1;
        }
        if let Some(o) = output {
            self.outputs.push(o);
            if self.outputs.len() > MAX_PING_OUTPUTS {
                let extra = self.outputs.len() - MAX_PING_OUTPUTS;
                self.outputs.drain(..extra);
            }
        }
    }

    pub(crate) fn push_run(&mut self, run: Run) {
        self.runs.push(run);
        if self.runs.len() > MAX_RUNS {
            let extra = self.runs.len() - MAX_RUNS;
            self.runs.drain(..extra);
        }
    }

    /// Books the outage that ends at `now` (from `down_since`) into the daily downtime.
    pub(crate) fn end_outage(&mut self, now: Timestamp) {
        if self.state != AppState::Down {
            return;
        }
        let from = self.down_since.unwrap_or(self.state_changed_at);
        add_downtime(&mut self.downtime, from, now);
    }

    /// `up` → `down` at `now` (silent since `since`), announced unless held (flapping).
    pub(crate) fn go_down(&mut self, now: Timestamp, since: Timestamp, reason: String) -> bool {
        self.state = AppState::Down;
        self.state_changed_at = now;
        self.down_since = Some(since);
        self.down_reason = Some(reason);
        let (subject, body) = self.down_mail(now);
        self.announce(MailKind::Down, subject, body, now)
    }

    /// Puts a transition's mail in the outbox unless it is no news or the app is flapping:
    /// - no news: the admin was last told this very state (the opposite transition was held);
    /// - flapping: a `down` less than [`ALERT_COOLDOWN_MS`] after the last announcement (an
    ///   app that just came back goes down again).
    ///
    /// A recovery of an announced outage is always announced. A held transition is counted,
    /// and the app is due when the cooldown ends, when [`AppRecord::settle`] announces the
    /// state it is in by then if the admin was last told otherwise. True when announced now.
    pub(crate) fn announce(
        &mut self,
        kind: MailKind,
        subject: String,
        body: String,
        now: Timestamp,
    ) -> bool {
        let now_ms = millis(now);
        let news = self.announced != Some(kind);
        let cooling = self
            .last_alert_at
            .is_some_and(|last| now_ms - last < ALERT_COOLDOWN_MS);
        if !news || (kind == MailKind::Down && cooling) {
            self.held += 1;
            if cooling {
                self.hold_until = self.last_alert_at.map(|last| last + ALERT_COOLDOWN_MS);
            }
            return false;
        }
        self.put_outbox(kind, subject, body, now);
        self.last_alert_at = Some(now_ms);
        self.announced = Some(kind);
        self.held = 0;
        self.hold_until = None;
        true
    }

    /// The end of a cooldown: announces the current state if it differs from the one the
    /// admin was last told (the mail says how often it flapped); true when it did.
    pub(crate) fn settle(&mut self, now: Timestamp) -> bool {
        let flaps = self.held;
        self.hold_until = None;
        self.held = 0;
        let current = match self.state {
            AppState::Down => MailKind::Down,
            AppState::Up => MailKind::Up,
            AppState::Paused | AppState::Retired => return false,
        };
        if self.announced == Some(current) {
            return false;
        }
        let (subject, body) = match current {
            MailKind::Down => self.down_mail(now),
            MailKind::Up => self.up_mail(self.down_since, now),
        };
        let body = format!(
            "{body}\nIt changed state {flaps} times within {} minutes; those changes were not announced one by one.\n",
            ALERT_COOLDOWN_MS / 60_000
        );
        self.last_alert_at = None;
        self.announce(current, subject, body, now)
    }

    /// Sets `dueAt`/`dueShard` from the state: an `up` app is due at its deadline (or when an
    /// open run times out, if sooner; never before a snooze ends), an unsent mail at the end of
    /// its lease; anything else is not in the `due` index.
    pub(crate) fn refresh_due(&mut self) {
        let deadline = (self.state == AppState::Up).then(|| {
            let due = match self.run_timeout() {
                Some((t, _)) => t.min(self.deadline),
                None => self.deadline,
            };
            self.snoozed_until.map_or(due, |u| due.max(millis(u)))
        });
        let retry = self.outbox.as_ref().and(self.lease_until);
        self.due_at = [deadline, retry, self.hold_until]
            .into_iter()
            .flatten()
            .min();
        self.late_ms = i64::from(self.period_seconds) * 1000;
        self.watch_at = match self.state {
            AppState::Up => Some(self.deadline - i64::from(self.grace_seconds) * 1000),
            AppState::Down => Some(millis(self.down_since.unwrap_or(self.state_changed_at))),
            AppState::Paused | AppState::Retired => None,
        };
        self.watch_shard = self.watch_at.map(|_| shard_of(&self.pk));
        self.due_shard = self.due_at.map(|_| shard_of(&self.pk));
    }

    pub(crate) fn record_beat(&mut self, beat: &HeartbeatIn, now: Timestamp) {
        self.last_beat_at = Some(now);
        self.last_message = beat.message.as_ref().map(|m| m.0.clone());
        self.beats += 1;
        if self.state == AppState::Up {
            self.deadline = self.next_deadline(now);
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

    pub(crate) fn heartbeat_reply(&self, now: Timestamp) -> HeartbeatReply {
        HeartbeatReply::new(&self.app_id(), self.state, now, self.deadline)
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
            schedule: self.cron.as_ref().map(|c| c.expr.clone()),
            tz: self.cron.as_ref().map(|c| c.tz.clone()),
            max_runtime_seconds: self.max_runtime_seconds,
            min_runtime_seconds: self.min_runtime_seconds,
            min_interval_seconds: self.min_interval_seconds,
            fail_tolerance: self.tolerance(),
            snoozed_until: self.snoozed_until,
            down_reason: self.down_reason.clone(),
            open_runs: self.open_runs.clone(),
            runs: self.runs.iter().rev().cloned().collect(),
            downtime: self.downtime.clone(),
            badge_path: None,
            ping_id: self.ping_id.clone(),
            ping_url: None,
            outputs: self.outputs.iter().rev().cloned().collect(),
        }
    }

    pub(crate) fn down_mail(&self, now: Timestamp) -> (String, String) {
        let reason = self.down_reason.as_deref().unwrap_or(SILENT);
        let (subject, headline) = if reason.starts_with(SILENT) {
            (
                format!(
                    "[Lookout] DOWN: app {} ({}) is silent",
                    self.app_id, self.tenant
                ),
                format!(
                    "App {} of tenant {} stopped sending heartbeats.",
                    self.app_id, self.tenant
                ),
            )
        } else {
            (
                format!(
                    "[Lookout] DOWN: app {} ({}): {reason}",
                    self.app_id, self.tenant
                ),
                format!("App {} of tenant {} is down.", self.app_id, self.tenant),
            )
        };
        let body = format!(
            "{headline}\n\n\
             Why:            {reason}\n\
             Last heartbeat: {last}\n\
             Last message:   {msg}\n\
             Expected {expected} with {grace} s of grace.\n\
             Detected at:    {now}\n\n\
             One more mail follows when it is back. Pause or retire the app with\n\
             POST /admin/heartbeat_apps {{\"tenant\":\"{tenant}\",\"app_id\":...,\"action\":\"pause\"}}.\n",
            tenant = self.tenant,
            last = self.last_beat_at.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339()),
            msg = self.last_message.as_deref().unwrap_or("-"),
            expected = match &self.cron {
                Some(c) => format!("at \"{}\" ({})", c.expr, c.tz),
                None => format!("every {} s", self.period_seconds),
            },
            grace = self.grace_seconds,
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

/// Days of daily downtime kept per app.
pub(crate) const DOWNTIME_DAYS: i64 = 90;

/// Adds the seconds of [`from`, `to`) to each UTC day they fall on, and forgets days more than
/// [`DOWNTIME_DAYS`] before `to`.
pub(crate) fn add_downtime(book: &mut BTreeMap<String, u32>, from: Timestamp, to: Timestamp) {
    let (mut t, end) = (millis(from), millis(to));
    while t < end {
        let day_start = t - t.rem_euclid(86_400_000);
        let next = (day_start + 86_400_000).min(end);
        let day = from_millis(day_start)
            .datetime()
            .format("%Y-%m-%d")
            .to_string();
        let secs = u32::try_from((next - t) / 1000).unwrap_or(u32::MAX);
        let slot = book.entry(day).or_default();
        *slot = slot.saturating_add(secs).min(86_400);
        t = next;
    }
    let oldest = from_millis(end - DOWNTIME_DAYS * 86_400_000)
        .datetime()
        .format("%Y-%m-%d")
        .to_string();
    book.retain(|day, _| *day >= oldest);
}

/// A transition less than this after the last announced one is held, not announced (flapping).
pub(crate) const ALERT_COOLDOWN_MS: i64 = 10 * 60_000;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// How the reason of a silence starts.
pub(crate) const SILENT: &str = "silent";

pub(crate) fn window_ms(period: u32, grace: u32) -> i64 {
    (i64::from(period) + i64::from(grace)) * 1000
}
