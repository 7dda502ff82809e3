//! What clients send: app ids, messages, heartbeat, signal and admin bodies, run ids, listing
//! queries.

use lookout_core::{auth::Tenant, time::Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::HeartbeatError;
use crate::limits::{
    MAX_APP_ID_CHARS, MAX_GRACE_SECONDS, MAX_MESSAGE_CHARS, MAX_PAGE, MAX_PERIOD_SECONDS,
    MAX_RUN_ID_CHARS, MAX_SNOOZE_DAYS, MIN_PERIOD_SECONDS,
};
use crate::runs::Tolerance;
use crate::time::millis;
use lookout_core::cron::CronSpec;

/// An app id: the seed's integer, or a string of 1–128 letters, digits and `_ . : -`. Compared
/// as text, so `23` and `"23"` are the same app; integer ids without leading zeros are returned
/// as numbers. As in the seed, which took any JSON scalar, a whole float is its integer
/// (`23.0` is app 23), any other number its JSON text (`23.5`), and a boolean `true`/`false`.
/// An integer id is at most 2^53-1 either way (what every JSON client holds exactly; the
/// OpenAPI document says so, and Schemathesis checks it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppId(pub(crate) String);

/// The largest integer app id: 2^53-1.
pub(crate) const MAX_INT_ID: u64 = (1 << 53) - 1;

impl AppId {
    pub fn parse_str(s: &str) -> Result<Self, String> {
        if is_id_text(s, MAX_APP_ID_CHARS) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "app_id {s:?} must be 1-{MAX_APP_ID_CHARS} letters, digits, '_', '.', ':' or '-'"
            ))
        }
    }

    pub fn parse_json(v: &Value) -> Result<Self, String> {
        match v {
            Value::Number(n) => {
                let too_big = || {
                    format!(
                        "app_id {n} is out of range: an integer id is at most 2^53-1 either way"
                    )
                };
                let text = if let Some(i) = n.as_i64() {
                    if i.unsigned_abs() > MAX_INT_ID {
                        return Err(too_big());
                    }
                    i.to_string()
                } else if n.is_u64() {
                    return Err(too_big()); // above i64::MAX
                } else {
                    let f = n.as_f64().unwrap_or(f64::NAN);
                    if f.fract() != 0.0 {
                        n.to_string() // the seed's id for `23.5`: its text
                    } else if f.abs() <= MAX_INT_ID as f64 {
                        // Whole and at most 2^53-1: the cast is exact.
                        #[allow(clippy::cast_possible_truncation)]
                        (f as i64).to_string()
                    } else {
                        return Err(too_big());
                    }
                };
                Self::parse_str(&text)
            }
            Value::Bool(b) => Ok(Self(b.to_string())),
            Value::String(s) => Self::parse_str(s),
            other => Err(format!(
                "app_id must be a number, a string or a boolean, got {other}"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as JSON: a number when it is one, text otherwise.
    pub fn to_json(&self) -> Value {
        match self.0.parse::<i64>() {
            Ok(n) if n.to_string() == self.0 => Value::from(n),
            _ => Value::String(self.0.clone()),
        }
    }
}

impl std::fmt::Display for AppId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AppId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse_json(&Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for AppId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// 1–`max` letters, digits and `_ . : -`: the text of app ids and run ids.
pub(crate) fn is_id_text(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// A heartbeat's status message: at most 1024 characters, no control characters but tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct BeatMessage(pub(crate) String);

impl BeatMessage {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.chars().count() > MAX_MESSAGE_CHARS {
            return Err(format!(
                "message must be at most {MAX_MESSAGE_CHARS} characters"
            ));
        }
        if s.chars().any(|c| c.is_control() && c != '\t') {
            return Err("message must not contain control characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for BeatMessage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The seed stored any JSON value as the message: a number or a boolean is kept as its JSON
/// text (`200` → `"200"`), `null` is no message; lists and objects are refused.
pub(crate) fn lenient_message<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<BeatMessage>, D::Error> {
    let text = match Value::deserialize(d)? {
        Value::Null => return Ok(None),
        Value::String(s) => s,
        v @ (Value::Number(_) | Value::Bool(_)) => v.to_string(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "message must be a string, got {other}"
            )))
        }
    };
    BeatMessage::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The largest heartbeat body read, on the heartbeat route and on `$default` (the seed's
/// `POST /api/apps/`) alike: a heartbeat is tiny; anything bigger is not one.
pub const BEAT_BODY_LIMIT: usize = 8 * 1024;

/// `POST /api/apps/` body, as in the seed: `{"app_id": 23, "message": "OK:200"}`. Unknown fields
/// are ignored, as the seed did.
#[derive(Debug, Clone, Deserialize)]
pub struct HeartbeatIn {
    pub app_id: AppId,
    #[serde(default, deserialize_with = "lenient_message")]
    pub message: Option<BeatMessage>,
}

/// A client's run id: 1–64 letters, digits and `_ . : -` (a UUID fits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RunId(pub(crate) String);

impl RunId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_id_text(s, MAX_RUN_ID_CHARS) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "run_id must be 1-{MAX_RUN_ID_CHARS} letters, digits, '_', '.', ':' or '-'"
            ))
        }
    }

    pub(crate) fn generated() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl<'de> Deserialize<'de> for RunId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Which signal a route received (`POST /api/apps/{signal}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalKind {
    Start,
    Success,
    Fail,
    /// The job's exit code decides: 0 is a success, anything else a failure.
    Exit,
    /// Silence alerts until `until` (`null` or a past time ends the snooze).
    Snooze,
}

impl SignalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Success => "success",
            Self::Fail => "fail",
            Self::Exit => "exit",
            Self::Snooze => "snooze",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "start" => Ok(Self::Start),
            "success" => Ok(Self::Success),
            "fail" => Ok(Self::Fail),
            "exit" => Ok(Self::Exit),
            "snooze" => Ok(Self::Snooze),
            _ => Err(format!(
                "signal {s:?} must be one of start, success, fail, exit, snooze"
            )),
        }
    }
}

/// `POST /api/apps/{signal}` body. Unknown fields are ignored, as for heartbeats.
#[derive(Debug, Clone, Deserialize)]
pub struct SignalIn {
    pub app_id: AppId,
    #[serde(default)]
    pub run_id: Option<RunId>,
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub exit_code: Option<i32>,
    #[serde(default, deserialize_with = "lenient_message")]
    pub message: Option<BeatMessage>,
    /// Snooze only: until when (any accepted timestamp form; `null` ends it).
    #[serde(default)]
    pub until: Option<Timestamp>,
}

impl SignalIn {
    /// Rules that depend on the signal: `exit` needs `exit_code`, a snooze reaches at most
    /// `MAX_SNOOZE_DAYS` ahead.
    pub fn validate(&self, kind: SignalKind, now: Timestamp) -> Result<(), HeartbeatError> {
        match kind {
            SignalKind::Exit if self.exit_code.is_none() => Err(HeartbeatError::Invalid(
                "exit needs exit_code (0 for success)".into(),
            )),
            SignalKind::Snooze
                if self
                    .until
                    .is_some_and(|u| millis(u) > millis(now) + MAX_SNOOZE_DAYS * 86_400_000) =>
            {
                Err(HeartbeatError::Invalid(format!(
                    "until must be at most {MAX_SNOOZE_DAYS} days ahead"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Where an app stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppState {
    /// Watched; heartbeats arrive in time.
    Up,
    /// Watched; silent past period + grace (the admin was mailed).
    Down,
    /// Not watched for now; heartbeats are recorded.
    Paused,
    /// Not watched any more; heartbeats are recorded; deleted after 90 days.
    Retired,
}

impl AppState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Paused => "paused",
            Self::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "up" => Ok(Self::Up),
            "down" => Ok(Self::Down),
            "paused" => Ok(Self::Paused),
            "retired" => Ok(Self::Retired),
            _ => Err(format!(
                "state {s:?} must be one of up, down, paused, retired"
            )),
        }
    }
}

/// What an admin does to an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminAction {
    /// Stop watching (no alerts) until resumed.
    Pause,
    /// Watch again, with a fresh period + grace from now.
    Resume,
    /// Stop watching for good; the app is deleted 90 days later unless resumed.
    Retire,
}

/// `POST /admin/heartbeat_apps` body: registers an app or changes its settings and state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminAppIn {
    pub tenant: Tenant,
    pub app_id: AppId,
    #[serde(default)]
    pub action: Option<AdminAction>,
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub period_seconds: Option<u32>,
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub grace_seconds: Option<u32>,
    /// A cron expression (five fields) instead of the period; `""` goes back to the period.
    #[serde(default)]
    pub schedule: Option<String>,
    /// The schedule's IANA time zone (default UTC).
    #[serde(default)]
    pub tz: Option<String>,
    /// Started runs must finish within this (0 removes the limit).
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub max_runtime_seconds: Option<u32>,
    /// Successes faster than this count as failures (0 removes it).
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub min_runtime_seconds: Option<u32>,
    /// Successes sooner than this after the previous one count as failures (0 removes it).
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub min_interval_seconds: Option<u32>,
    /// Down when `failures` of the last `runs` runs failed (default 1 of 1).
    #[serde(default)]
    pub fail_tolerance: Option<Tolerance>,
}

impl AdminAppIn {
    pub fn validate(&self) -> Result<(), HeartbeatError> {
        if let Some(p) = self.period_seconds {
            if !(MIN_PERIOD_SECONDS..=MAX_PERIOD_SECONDS).contains(&p) {
                return Err(HeartbeatError::Invalid(format!(
                    "period_seconds must be {MIN_PERIOD_SECONDS}..={MAX_PERIOD_SECONDS}"
                )));
            }
        }
        if let Some(g) = self.grace_seconds {
            if g > MAX_GRACE_SECONDS {
                return Err(HeartbeatError::Invalid(format!(
                    "grace_seconds must be 0..={MAX_GRACE_SECONDS}"
                )));
            }
        }
        for (name, value) in [
            ("max_runtime_seconds", self.max_runtime_seconds),
            ("min_runtime_seconds", self.min_runtime_seconds),
            ("min_interval_seconds", self.min_interval_seconds),
        ] {
            if value.is_some_and(|v| v > MAX_PERIOD_SECONDS) {
                return Err(HeartbeatError::Invalid(format!(
                    "{name} must be 0..={MAX_PERIOD_SECONDS} (0 removes it)"
                )));
            }
        }
        if let Some(t) = &self.fail_tolerance {
            t.validate().map_err(HeartbeatError::Invalid)?;
        }
        if self.tz.is_some() && self.schedule.is_none() {
            return Err(HeartbeatError::Invalid(
                "tz is the zone of a schedule: send it with schedule".into(),
            ));
        }
        if let Some(expr) = self.schedule.as_deref().filter(|e| !e.is_empty()) {
            CronSpec::parse(expr, self.tz.as_deref()).map_err(HeartbeatError::Invalid)?;
        }
        Ok(())
    }
}

/// Admin listing query (`GET /admin/heartbeat_apps?tenant=&state=&limit=&next_token=`).
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub tenant: Tenant,
    pub state: Option<AppState>,
    pub limit: usize,
    pub next_token: Option<String>,
}

impl ListQuery {
    /// From query-string values; every problem is a 400 naming the parameter.
    pub fn parse(
        tenant: Option<&str>,
        state: Option<&str>,
        limit: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<Self, HeartbeatError> {
        let tenant = tenant.ok_or_else(|| {
            HeartbeatError::Invalid("query parameter tenant is required (?tenant=...)".into())
        })?;
        let tenant = Tenant::parse(tenant).map_err(HeartbeatError::Invalid)?;
        let state = state
            .map(AppState::parse)
            .transpose()
            .map_err(HeartbeatError::Invalid)?;
        let limit = match limit {
            None => MAX_PAGE,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| HeartbeatError::Invalid(format!("limit must be 1..={MAX_PAGE}")))?,
        };
        Ok(Self {
            tenant,
            state,
            limit,
            next_token: next_token.map(str::to_owned),
        })
    }
}
