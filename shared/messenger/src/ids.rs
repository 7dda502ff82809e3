//! Ids and jobs: send ids (random or from an idempotency key), delivery ids, queue jobs.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use lookout_core::auth::Tenant;
use lookout_core::deserialize_via_parse;

use crate::error::{shown, BroadcastError};
use crate::input::MAX_CONTACTS_PER_REQUEST;

/// A send's id: 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SendId(pub(crate) String);

impl SendId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("bad send id {}", shown(s)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn pk(&self) -> String {
        format!("SEND#{}", self.0)
    }
}

impl SendId {
    /// The id of the send a tenant makes under a client-chosen idempotency key.
    pub fn for_key(tenant: &Tenant, key: &IdempotencyKey) -> Self {
        let hash =
            lookout_core::auth::sha256_hex(format!("{}\n{}", tenant.as_str(), key.0).as_bytes());
        Self(hash[..32].to_owned())
    }
}

/// The `Idempotency-Key` header of `PUT /api/contacts`: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub(crate) String);

impl IdempotencyKey {
    pub const HEADER: &'static str = "idempotency-key";
    pub const MAX_LEN: usize = 255;

    pub fn parse(s: &str) -> Result<Self, BroadcastError> {
        if s.is_empty() || s.len() > Self::MAX_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(BroadcastError::invalid(format!(
                "Idempotency-Key must be 1-{} visible ASCII characters",
                Self::MAX_LEN
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The request's key from the raw value of its [`HEADER`](Self::HEADER), if it sent one.
    /// A value with a byte an HTTP header may not show (visible ASCII, space and tab) is
    /// refused as such; any other is [`parse`](Self::parse)d.
    pub fn from_header(value: Option<&[u8]>) -> Result<Option<Self>, BroadcastError> {
        let Some(bytes) = value else {
            return Ok(None);
        };
        let visible = |b: &u8| (32..127).contains(b) || *b == b'\t';
        match std::str::from_utf8(bytes) {
            Ok(text) if bytes.iter().all(visible) => Self::parse(text).map(Some),
            _ => Err(BroadcastError::invalid(
                "Idempotency-Key must be visible ASCII",
            )),
        }
    }
}

impl Default for SendId {
    fn default() -> Self {
        Self::new()
    }
}

deserialize_via_parse!(SendId);

/// Most deliveries one send can have (contacts × messengers).
pub(crate) const MAX_DELIVERIES: usize = MAX_CONTACTS_PER_REQUEST * 3;

/// One (contact, messenger) delivery of a send: `<sendId>-<nnnn>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId {
    pub send: SendId,
    pub n: u16,
}

impl DeliveryId {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (send, n) = s
            .rsplit_once('-')
            .ok_or_else(|| format!("bad delivery id {}", shown(s)))?;
        let n: u16 = n
            .parse()
            .ok()
            .filter(|n| usize::from(*n) < 10_000)
            .ok_or_else(|| format!("bad delivery id {}", shown(s)))?;
        Ok(Self {
            send: SendId::parse(send)?,
            n,
        })
    }

    pub(crate) fn sk(&self) -> String {
        format!("D#{:04}", self.n)
    }

    pub(crate) fn key(&self) -> [(String, AttributeValue); 2] {
        [
            ("pk".to_owned(), AttributeValue::S(self.send.pk())),
            ("sk".to_owned(), AttributeValue::S(self.sk())),
        ]
    }
}

impl std::fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:04}", self.send.as_str(), self.n)
    }
}

impl Serialize for DeliveryId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

deserialize_via_parse!(DeliveryId);

/// A message on the messenger queue.
///
/// - `fanout`: a send is due; enqueue one `deliver` job per pending delivery. What PUT enqueues
///   (now) or what the one-time schedule carries (later): one small message per send.
/// - `deliver`: deliver one (contact, messenger) message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Job {
    Fanout {
        #[serde(rename = "sendId")]
        send_id: SendId,
    },
    Deliver {
        #[serde(rename = "deliveryId")]
        delivery_id: DeliveryId,
    },
    /// An alert for the admin's messenger recipients (`lookout_core::events::AdminAlert`, from
    /// the heartbeats): sent to `ADMIN_ALERT_CONTACTS` as a send of the internal tenant
    /// [`ALERTS_TENANT`], keyed by `alertId`.
    Alert {
        #[serde(rename = "alertId")]
        alert_id: String,
        text: String,
    },
}

/// The tenant that owns admin alert sends (its failed deliveries are listed by
/// `/api/get_failed_mess` with an API key of this tenant).
pub(crate) const ALERTS_TENANT: &str = "_alerts";

impl Job {
    /// A queue message body; `Err` for anything that is not a job (a poison message).
    pub fn parse(body: &str) -> Result<Self, String> {
        serde_json::from_str(body).map_err(|e| format!("not a messenger job: {e}"))
    }

    pub fn to_json(&self) -> String {
        // Serialising two string fields cannot fail; fall back to an empty object anyway.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}
