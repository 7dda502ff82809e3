//! What clients send and get back: validated ids, payloads, request and reply types.

use super::*;

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

// ---------------------------------------------------------------- API types
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
    pub fn validate(&self) -> Result<(), TrackerError> {
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
    /// Events per page, 1..=[`crate::MAX_PAGE`] (the default); a page also stops at
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

/// Reply of `start_session`: the new id, plus the seed's `"request received"`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub session_id: String,
    pub message: String,
}

/// The seed's reply to a write.
#[derive(Debug, Serialize, Deserialize)]
pub struct Received {
    pub message: String,
}

impl Received {
    pub fn new() -> Self {
        Self {
            message: "request received".into(),
        }
    }
}

impl Default for Received {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventOut {
    pub event_at: Timestamp,
    pub event_type: String,
    pub payload: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionOut {
    pub session_id: String,
    pub user_id: String,
    pub machine_id: String,
    pub org_id: Value,
    pub start_at: Timestamp,
    pub end_at: Option<Timestamp>,
    pub events: Vec<EventOut>,
    /// Set when the session has more events: pass it back for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MachineEventsOut {
    pub machine_id: String,
    pub events: Vec<EventOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
