//! A log user's name, validated.

use lookout_core::deserialize_via_parse;
use serde::Serialize;

/// A log user: 1–128 characters, no control characters, no `#`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct UserName(String);

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
