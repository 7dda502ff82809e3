//! What clients send: the seed's wire batch, with its limits beyond the types.

use lookout_core::time::Timestamp;
use serde::Deserialize;

use crate::level::Level;
use crate::limits::MAX_LINES;
use crate::user_name::UserName;

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
    pub(crate) fn validate(&self) -> Result<(), String> {
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

fn message_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Null => Err(serde::de::Error::custom("msg must not be null")),
        other => Ok(other.to_string()),
    }
}
