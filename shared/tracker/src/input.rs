//! What clients send: validated ids and payloads, and the request types.

use lookout_core::{deserialize_via_parse, time::Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::TrackerError;
use crate::limits::{MAX_EVENTS_PER_REQUEST, MAX_ID_LEN, MAX_PAGE, MAX_PAYLOAD_BYTES};

/// A non-empty id of at most [`MAX_ID_LEN`] characters without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Id(pub(crate) String);

impl Id {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("must not be empty".into());
        }
        if s.chars().count() > MAX_ID_LEN {
            return Err(format!("must be at most {MAX_ID_LEN} characters"));
        }
        if s.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

deserialize_via_parse!(Id);

/// `orgId`: the seed sends a number; strings are accepted too and returned as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct OrgId(pub(crate) Value);

impl<'de> Deserialize<'de> for OrgId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            v @ Value::Number(_) => Ok(Self(v)),
            Value::String(s) => Id::parse(&s)
                .map(|_| Self(Value::String(s)))
                .map_err(|e| serde::de::Error::custom(format!("orgId {e}"))),
            other => Err(serde::de::Error::custom(format!(
                "orgId must be a number or a string, got {other}"
            ))),
        }
    }
}

/// A JSON event payload of at most [`MAX_PAYLOAD_BYTES`] serialised.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Payload(pub(crate) Value);

impl Payload {
    pub(crate) fn to_json(&self) -> String {
        self.0.to_string()
    }
}

impl Default for Payload {
    fn default() -> Self {
        Self(Value::Object(serde_json::Map::new()))
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let len = v.to_string().len();
        if len > MAX_PAYLOAD_BYTES {
            return Err(serde::de::Error::custom(format!(
                "payload is {len} bytes, the limit is {MAX_PAYLOAD_BYTES}"
            )));
        }
        Ok(Self(v))
    }
}

// ---------------------------------------------------------------- requests
//
// Unknown fields are ignored, as the seed did (its clients may send more than it read).

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartSession {
    pub user_id: Id,
    pub machine_id: Id,
    pub start_at: Timestamp,
    #[serde(default)]
    pub org_id: Option<OrgId>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewEvent {
    pub event_at: Timestamp,
    pub event_type: Id,
    #[serde(default)]
    pub payload: Payload,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddEvents {
    pub session_id: Id,
    pub events: Vec<NewEvent>,
}

impl AddEvents {
    pub(crate) fn validate(&self) -> Result<(), TrackerError> {
        if self.events.is_empty() {
            return Err(TrackerError::Invalid(
                "events must hold at least one event".into(),
            ));
        }
        if self.events.len() > MAX_EVENTS_PER_REQUEST {
            return Err(TrackerError::Invalid(format!(
                "events holds {} events, the limit is {MAX_EVENTS_PER_REQUEST}",
                self.events.len()
            )));
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndSession {
    pub session_id: Id,
    pub end_at: Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSession {
    pub session_id: Id,
    /// Events per page, 1..=[`MAX_PAGE`] (the default); a page also stops at
    /// [`lookout_core::page::MAX_PAGE_BYTES`].
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub limit: Option<usize>,
    /// The previous page's `nextToken`.
    #[serde(default)]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMachineEvents {
    pub machine_id: Id,
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub limit: Option<usize>,
    #[serde(default)]
    pub next_token: Option<String>,
}

/// A page's `limit`: 1..=[`MAX_PAGE`], [`MAX_PAGE`] when absent.
pub(crate) fn page_limit(limit: Option<usize>) -> Result<usize, TrackerError> {
    let limit = limit.unwrap_or(MAX_PAGE);
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(TrackerError::Invalid(format!(
            "limit must be 1..={MAX_PAGE}"
        )))
    }
}
