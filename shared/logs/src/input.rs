//! What clients send: the seed's wire types, user names and levels, validated.

use super::*;

/// `{"data": {...}}`. Unknown fields are ignored here and inside, as the seed's server did.
#[derive(Debug, Deserialize)]
pub struct SendLogs {
    pub data: Batch,
}

#[derive(Debug, Deserialize)]
pub struct Batch {
    pub user: UserName,
    #[serde(deserialize_with = "lookout_core::whole::required")]
    pub pid: u64,
    pub p_name: String,
    pub post_time: Timestamp,
    pub logs: Vec<LogLine>,
}

#[derive(Debug, Deserialize)]
pub struct LogLine {
    pub level: Level,
    /// Text; the seed-000 client sends Python's raw `record.msg`, which may be any JSON value
    /// (a number, an object): that is kept as its JSON text.
    #[serde(deserialize_with = "message_text")]
    pub msg: String,
    pub event_at: Timestamp,
    #[serde(default)]
    pub p_description: String,
}

impl Batch {
    /// Limits beyond the types: line count and string sizes.
    pub fn validate(&self) -> Result<(), String> {
        if self.logs.len() > MAX_LINES {
            return Err(format!(
                "{} lines; the limit is {MAX_LINES}",
                self.logs.len()
            ));
        }
        if self.p_name.chars().count() > 256 {
            return Err("p_name is longer than 256 characters".into());
        }
        if self
            .logs
            .iter()
            .any(|l| l.p_description.chars().count() > 1024)
        {
            return Err("p_description is longer than 1024 characters".into());
        }
        if self.logs.iter().any(|l| l.msg.len() > 64 * 1024) {
            return Err("msg is longer than 64 KB".into());
        }
        Ok(())
    }
}

/// A log user: 1–128 characters, no control characters, no `#`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct UserName(pub(crate) String);

impl UserName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let n = s.chars().count();
        if n == 0 || n > 128 || s.trim().is_empty() {
            return Err("user must be 1-128 characters".into());
        }
        if s.chars().any(|c| c.is_control() || c == '#') {
            return Err("user must not contain control characters or '#'".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

deserialize_via_parse!(UserName);

pub(crate) fn message_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Null => Err(serde::de::Error::custom("msg must not be null")),
        other => Ok(other.to_string()),
    }
}

/// Python logging's levels, lowercase; `warn`, `crit`, `fatal` are accepted as aliases, and so
/// are Python's level numbers (the seed-000 client sends `record.levelno`: 30, 40, 50): a
/// number names the highest standard level at or below it (35 → warning, 60 → critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "debug" => Ok(Self::Debug),
            "info" => Ok(Self::Info),
            "warning" | "warn" => Ok(Self::Warning),
            "error" => Ok(Self::Error),
            "critical" | "crit" | "fatal" => Ok(Self::Critical),
            other => Err(format!(
                "level {other:?} is not one of debug, info, warning, error, critical"
            )),
        }
    }

    /// A Python logging level number.
    pub fn from_number(n: i64) -> Result<Self, String> {
        match n {
            i64::MIN..=-1 => Err(format!("level {n} is negative")),
            0..=19 => Ok(Self::Debug),
            20..=29 => Ok(Self::Info),
            30..=39 => Ok(Self::Warning),
            40..=49 => Ok(Self::Error),
            _ => Ok(Self::Critical),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Self::parse(&s),
            serde_json::Value::Number(n) => {
                match lookout_core::whole::Whole::<i64>::deserialize(n.clone()) {
                    Ok(w) => Self::from_number(w.0),
                    Err(_) => Err(format!("level {n} is not a whole number")),
                }
            }
            other => Err(format!("level must be a name or a number, not {other}")),
        }
        .map_err(serde::de::Error::custom)
    }
}
