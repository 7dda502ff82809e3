//! Log levels as clients send them: names or Python's level numbers.

use serde::{Deserialize, Serialize};

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
