//! Messenger broadcast (seed 003): contacts, sends, per-delivery status and the failed list.
//!
//! ## Layout (one table, `MESSENGER_TABLE`)
//!
//! | item     | pk                         | sk            | attributes |
//! |----------|----------------------------|---------------|------------|
//! | contact  | `CT#<tenant>#<user_name>`  | `<name>`      | name, telegram, whatsApp, viber, updatedAt |
//! | send     | `SEND#<sendId>`            | `SEND`        | tenant, userName, message, scheduledAt, deliveries, expiresAt |
//! | delivery | `SEND#<sendId>`            | `D#<nnnn>`    | contact, messenger, address, status, attempts, leaseUntil, lastError, … |
//!
//! GSI `failed` (sparse, keys `failedPk` = `F#<tenant>#<user_name>`, `failedSk` =
//! `<failedAt>#<deliveryId>`) holds only failed deliveries: `/api/get_failed_mess` is one Query.
//! The message text lives once in the send item and is copied into a delivery only when it
//! fails, so the three writes of a delivery's life (create, claim, outcome) stay one write
//! unit each whatever the message length.
//!
//! ## Delivery state machine
//! `pending → sending → sent | failed`, and `sending → pending` for a transient failure that
//! is retried. Every transition is a conditional write; see [`BroadcastStore::claim`].

use lookout_core::deserialize_via_parse;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::{
    types::{AttributeValue, DeleteRequest, WriteRequest},
    Client,
};
use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use lookout_core::{
    auth::{ApiKeys, Tenant},
    config::{self, ConfigError},
    ddb,
    time::{SentTime, Timestamp, Zone},
    AppError,
};

use crate::messenger::{MessengerKind, MAX_TEXT_CHARS};

/// Environment variable names (template.yaml sets them).
pub mod env {
    pub const MESSENGER_TABLE: &str = "MESSENGER_TABLE";
    pub const MESSENGER_QUEUE_URL: &str = "MESSENGER_QUEUE_URL";
    pub const MESSENGER_QUEUE_ARN: &str = "MESSENGER_QUEUE_ARN";
    pub const MESSENGER_DLQ_ARN: &str = "MESSENGER_DLQ_ARN";
    pub const MESSENGER_SCHEDULE_GROUP: &str = "MESSENGER_SCHEDULE_GROUP";
    pub const MESSENGER_SCHEDULER_ROLE_ARN: &str = "MESSENGER_SCHEDULER_ROLE_ARN";
    pub const MESSENGER_RETENTION_DAYS: &str = "MESSENGER_RETENTION_DAYS";
    pub const MESSENGER_MAX_ATTEMPTS: &str = "MESSENGER_MAX_ATTEMPTS";
    pub const MESSENGER_RETRY_BASE_SECONDS: &str = "MESSENGER_RETRY_BASE_SECONDS";
}

/// Longest user or contact name.
pub const MAX_NAME_CHARS: usize = 64;
/// Most contacts one request may name.
pub const MAX_CONTACTS_PER_REQUEST: usize = 100;
/// Largest request body of the contact routes.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Most failed deliveries one page returns.
pub const MAX_FAILED_PAGE: usize = 1000;
/// Name of the sparse GSI of failed deliveries.
pub const FAILED_INDEX: &str = "failed";

// ---------------------------------------------------------------- validated input

/// Text shown in an error message: at most 80 characters of what the client sent.
fn shown(s: &str) -> String {
    let cut: String = s.chars().take(80).collect();
    if cut.len() < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

fn check_name(what: &str, s: &str) -> Result<String, String> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || t.chars().any(char::is_control) {
        return Err(format!(
            "{what} must be 1-{MAX_NAME_CHARS} characters without control characters, got {}",
            shown(s)
        ));
    }
    Ok(t.to_owned())
}

/// The seed's `user_name`: who the contacts belong to, within the caller's tenant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct UserName(String);

impl UserName {
    pub fn parse(s: &str) -> Result<Self, String> {
        check_name("user_name", s).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

deserialize_via_parse!(UserName);

/// A contact's name (unique per user).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ContactName(String);

impl ContactName {
    pub fn parse(s: &str) -> Result<Self, String> {
        check_name("contact name", s).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

deserialize_via_parse!(ContactName);

/// A contact's address in one messenger, normalised.
pub fn parse_address(kind: MessengerKind, raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = |rule: &str| Err(format!("{kind} address {}: {rule}", shown(raw)));
    match kind {
        MessengerKind::Telegram => {
            // A numeric chat id (negative for groups), or a username (5-32 of A-Z a-z 0-9 _,
            // with or without '@').
            let digits = s.strip_prefix('-').unwrap_or(s);
            let numeric =
                (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
            let name = s.strip_prefix('@').unwrap_or(s);
            let username = (5..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if numeric || username {
                Ok(s.to_owned())
            } else {
                bad("must be a numeric chat id or a username of 5-32 letters, digits or '_'")
            }
        }
        MessengerKind::WhatsApp => {
            let compact: String = s
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
                .collect();
            let digits = compact.strip_prefix('+').unwrap_or(&compact);
            if (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(compact)
            } else {
                bad("must be a phone number in international format (7-15 digits, '+' optional)")
            }
        }
        MessengerKind::Viber => {
            if (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
                Ok(s.to_owned())
            } else {
                bad("must be a Viber user id (1-64 printable characters without spaces)")
            }
        }
    }
}

/// A contact's messenger addresses (the seed's `messangers`); at least one is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addresses {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram: Option<String>,
    #[serde(default, rename = "whatsApp", skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viber: Option<String>,
}

impl Addresses {
    pub fn get(&self, kind: MessengerKind) -> Option<&str> {
        match kind {
            MessengerKind::Telegram => self.telegram.as_deref(),
            MessengerKind::WhatsApp => self.whatsapp.as_deref(),
            MessengerKind::Viber => self.viber.as_deref(),
        }
    }

    /// `(kind, address)` of every set address, in the order telegram, whatsApp, viber.
    pub fn iter(&self) -> impl Iterator<Item = (MessengerKind, &str)> {
        MessengerKind::ALL
            .into_iter()
            .filter_map(|k| self.get(k).map(|a| (k, a)))
    }

    /// The seed's reply shape: every messenger present, `""` when unset.
    pub fn to_seed_json(&self) -> Value {
        json!({
            "telegram": self.telegram.as_deref().unwrap_or(""),
            "whatsApp": self.whatsapp.as_deref().unwrap_or(""),
            "viber": self.viber.as_deref().unwrap_or(""),
        })
    }
}

/// `{"telegram","whatsApp","viber"}` as sent: each optional, `""` or `null` meaning unset.
#[derive(Debug, Deserialize)]
struct AddressesIn {
    #[serde(default)]
    telegram: Option<String>,
    #[serde(default, rename = "whatsApp", alias = "whatsapp", alias = "WhatsApp")]
    whatsapp: Option<String>,
    #[serde(default)]
    viber: Option<String>,
}

/// A contact as the seed's POST sends it: `{"name", "messangers": {...}}`.
#[derive(Debug, Deserialize)]
struct ContactIn {
    name: ContactName,
    #[serde(alias = "messengers")]
    messangers: AddressesIn,
}

/// A validated contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: ContactName,
    pub addresses: Addresses,
}

impl TryFrom<ContactIn> for Contact {
    type Error = String;

    fn try_from(c: ContactIn) -> Result<Self, String> {
        let one = |kind: MessengerKind, v: Option<String>| -> Result<Option<String>, String> {
            match v {
                Some(s) if !s.trim().is_empty() => parse_address(kind, &s)
                    .map(Some)
                    .map_err(|e| format!("contact {}: {e}", shown(c.name.as_str()))),
                _ => Ok(None),
            }
        };
        let addresses = Addresses {
            telegram: one(MessengerKind::Telegram, c.messangers.telegram)?,
            whatsapp: one(MessengerKind::WhatsApp, c.messangers.whatsapp)?,
            viber: one(MessengerKind::Viber, c.messangers.viber)?,
        };
        if addresses.iter().next().is_none() {
            return Err(format!(
                "contact {} has no messenger address: set telegram, whatsApp or viber",
                shown(c.name.as_str())
            ));
        }
        Ok(Self {
            name: c.name,
            addresses,
        })
    }
}

/// `contact` or `contacts`, each one item or a list; exactly one of the two.
fn one_or_many<T: serde::de::DeserializeOwned>(
    contact: Option<Value>,
    contacts: Option<Value>,
    what: &str,
) -> Result<Vec<T>, String> {
    let value = match (contact, contacts) {
        (Some(_), Some(_)) => return Err("send either contact or contacts, not both".to_owned()),
        (None, None) => return Err(format!("contact (or contacts) is required: {what}")),
        (Some(v), None) | (None, Some(v)) => v,
    };
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    if items.is_empty() {
        return Err("the contact list is empty".to_owned());
    }
    if items.len() > MAX_CONTACTS_PER_REQUEST {
        return Err(format!(
            "{} contacts in one request; the limit is {MAX_CONTACTS_PER_REQUEST}",
            items.len()
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| serde_json::from_value(v).map_err(|e| format!("contact #{}: {e}", i + 1)))
        .collect()
}

fn no_duplicates<'a>(names: impl Iterator<Item = &'a ContactName>) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(format!("contact {} is named twice", shown(n.as_str())));
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct CreateIn {
    user_name: UserName,
    #[serde(default)]
    contact: Option<Value>,
    #[serde(default)]
    contacts: Option<Value>,
    #[serde(default)]
    time_zone: Option<Zone>,
}

/// `POST /api/contacts`: `{"user_name", "contact": {"name", "messangers": {...}}}`, or
/// `"contacts": [...]` to create several. `"time_zone": "Europe/Moscow"` sets the user's
/// default zone for the wall-clock times of later sends (with or without contacts).
#[derive(Debug, Clone)]
pub struct CreateContacts {
    pub user_name: UserName,
    pub contacts: Vec<Contact>,
    pub time_zone: Option<Zone>,
}

impl CreateContacts {
    pub fn from_json(bytes: &[u8]) -> Result<Self, AppError> {
        let input: CreateIn = parse_body(bytes)?;
        if input.time_zone.is_some() && input.contact.is_none() && input.contacts.is_none() {
            return Ok(Self {
                user_name: input.user_name,
                contacts: Vec::new(),
                time_zone: input.time_zone,
            });
        }
        let contacts: Vec<ContactIn> = one_or_many(
            input.contact,
            input.contacts,
            "{\"name\", \"messangers\": {\"telegram\", \"whatsApp\", \"viber\"}} (or only a time_zone)",
        )
        .map_err(AppError::Validation)?;
        let contacts = contacts
            .into_iter()
            .map(Contact::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(AppError::Validation)?;
        no_duplicates(contacts.iter().map(|c| &c.name)).map_err(AppError::Validation)?;
        Ok(Self {
            user_name: input.user_name,
            contacts,
            time_zone: input.time_zone,
        })
    }
}

#[derive(Debug, Deserialize)]
struct NamesIn {
    user_name: UserName,
    #[serde(default)]
    contact: Option<Value>,
    #[serde(default)]
    contacts: Option<Value>,
}

/// `DELETE /api/contacts`: `{"user_name", "contact": "name"}` (or a list, or `contacts`).
#[derive(Debug, Clone)]
pub struct DeleteContacts {
    pub user_name: UserName,
    pub names: Vec<ContactName>,
}

impl DeleteContacts {
    pub fn from_json(bytes: &[u8]) -> Result<Self, AppError> {
        let input: NamesIn = parse_body(bytes)?;
        let names: Vec<ContactName> = one_or_many(
            input.contact,
            input.contacts,
            "a contact name or a list of names",
        )
        .map_err(AppError::Validation)?;
        no_duplicates(names.iter()).map_err(AppError::Validation)?;
        Ok(Self {
            user_name: input.user_name,
            names,
        })
    }
}

#[derive(Debug, Deserialize)]
struct SendIn {
    user_name: UserName,
    #[serde(default)]
    contact: Option<Value>,
    #[serde(default)]
    contacts: Option<Value>,
    message: String,
    #[serde(default)]
    time: Option<SentTime>,
    #[serde(default)]
    time_zone: Option<Zone>,
}

/// `PUT /api/contacts`: `{"user_name", "contact"|"contacts": [names], "message", "time",
/// "time_zone"?}`. `time` (any accepted form, the seed's `[Y,M,D,h,m,s]` included) is when to
/// send; now or earlier (or absent) sends at once. A wall-clock `time` (an array, or a string
/// without offset) is read in `time_zone`, else in the user's default zone, else in UTC.
#[derive(Debug, Clone)]
pub struct SendMessage {
    pub user_name: UserName,
    pub names: Vec<ContactName>,
    pub message: String,
    pub time: Option<SentTime>,
    pub time_zone: Option<Zone>,
}

impl SendMessage {
    /// When to send and the zone a wall-clock `time` was read in: the request's zone, else
    /// the user's default, else UTC. `None` means now.
    pub fn due(&self, user_default: Option<Zone>) -> Result<Option<(Timestamp, Zone)>, AppError> {
        let zone = self.time_zone.or(user_default).unwrap_or(Zone::UTC);
        self.time
            .map(|t| t.in_zone(zone).map(|at| (at, zone)))
            .transpose()
            .map_err(AppError::Validation)
    }

    /// A hash of what was asked (user, contacts, text, requested time — `now` when absent —
    /// and zone), to tell a repeated request from a different one under the same idempotency
    /// key.
    pub fn fingerprint(&self) -> String {
        let mut parts = vec![self.user_name.as_str().to_owned(), self.message.clone()];
        parts.extend(self.names.iter().map(|n| n.as_str().to_owned()));
        parts.push(match self.time {
            None => "now".to_owned(),
            Some(SentTime::Instant(t)) => t.to_rfc3339(),
            Some(SentTime::Wall(naive)) => format!("wall {naive}"),
        });
        if let Some(zone) = self.time_zone {
            parts.push(zone.name().to_owned());
        }
        let mut buf = Vec::new();
        for p in &parts {
            buf.extend_from_slice(&(p.len() as u64).to_be_bytes());
            buf.extend_from_slice(p.as_bytes());
        }
        lookout_core::auth::sha256_hex(&buf)
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, AppError> {
        let input: SendIn = parse_body(bytes)?;
        let names: Vec<ContactName> = one_or_many(
            input.contact,
            input.contacts,
            "a contact name or a list of names",
        )
        .map_err(AppError::Validation)?;
        no_duplicates(names.iter()).map_err(AppError::Validation)?;
        let chars = input.message.chars().count();
        if input.message.trim().is_empty() {
            return Err(AppError::validation("message must not be empty"));
        }
        if chars > MAX_TEXT_CHARS {
            return Err(AppError::Validation(format!(
                "message is {chars} characters; the limit is {MAX_TEXT_CHARS}"
            )));
        }
        Ok(Self {
            user_name: input.user_name,
            names,
            message: input.message,
            time: input.time,
            time_zone: input.time_zone,
        })
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.len() > BODY_LIMIT {
        return Err(AppError::PayloadTooLarge(format!(
            "request body is {} bytes, the limit is {BODY_LIMIT}",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::validation("request body must be a JSON object"));
    }
    if !lookout_core::http::starts_object(bytes) {
        return Err(AppError::validation(
            "invalid JSON body: expected a JSON object",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|err| AppError::Validation(format!("invalid JSON body: {err}")))
}

/// The seed's GET routes take `{"user_name"}` as a JSON body or `?user_name=` (API Gateway
/// passes GET bodies through). Both may be given if they agree; `extra` names the other
/// parameters a route accepts (`limit`, `next_token`).
pub fn get_params(
    body: &[u8],
    query: &[(String, String)],
    extra: &[&str],
) -> Result<(UserName, BTreeMap<String, Value>), AppError> {
    let mut params: BTreeMap<String, Value> = BTreeMap::new();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v: Value = parse_body(body)?;
        let Value::Object(map) = v else {
            return Err(AppError::validation("request body must be a JSON object"));
        };
        // Unknown body fields are ignored, as the seed did; the query string stays strict.
        params.extend(
            map.into_iter()
                .filter(|(k, _)| k == "user_name" || extra.contains(&k.as_str())),
        );
    }
    for (k, v) in query {
        let same = |prev: &Value| match prev {
            Value::String(p) => p == v,
            other => serde_json::from_str::<Value>(v).ok().as_ref() == Some(other),
        };
        match params.get(k) {
            Some(prev) if !same(prev) => {
                return Err(AppError::Validation(format!(
                    "{k} differs between the query string and the body"
                )))
            }
            _ => {
                params.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    let known = |k: &str| k == "user_name" || extra.contains(&k);
    if let Some(k) = params.keys().find(|k| !known(k)) {
        let mut names = vec!["user_name"];
        names.extend(extra);
        return Err(AppError::Validation(format!(
            "unknown parameter {}; known: {}",
            shown(k),
            names.join(", ")
        )));
    }
    let user = match params.remove("user_name") {
        Some(Value::String(s)) => UserName::parse(&s).map_err(AppError::Validation)?,
        Some(_) => return Err(AppError::validation("user_name must be a string")),
        None => {
            return Err(AppError::validation(
                "user_name is required (JSON body or query string)",
            ))
        }
    };
    Ok((user, params))
}

// ---------------------------------------------------------------- ids and jobs

/// A send's id: 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SendId(String);

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

    fn pk(&self) -> String {
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
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const HEADER: &'static str = "idempotency-key";
    pub const MAX_LEN: usize = 255;

    pub fn parse(s: &str) -> Result<Self, AppError> {
        if s.is_empty() || s.len() > Self::MAX_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AppError::validation(format!(
                "Idempotency-Key must be 1-{} visible ASCII characters",
                Self::MAX_LEN
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The request's key, if it sent one.
    pub fn from_headers(headers: &lambda_http::http::HeaderMap) -> Result<Option<Self>, AppError> {
        match headers.get(Self::HEADER) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .map_err(|_| AppError::validation("Idempotency-Key must be visible ASCII"))
                .and_then(Self::parse)
                .map(Some),
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
pub const MAX_DELIVERIES: usize = MAX_CONTACTS_PER_REQUEST * 3;

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

    fn sk(&self) -> String {
        format!("D#{:04}", self.n)
    }

    fn key(&self) -> [(String, AttributeValue); 2] {
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
}

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

// ---------------------------------------------------------------- stored records

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ContactRecord {
    pk: String,
    sk: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    telegram: Option<String>,
    #[serde(default, rename = "whatsApp", skip_serializing_if = "Option::is_none")]
    whatsapp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    viber: Option<String>,
    #[serde(rename = "updatedAt")]
    updated_at: String,
}

/// A user's settings, stored beside the user's contacts under a sort key no contact name can
/// take (contact names have no control characters).
const USER_SETTINGS_SK: &str = "\u{1}settings";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserSettingsRecord {
    pk: String,
    sk: String,
    #[serde(rename = "timeZone")]
    time_zone: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
}

/// A user's settings: the default zone for wall-clock send times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSettings {
    pub time_zone: Option<Zone>,
}

impl UserSettings {
    fn from_item(item: HashMap<String, AttributeValue>) -> Result<Self, AppError> {
        let rec: UserSettingsRecord = serde_dynamo::from_item(item)?;
        // A zone the tz database no longer knows falls back to UTC rather than failing sends.
        Ok(Self {
            time_zone: Zone::parse(&rec.time_zone).ok(),
        })
    }
}

fn is_settings(item: &HashMap<String, AttributeValue>) -> bool {
    matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == USER_SETTINGS_SK)
}

impl ContactRecord {
    fn addresses(&self) -> Addresses {
        Addresses {
            telegram: self.telegram.clone(),
            whatsapp: self.whatsapp.clone(),
            viber: self.viber.clone(),
        }
    }
}

/// A send as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendRecord {
    pk: String,
    sk: String,
    pub tenant: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub message: String,
    #[serde(rename = "scheduledAt")]
    pub scheduled_at: String,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    pub scheduled: bool,
    pub deliveries: usize,
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
    /// Fingerprint of the request, for sends made under an `Idempotency-Key`.
    #[serde(
        rename = "requestHash",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_hash: Option<String>,
}

/// What [`BroadcastStore::create_send_once`] did.
#[derive(Debug)]
pub enum KeyedSend {
    /// Stored now: dispatch it.
    Created(SendId, SendRecord, Vec<DeliveryRecord>),
    /// Stored by an earlier request with the same key and body.
    Replay(SendId, SendRecord),
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Sending,
    Sent,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pk: String,
    sk: String,
    #[serde(rename = "deliveryId")]
    pub delivery_id: String,
    pub tenant: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub contact: String,
    pub messenger: MessengerKind,
    pub address: String,
    #[serde(rename = "scheduledAt")]
    pub scheduled_at: String,
    pub status: Status,
    pub attempts: u32,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    #[serde(
        rename = "leaseUntil",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub lease_until: Option<String>,
    #[serde(rename = "lastError", default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(rename = "sentAt", default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    #[serde(
        rename = "providerId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub provider_id: Option<String>,
    #[serde(rename = "failedAt", default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<String>,
    /// Set with `failed` when an attempt was cut off (its outcome is unknown).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The text, copied from the send when the delivery fails (for the failed list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(rename = "failedPk", default, skip_serializing_if = "Option::is_none")]
    failed_pk: Option<String>,
    #[serde(rename = "failedSk", default, skip_serializing_if = "Option::is_none")]
    failed_sk: Option<String>,
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
}

impl DeliveryRecord {
    pub fn id(&self) -> Result<DeliveryId, AppError> {
        DeliveryId::parse(&self.delivery_id).map_err(AppError::internal)
    }

    pub fn lease_expired(&self, now: Timestamp) -> bool {
        self.lease_until
            .as_deref()
            .is_none_or(|l| l <= now.to_rfc3339().as_str())
    }
}

/// One entry of `/api/get_failed_mess`: the seed's fields plus what explains the failure.
#[derive(Debug, Clone, Serialize)]
pub struct FailedOut {
    pub sender: String,
    pub message: String,
    pub contact: String,
    pub url: String,
    /// When the message was due, `[Y, M, D, h, m, s]` UTC as in the seed.
    pub time: [u32; 6],
    pub messenger: MessengerKind,
    pub address: String,
    pub error: String,
    #[serde(rename = "failedAt")]
    pub failed_at: String,
    pub attempts: u32,
    #[serde(rename = "deliveryId")]
    pub delivery_id: String,
}

/// A page of failed deliveries, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct FailedPage {
    pub data: Vec<FailedOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `[Y, M, D, h, m, s]` of a timestamp.
pub fn time_parts(t: Timestamp) -> [u32; 6] {
    let d = t.datetime();
    [
        u32::try_from(d.year()).unwrap_or(0),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
    ]
}

/// What [`BroadcastStore::claim`] found.
#[derive(Debug, Clone)]
pub enum Claim {
    /// This consumer owns the attempt (`attempts` counts it).
    Claimed(Box<DeliveryRecord>),
    /// Already `sent` or `failed`: a redelivered job, nothing to do.
    Done(Status),
    /// Another consumer is sending it right now (its lease runs until the given time).
    Busy(String),
    /// A previous attempt was cut off between claim and outcome; recorded as failed instead of
    /// sent again (at most once).
    Interrupted(Box<DeliveryRecord>),
    /// No such delivery.
    Missing,
}

// ---------------------------------------------------------------- the store

/// Contacts, sends and deliveries in DynamoDB.
#[derive(Debug, Clone)]
pub struct BroadcastStore {
    client: Client,
    table: String,
    retention_days: i64,
}

fn contact_pk(tenant: &Tenant, user: &UserName) -> String {
    format!("CT#{}#{}", tenant.as_str(), user.as_str())
}

fn failed_pk(tenant: &str, user: &str) -> String {
    format!("F#{tenant}#{user}")
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl BroadcastStore {
    pub fn new(client: Client, table: impl Into<String>, retention_days: i64) -> Self {
        Self {
            client,
            table: table.into(),
            retention_days,
        }
    }

    /// `MESSENGER_TABLE`, `MESSENGER_RETENTION_DAYS` (default 30).
    pub fn from_env(client: Client) -> Result<Self, ConfigError> {
        let days = match config::optional(env::MESSENGER_RETENTION_DAYS) {
            None => 30,
            Some(v) => v.parse::<i64>().ok().filter(|d| *d > 0).ok_or_else(|| {
                ConfigError(format!(
                    "{} must be a positive integer",
                    env::MESSENGER_RETENTION_DAYS
                ))
            })?,
        };
        Ok(Self::new(
            client,
            config::required(env::MESSENGER_TABLE)?,
            days,
        ))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    // ------------------------------------------------------------ contacts

    /// Creates or replaces contacts (a retried request writes the same items).
    pub async fn put_contacts(
        &self,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[Contact],
        time_zone: Option<Zone>,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let pk = contact_pk(tenant, user);
        let mut requests = contacts
            .iter()
            .map(|c| {
                let record = ContactRecord {
                    pk: pk.clone(),
                    sk: c.name.as_str().to_owned(),
                    name: c.name.as_str().to_owned(),
                    telegram: c.addresses.telegram.clone(),
                    whatsapp: c.addresses.whatsapp.clone(),
                    viber: c.addresses.viber.clone(),
                    updated_at: now.to_rfc3339(),
                };
                ddb::put_request(&record)
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        if let Some(zone) = time_zone {
            requests.push(ddb::put_request(&UserSettingsRecord {
                pk: pk.clone(),
                sk: USER_SETTINGS_SK.to_owned(),
                time_zone: zone.name().to_owned(),
                updated_at: now.to_rfc3339(),
            })?);
        }
        ddb::batch_write_all(&self.client, &self.table, requests).await?;
        Ok(())
    }

    /// Deletes the named contacts that exist, in one transaction, and returns the names that
    /// did not exist (the seed answered success for those too). A name deleted concurrently
    /// by another request counts as not existing.
    pub async fn delete_contacts(
        &self,
        tenant: &Tenant,
        user: &UserName,
        names: &[ContactName],
    ) -> Result<Vec<ContactName>, AppError> {
        use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
        let pk = contact_pk(tenant, user);
        let mut pending: Vec<ContactName> = names.to_vec();
        let mut missing: Vec<ContactName> = Vec::new();
        // Each retry drops at least one name, so this ends; a bound keeps it cheap anyway.
        for _ in 0..4 {
            if pending.is_empty() {
                return Ok(missing);
            }
            let items = pending
                .iter()
                .map(|name| {
                    let delete = Delete::builder()
                        .table_name(&self.table)
                        .key("pk", s(&pk))
                        .key("sk", s(name.as_str()))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .map_err(AppError::internal)?;
                    Ok(TransactWriteItem::builder().delete(delete).build())
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            let res = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let err = match res {
                Ok(_) => return Ok(missing),
                Err(err) => err,
            };
            // Which items failed their condition (a cancellation reason per item, in order)?
            // Any other reason (a conflicting transaction) retries the same names.
            let reasons = err
                .as_service_error()
                .and_then(|e| match e {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => {
                        Some(t.cancellation_reasons().to_vec())
                    }
                    _ => None,
                })
                .filter(|r| r.len() == pending.len())
                .ok_or_else(|| AppError::from(err))?;
            let (gone, still): (Vec<_>, Vec<_>) = pending
                .into_iter()
                .zip(reasons.iter())
                .partition(|(_, r)| r.code() == Some("ConditionalCheckFailed"));
            missing.extend(gone.into_iter().map(|(n, _)| n));
            pending = still.into_iter().map(|(n, _)| n).collect();
        }
        Err(AppError::internal(
            "contact delete kept conflicting with other writes",
        ))
    }

    pub async fn list_contacts(
        &self,
        tenant: &Tenant,
        user: &UserName,
    ) -> Result<(BTreeMap<String, Addresses>, UserSettings), AppError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(contact_pk(tenant, user)))
            .consistent_read(true);
        let mut out = BTreeMap::new();
        let mut settings = UserSettings::default();
        for item in ddb::query_all(query).await? {
            if is_settings(&item) {
                settings = UserSettings::from_item(item)?;
                continue;
            }
            let rec: ContactRecord = serde_dynamo::from_item(item)?;
            out.insert(rec.name.clone(), rec.addresses());
        }
        Ok((out, settings))
    }

    /// The named contacts of `user` that exist, and the user's settings (read in the same
    /// batch).
    pub async fn get_contacts(
        &self,
        tenant: &Tenant,
        user: &UserName,
        names: &[ContactName],
    ) -> Result<(HashMap<String, Addresses>, UserSettings), AppError> {
        let pk = contact_pk(tenant, user);
        let mut out = HashMap::new();
        let mut settings = UserSettings::default();
        let sort_keys: Vec<&str> = std::iter::once(USER_SETTINGS_SK)
            .chain(names.iter().map(ContactName::as_str))
            .collect();
        for chunk in sort_keys.chunks(100) {
            let keys = chunk
                .iter()
                .map(|sk| HashMap::from([("pk".to_owned(), s(&pk)), ("sk".to_owned(), s(*sk))]))
                .collect::<Vec<_>>();
            for item in ddb::batch_get_all(&self.client, &self.table, keys).await? {
                if is_settings(&item) {
                    settings = UserSettings::from_item(item)?;
                    continue;
                }
                let rec: ContactRecord = serde_dynamo::from_item(item)?;
                out.insert(rec.name.clone(), rec.addresses());
            }
        }
        Ok((out, settings))
    }

    // ------------------------------------------------------------ sends

    /// Stores a send and one pending delivery per (contact, messenger). Returns the send's
    /// record and its deliveries. `contacts` are in the order the client named them.
    pub async fn create_send(
        &self,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[(ContactName, Addresses)],
        message: &str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(SendId, SendRecord, Vec<DeliveryRecord>), AppError> {
        let send_id = SendId::new();
        let (send, deliveries) =
            self.send_records(&send_id, tenant, user, contacts, message, at, now)?;
        let mut requests = vec![ddb::put_request(&send)?];
        for d in &deliveries {
            requests.push(ddb::put_request(d)?);
        }
        self.write_or_undo(requests, &send, &deliveries).await?;
        Ok((send_id, send, deliveries))
    }

    /// [`create_send`](Self::create_send) under a client's idempotency key: the send's id is
    /// derived from (tenant, key), and its record is written first, on the condition that it
    /// does not exist. A request repeating the key finds it and gets
    /// [`KeyedSend::Replay`] (same request) or a 409 (a different request under the same key).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_send_once(
        &self,
        send_id: SendId,
        fingerprint: &str,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[(ContactName, Addresses)],
        message: &str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<KeyedSend, AppError> {
        let (mut send, deliveries) =
            self.send_records(&send_id, tenant, user, contacts, message, at, now)?;
        send.request_hash = Some(fingerprint.to_owned());
        if !ddb::put_new(&self.client, &self.table, &send).await? {
            let existing = self
                .get_send(&send_id)
                .await?
                .ok_or_else(|| AppError::internal("a keyed send vanished between two reads"))?;
            if existing.tenant != send.tenant
                || existing.request_hash.as_deref() != Some(fingerprint)
            {
                return Err(AppError::Conflict(
                    "this Idempotency-Key was already used for a different request".into(),
                ));
            }
            // An earlier attempt may have stored the send but not all its deliveries (it then
            // failed, so it never queued them and no consumer has seen them): add the missing
            // ones, each only if still absent.
            let stored = self.deliveries(&send_id).await?;
            for d in deliveries
                .iter()
                .filter(|d| !stored.iter().any(|s| s.sk == d.sk))
            {
                ddb::put_new(&self.client, &self.table, d).await?;
            }
            return Ok(KeyedSend::Replay(send_id, existing));
        }
        let requests = deliveries
            .iter()
            .map(ddb::put_request)
            .collect::<Result<Vec<_>, AppError>>()?;
        self.write_or_undo(requests, &send, &deliveries).await?;
        Ok(KeyedSend::Created(send_id, send, deliveries))
    }

    /// Writes a send's items; if that fails part-way, removes them again before failing.
    async fn write_or_undo(
        &self,
        requests: Vec<WriteRequest>,
        send: &SendRecord,
        deliveries: &[DeliveryRecord],
    ) -> Result<(), AppError> {
        if requests.is_empty() {
            return Ok(());
        }
        if let Err(err) = ddb::batch_write_all(&self.client, &self.table, requests).await {
            // More than one call's worth may have landed: take it back before failing.
            if let Err(undo) = self.discard_send(send, deliveries).await {
                tracing::error!(send = send.pk.as_str(), error = %lookout_core::error::error_chain(&undo),
                    "could not remove a partly stored send; it is never queued and expires with its TTL");
            }
            return Err(err);
        }
        Ok(())
    }

    /// The items of a new send (not yet stored).
    #[allow(clippy::too_many_arguments)]
    fn send_records(
        &self,
        send_id: &SendId,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[(ContactName, Addresses)],
        message: &str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(SendRecord, Vec<DeliveryRecord>), AppError> {
        let expires_at = at.max(now).unix_seconds() + self.retention_days * 86_400;
        let scheduled = at > now;
        let mut deliveries = Vec::new();
        for (contact, addresses) in contacts {
            for (kind, address) in addresses.iter() {
                let n = u16::try_from(deliveries.len())
                    .ok()
                    .filter(|n| usize::from(*n) < MAX_DELIVERIES)
                    .ok_or_else(|| AppError::validation("too many deliveries in one send"))?;
                let id = DeliveryId {
                    send: send_id.clone(),
                    n,
                };
                deliveries.push(DeliveryRecord {
                    pk: send_id.pk(),
                    sk: id.sk(),
                    delivery_id: id.to_string(),
                    tenant: tenant.as_str().to_owned(),
                    user_name: user.as_str().to_owned(),
                    contact: contact.as_str().to_owned(),
                    messenger: kind,
                    address: address.to_owned(),
                    scheduled_at: at.to_rfc3339(),
                    status: Status::Pending,
                    attempts: 0,
                    created_at: now.to_rfc3339(),
                    updated_at: now.to_rfc3339(),
                    lease_until: None,
                    last_error: None,
                    sent_at: None,
                    provider_id: None,
                    failed_at: None,
                    interrupted: false,
                    url: None,
                    message: None,
                    failed_pk: None,
                    failed_sk: None,
                    expires_at,
                });
            }
        }
        let send = SendRecord {
            request_hash: None,
            pk: send_id.pk(),
            sk: "SEND".to_owned(),
            tenant: tenant.as_str().to_owned(),
            user_name: user.as_str().to_owned(),
            message: message.to_owned(),
            scheduled_at: at.to_rfc3339(),
            created_at: now.to_rfc3339(),
            scheduled,
            deliveries: deliveries.len(),
            expires_at,
        };
        Ok((send, deliveries))
    }

    /// Removes a send and its deliveries again: the send route's undo when it cannot queue
    /// the send after storing it, so a failed request leaves nothing behind.
    pub async fn discard_send(
        &self,
        send: &SendRecord,
        deliveries: &[DeliveryRecord],
    ) -> Result<(), AppError> {
        let key = |pk: &str, sk: &str| {
            DeleteRequest::builder()
                .key("pk", s(pk))
                .key("sk", s(sk))
                .build()
                .map(|d| WriteRequest::builder().delete_request(d).build())
                .map_err(AppError::internal)
        };
        let mut requests = vec![key(&send.pk, &send.sk)?];
        for d in deliveries {
            requests.push(key(&d.pk, &d.sk)?);
        }
        ddb::batch_write_all(&self.client, &self.table, requests).await?;
        Ok(())
    }

    /// A send (strongly consistent); `None` if unknown.
    pub async fn get_send(&self, id: &SendId) -> Result<Option<SendRecord>, AppError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(id.pk()))
            .key("sk", s("SEND"))
            .consistent_read(true)
            .send()
            .await?;
        out.item
            .map(|i| serde_dynamo::from_item(i).map_err(AppError::from))
            .transpose()
    }

    /// Every delivery of a send, in order.
    pub async fn deliveries(&self, id: &SendId) -> Result<Vec<DeliveryRecord>, AppError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :d)")
            .expression_attribute_values(":pk", s(id.pk()))
            .expression_attribute_values(":d", s("D#"))
            .consistent_read(true);
        ddb::query_all(query)
            .await?
            .into_iter()
            .map(|item| serde_dynamo::from_item(item).map_err(AppError::from))
            .collect()
    }

    /// One delivery (strongly consistent).
    pub async fn get_delivery(&self, id: &DeliveryId) -> Result<Option<DeliveryRecord>, AppError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(id.key().into_iter().collect()))
            .consistent_read(true)
            .send()
            .await?;
        out.item
            .map(|i| serde_dynamo::from_item(i).map_err(AppError::from))
            .transpose()
    }

    // ------------------------------------------------------------ the state machine

    /// Takes ownership of one attempt: `pending → sending` (attempts + 1, a lease until
    /// `now + lease`), a conditional write. When the condition fails the delivery is read:
    ///
    /// - `sent`/`failed`: [`Claim::Done`]: the job is a duplicate (SQS redelivery),
    /// - `sending` with a live lease: [`Claim::Busy`] (another consumer holds it),
    /// - `sending` with an expired lease: a consumer died between claiming and recording the
    ///   outcome, so whether the messenger got the message is unknown. It is marked `failed`
    ///   (`interrupted`) and shows in the failed list rather than being sent again:
    ///   delivery is at most once ([`Claim::Interrupted`]).
    pub async fn claim(
        &self,
        id: &DeliveryId,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Claim, AppError> {
        let lease_until = lease_end(now, lease);
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(id.key().into_iter().collect()))
            .update_expression(
                "SET #s = :sending, attempts = attempts + :one, leaseUntil = :lease, updatedAt = :now",
            )
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":lease", s(&lease_until))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => {
                let item = out
                    .attributes
                    .ok_or_else(|| AppError::internal("UpdateItem returned no attributes"))?;
                Ok(Claim::Claimed(Box::new(serde_dynamo::from_item(item)?)))
            }
            Err(err) if ddb::is_conditional_check_failed(&err) => {
                let Some(current) = self.get_delivery(id).await? else {
                    return Ok(Claim::Missing);
                };
                match current.status {
                    Status::Sent | Status::Failed => Ok(Claim::Done(current.status)),
                    // Changed between our write and our read: look again on the next receive.
                    Status::Pending => Ok(Claim::Busy(now.to_rfc3339())),
                    Status::Sending if !current.lease_expired(now) => {
                        Ok(Claim::Busy(current.lease_until.clone().unwrap_or_default()))
                    }
                    Status::Sending => {
                        let reason = "the previous attempt was interrupted before its outcome was \
                                      recorded; not sent again to avoid a duplicate";
                        let won = self
                            .transition_failed(&current, now, reason, None, None, true)
                            .await?;
                        if won {
                            let failed = self.get_delivery(id).await?.unwrap_or(current);
                            Ok(Claim::Interrupted(Box::new(failed)))
                        } else {
                            Ok(Claim::Busy(now.to_rfc3339()))
                        }
                    }
                }
            }
            Err(err) => Err(err.into()),
        }
    }

    /// `sending → sent` for the attempt `claimed` owns. Also corrects a delivery that another
    /// consumer marked `interrupted` while this (slow) attempt was still running. Returns
    /// false if the delivery had moved on (logged by the caller).
    pub async fn mark_sent(
        &self,
        claimed: &DeliveryRecord,
        now: Timestamp,
        provider_id: Option<&str>,
    ) -> Result<bool, AppError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(claimed.id()?.key().into_iter().collect()))
            .update_expression(if provider_id.is_some() {
                "SET #s = :sent, sentAt = :now, updatedAt = :now, providerId = :pid \
                 REMOVE leaseUntil, failedPk, failedSk, interrupted, failedAt"
            } else {
                "SET #s = :sent, sentAt = :now, updatedAt = :now \
                 REMOVE leaseUntil, failedPk, failedSk, interrupted, failedAt"
            })
            .condition_expression(
                "attempts = :a AND (#s = :sending OR (#s = :failed AND interrupted = :true))",
            )
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":sent", s(Status::Sent.as_str()))
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":failed", s(Status::Failed.as_str()))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":a", n(claimed.attempts))
            .expression_attribute_values(":now", s(now.to_rfc3339()));
        if let Some(pid) = provider_id {
            req = req.expression_attribute_values(":pid", s(pid));
        }
        conditional(req.send().await)
    }

    /// `sending → pending` after a transient failure of the attempt `claimed` owns.
    pub async fn mark_retry(
        &self,
        claimed: &DeliveryRecord,
        now: Timestamp,
        error: &str,
    ) -> Result<bool, AppError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(claimed.id()?.key().into_iter().collect()))
            .update_expression(
                "SET #s = :pending, lastError = :e, updatedAt = :now REMOVE leaseUntil",
            )
            .condition_expression("attempts = :a AND #s = :sending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":a", n(claimed.attempts))
            .expression_attribute_values(":e", s(error))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .send()
            .await;
        conditional(res)
    }

    /// `sending → failed` for the attempt `claimed` owns: the delivery joins the failed list
    /// with the message text and the endpoint tried.
    pub async fn mark_failed(
        &self,
        claimed: &DeliveryRecord,
        now: Timestamp,
        error: &str,
        url: Option<&str>,
        message: &str,
    ) -> Result<bool, AppError> {
        self.transition_failed(claimed, now, error, url, Some(message), false)
            .await
    }

    async fn transition_failed(
        &self,
        current: &DeliveryRecord,
        now: Timestamp,
        error: &str,
        url: Option<&str>,
        message: Option<&str>,
        interrupted: bool,
    ) -> Result<bool, AppError> {
        let message = match message {
            Some(m) => m.to_owned(),
            None => self
                .get_send(&current.id()?.send)
                .await?
                .map(|s| s.message)
                .unwrap_or_default(),
        };
        let now_text = now.to_rfc3339();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(current.id()?.key().into_iter().collect()))
            .update_expression(
                "SET #s = :failed, lastError = :e, failedAt = :now, updatedAt = :now, \
                 message = :m, #u = :url, failedPk = :fpk, failedSk = :fsk, interrupted = :int \
                 REMOVE leaseUntil",
            )
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#u", "url")
            .expression_attribute_values(":failed", s(Status::Failed.as_str()))
            .expression_attribute_values(":sending", s(Status::Sending.as_str()))
            .expression_attribute_values(":e", s(error))
            .expression_attribute_values(":now", s(&now_text))
            .expression_attribute_values(":m", s(message))
            .expression_attribute_values(
                ":url",
                s(url.map_or_else(|| current.url.clone().unwrap_or_default(), str::to_owned)),
            )
            .expression_attribute_values(":fpk", s(failed_pk(&current.tenant, &current.user_name)))
            .expression_attribute_values(":fsk", s(format!("{now_text}#{}", current.delivery_id)))
            .expression_attribute_values(":int", AttributeValue::Bool(interrupted));
        req = if interrupted {
            // Only if nobody touched the stuck attempt since we read it.
            req.condition_expression("#s = :sending AND leaseUntil = :lease")
                .expression_attribute_values(
                    ":lease",
                    s(current.lease_until.clone().unwrap_or_default()),
                )
        } else {
            req.condition_expression("#s = :sending AND attempts = :a")
                .expression_attribute_values(":a", n(current.attempts))
        };
        conditional(req.send().await)
    }

    // ------------------------------------------------------------ the failed list

    /// `user`'s failed deliveries, newest first.
    pub async fn failed(
        &self,
        tenant: &Tenant,
        user: &UserName,
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<FailedPage, AppError> {
        if !(1..=MAX_FAILED_PAGE).contains(&limit) {
            return Err(AppError::Validation(format!(
                "limit must be 1..={MAX_FAILED_PAGE}"
            )));
        }
        let fpk = failed_pk(tenant.as_str(), user.as_str());
        let start = next_token
            .map(|t| ddb::decode_page_token(t, &TOKEN_KEYS, ("failedPk", &fpk), "next_token"))
            .transpose()?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(FAILED_INDEX)
            .key_condition_expression("failedPk = :p")
            .expression_attribute_values(":p", s(&fpk))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        let mut data = Vec::new();
        for item in out.items.unwrap_or_default() {
            let d: DeliveryRecord = serde_dynamo::from_item(item)?;
            let at = Timestamp::parse_str(&d.scheduled_at).map_err(AppError::internal)?;
            data.push(FailedOut {
                sender: d.user_name,
                message: d.message.unwrap_or_default(),
                contact: d.contact,
                url: d.url.unwrap_or_default(),
                time: time_parts(at),
                messenger: d.messenger,
                address: d.address,
                error: d.last_error.unwrap_or_default(),
                failed_at: d.failed_at.unwrap_or_default(),
                attempts: d.attempts,
                delivery_id: d.delivery_id,
            });
        }
        let next_token = out
            .last_evaluated_key
            .map(|k| ddb::encode_page_token(&k, &TOKEN_KEYS));
        Ok(FailedPage { data, next_token })
    }
}

fn lease_end(now: Timestamp, lease: Duration) -> String {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::zero());
    Timestamp::from_datetime(now.datetime() + lease)
        .unwrap_or(now)
        .to_rfc3339()
}

/// `Ok(true)` when the write happened, `Ok(false)` when its condition did not hold.
fn conditional<T, E, R>(
    res: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, AppError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match res {
        Ok(_) => Ok(true),
        Err(err) if ddb::is_conditional_check_failed(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Page tokens: the failed-list GSI's last key, bound to the user's partition.
const TOKEN_KEYS: [&str; 4] = ["pk", "sk", "failedPk", "failedSk"];

// ---------------------------------------------------------------- the queue and the scheduler

/// Puts jobs on the messenger queue, now or (through EventBridge Scheduler) later.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    sqs: aws_sdk_sqs::Client,
    scheduler: Option<aws_sdk_scheduler::Client>,
    queue_url: String,
    schedule: Option<ScheduleTarget>,
}

/// Where one-time schedules go: the group, the role Scheduler assumes, the queue's ARN.
#[derive(Debug, Clone)]
pub struct ScheduleTarget {
    pub group: String,
    pub role_arn: String,
    pub queue_arn: String,
    /// Where Scheduler puts a job it could not deliver to the queue.
    pub dead_letter_arn: Option<String>,
}

impl ScheduleTarget {
    /// `MESSENGER_SCHEDULE_GROUP`, `MESSENGER_SCHEDULER_ROLE_ARN`, `MESSENGER_QUEUE_ARN`,
    /// `MESSENGER_DLQ_ARN` (optional).
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            group: config::required(env::MESSENGER_SCHEDULE_GROUP)?,
            role_arn: config::required(env::MESSENGER_SCHEDULER_ROLE_ARN)?,
            queue_arn: config::required(env::MESSENGER_QUEUE_ARN)?,
            dead_letter_arn: config::optional(env::MESSENGER_DLQ_ARN),
        })
    }
}

/// The one-time schedule expression for `at`, rounded up to the second (never early).
pub fn at_expression(at: Timestamp) -> String {
    let dt = at.datetime();
    let whole = if dt.timestamp_subsec_millis() > 0 {
        dt + chrono::Duration::seconds(1)
    } else {
        dt
    };
    format!("at({})", whole.format("%Y-%m-%dT%H:%M:%S"))
}

/// Name of a send's schedule (unique per send, so a retried create is a conflict, not a copy).
pub fn schedule_name(send: &SendId) -> String {
    format!("send-{}", send.as_str())
}

impl Dispatcher {
    pub fn new(
        sqs: aws_sdk_sqs::Client,
        queue_url: impl Into<String>,
        scheduler: Option<(aws_sdk_scheduler::Client, ScheduleTarget)>,
    ) -> Self {
        let (scheduler, schedule) = match scheduler {
            Some((c, t)) => (Some(c), Some(t)),
            None => (None, None),
        };
        Self {
            sqs,
            scheduler,
            queue_url: queue_url.into(),
            schedule,
        }
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// One job on the queue.
    pub async fn enqueue(&self, job: &Job) -> Result<(), AppError> {
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(job.to_json())
            .send()
            .await?;
        Ok(())
    }

    /// Many jobs, ten per call; fails if any could not be enqueued (the caller retries all:
    /// duplicates are harmless, deliveries are idempotent).
    pub async fn enqueue_all(&self, jobs: &[Job]) -> Result<(), AppError> {
        use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
        for chunk in jobs.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, job)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(job.to_json())
                        .build()
                        .map_err(AppError::internal)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .sqs
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await?;
            if !out.failed.is_empty() {
                return Err(AppError::internal(format!(
                    "SendMessageBatch: {} of {} jobs not enqueued ({:?})",
                    out.failed.len(),
                    chunk.len(),
                    out.failed.first().map(|f| f.code())
                )));
            }
        }
        Ok(())
    }

    /// A one-time EventBridge Scheduler schedule that puts `job` on the queue at `at` (UTC),
    /// then deletes itself. Creating it again (a retried request) is not an error.
    pub async fn schedule(&self, name: &str, job: &Job, at: Timestamp) -> Result<(), AppError> {
        use aws_sdk_scheduler::types::{
            ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
            RetryPolicy, Target,
        };
        let (Some(client), Some(t)) = (&self.scheduler, &self.schedule) else {
            return Err(AppError::internal("scheduling is not configured"));
        };
        let mut target = Target::builder()
            .arn(&t.queue_arn)
            .role_arn(&t.role_arn)
            .input(job.to_json())
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_event_age_in_seconds(86_400)
                    .maximum_retry_attempts(185)
                    .build(),
            );
        if let Some(dlq) = &t.dead_letter_arn {
            target = target.dead_letter_config(DeadLetterConfig::builder().arn(dlq).build());
        }
        let res = client
            .create_schedule()
            .name(name)
            .group_name(&t.group)
            .schedule_expression(at_expression(at))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .map_err(AppError::internal)?,
            )
            .action_after_completion(ActionAfterCompletion::Delete)
            .client_token(name)
            .description("Lookout messenger broadcast (seed 003)")
            .target(target.build().map_err(AppError::internal)?)
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conflict_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Makes a received message visible again after `after` (0 = at once).
    pub async fn retry_after(&self, receipt_handle: &str, after: Duration) -> Result<(), AppError> {
        let secs = i32::try_from(after.as_secs().min(12 * 3600)).unwrap_or(12 * 3600);
        self.sqs
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(secs)
            .send()
            .await?;
        Ok(())
    }
}

/// The HTTP routes' dependencies.
#[derive(Debug, Clone)]
pub struct Deps {
    pub keys: ApiKeys,
    pub store: BroadcastStore,
}

impl Deps {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let sdk = lookout_core::aws::sdk_config().await;
        let ddb = lookout_core::aws::dynamodb(&sdk);
        Ok(Self {
            keys: ApiKeys::from_env(ddb.clone())?,
            store: BroadcastStore::from_env(ddb)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    #[test]
    fn the_seed_examples_parse() {
        let c = CreateContacts::from_json(
            br#"{"user_name": "test", "contact": {"name": "Artem", "messangers": {"telegram": "ArtemZaitsev", "whatsApp": "+799200828615", "viber": ""}}, "name": "Artem"}"#,
        )
        .unwrap();
        assert_eq!(c.user_name.as_str(), "test");
        assert_eq!(c.contacts[0].name.as_str(), "Artem");
        assert_eq!(c.contacts[0].addresses.viber, None);
        assert_eq!(
            c.contacts[0].addresses.whatsapp.as_deref(),
            Some("+799200828615")
        );
        let d = DeleteContacts::from_json(br#"{"user_name": "test", "contact": "Artem"}"#).unwrap();
        assert_eq!(d.names.len(), 1);
        let s = SendMessage::from_json(
            br#"{"user_name": "test", "contact": ["Artem", "Lera", "Vasya"], "message": "Hello there", "time": [2019, 11, 30, 14, 0, 6]}"#,
        )
        .unwrap();
        assert_eq!(s.names.len(), 3);
        let due = |s: &SendMessage, zone: Option<&str>| {
            s.due(zone.map(|z| Zone::parse(z).unwrap()))
                .unwrap()
                .map(|(t, z)| (t.to_rfc3339(), z.name()))
        };
        assert_eq!(
            due(&s, None),
            Some(("2019-11-30T14:00:06.000Z".into(), "UTC"))
        );
        // The user's default zone places the seed's wall-clock list.
        assert_eq!(
            due(&s, Some("Europe/Moscow")),
            Some(("2019-11-30T11:00:06.000Z".into(), "Europe/Moscow"))
        );
        // The request's zone wins over the user's default; an instant ignores both.
        let zoned = SendMessage::from_json(
            br#"{"user_name": "test", "contact": "Artem", "message": "hi", "time": [2019, 11, 30, 14, 0, 6], "time_zone": "Asia/Tokyo"}"#,
        )
        .unwrap();
        assert_eq!(
            due(&zoned, Some("Europe/Moscow")),
            Some(("2019-11-30T05:00:06.000Z".into(), "Asia/Tokyo"))
        );
        let instant = SendMessage::from_json(
            br#"{"user_name": "test", "contact": "Artem", "message": "hi", "time": "2019-11-30T14:00:06Z", "time_zone": "Asia/Tokyo"}"#,
        )
        .unwrap();
        assert_eq!(due(&instant, None).unwrap().0, "2019-11-30T14:00:06.000Z");
        assert_ne!(zoned.fingerprint(), instant.fingerprint());
        let s = SendMessage::from_json(
            br#"{"user_name": "test", "contacts": "Artem", "message": "hi"}"#,
        )
        .unwrap();
        assert_eq!(s.names.len(), 1);
        assert!(s.time.is_none());
        assert_eq!(due(&s, Some("Europe/Moscow")), None);
    }

    #[test]
    fn bad_input_is_explained() {
        let err = |b: &str| {
            CreateContacts::from_json(b.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(r#"{"contact": {"name": "a", "messangers": {"telegram": "12345"}}}"#)
                .contains("user_name")
        );
        assert!(
            err(r#"{"user_name": "u", "contact": {"name": "a", "messangers": {}}}"#)
                .contains("no messenger address")
        );
        // Unknown fields are ignored (as the seed did), so a misspelt messenger leaves none.
        assert!(err(
            r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"telegramm": "x"}}}"#
        )
        .contains("no messenger address"));
        assert!(err(r#"{"user_name": "u", "time_zone": "Mars/Olympus"}"#).contains("IANA"));
        let zone_only =
            CreateContacts::from_json(br#"{"user_name": "u", "time_zone": "Europe/Moscow"}"#)
                .unwrap();
        assert!(zone_only.contacts.is_empty());
        assert_eq!(zone_only.time_zone.map(|z| z.name()), Some("Europe/Moscow"));
        assert!(err(
            r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"whatsApp": "call me"}}}"#
        )
        .contains("international"));
        assert!(err(
            r#"{"user_name": "u", "contact": {"name": "", "messangers": {"viber": "x"}}}"#
        )
        .contains("contact name"));
        assert!(err(r#"{"user_name": "u"}"#).contains("required"));
        assert!(err(r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"viber": "x"}}, "contacts": []}"#).contains("not both"));
        let dup = r#"{"user_name": "u", "contacts": [{"name": "a", "messangers": {"viber": "x"}}, {"name": "a", "messangers": {"viber": "y"}}]}"#;
        assert!(err(dup).contains("twice"));
        let send = |b: &str| {
            SendMessage::from_json(b.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert!(send(r#"{"user_name": "u", "contact": "a", "message": "  "}"#).contains("empty"));
        assert!(send(
            r#"{"user_name": "u", "contact": "a", "message": "x", "time": [2019, 13, 1, 0, 0, 0]}"#
        )
        .contains("time"));
        let long = format!(
            r#"{{"user_name": "u", "contact": "a", "message": "{}"}}"#,
            "x".repeat(4097)
        );
        assert!(send(&long).contains("4096"));
        assert!(send(r#"{"user_name": "u", "contact": [], "message": "x"}"#).contains("empty"));
    }

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(
            parse_address(MessengerKind::WhatsApp, " +7 (992) 008-28-615 ").unwrap(),
            "+799200828615"
        );
        assert_eq!(
            parse_address(MessengerKind::Telegram, "-1001234").unwrap(),
            "-1001234"
        );
        assert_eq!(
            parse_address(MessengerKind::Telegram, "@some_bot").unwrap(),
            "@some_bot"
        );
        assert!(parse_address(MessengerKind::Telegram, "a b").is_err());
        assert!(parse_address(MessengerKind::Viber, "with space").is_err());
        assert!(parse_address(MessengerKind::Viber, "01234567890A=").is_ok());
    }

    #[test]
    fn get_params_from_body_or_query() {
        let q = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let (u, _) = get_params(br#"{"user_name": "test"}"#, &[], &[]).unwrap();
        assert_eq!(u.as_str(), "test");
        let (u, _) = get_params(b"", &[q("user_name", "test")], &[]).unwrap();
        assert_eq!(u.as_str(), "test");
        let (_, rest) =
            get_params(b"", &[q("user_name", "t"), q("limit", "5")], &["limit"]).unwrap();
        assert_eq!(rest["limit"], json!("5"));
        assert!(get_params(b"", &[], &[]).is_err());
        assert!(get_params(br#"{"user_name": "a"}"#, &[q("user_name", "b")], &[]).is_err());
        assert!(get_params(b"", &[q("user_name", "a"), q("colour", "red")], &[]).is_err());
        assert!(get_params(b"[1]", &[], &[]).is_err());
    }

    #[test]
    fn jobs_round_trip_and_reject_garbage() {
        let id = DeliveryId {
            send: SendId::parse("0123456789abcdef0123456789abcdef").unwrap(),
            n: 7,
        };
        assert_eq!(id.to_string(), "0123456789abcdef0123456789abcdef-0007");
        let job = Job::Deliver { delivery_id: id };
        assert_eq!(Job::parse(&job.to_json()).unwrap(), job);
        assert_eq!(
            job.to_json(),
            r#"{"type":"deliver","deliveryId":"0123456789abcdef0123456789abcdef-0007"}"#
        );
        for bad in [
            "",
            "{}",
            "null",
            r#"{"type":"deliver"}"#,
            r#"{"type":"fanout","sendId":"x"}"#,
            r#"{"type":"explode"}"#,
        ] {
            assert!(Job::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schedules_never_fire_early() {
        assert_eq!(
            at_expression(ts("2030-01-01T10:00:00Z")),
            "at(2030-01-01T10:00:00)"
        );
        assert_eq!(
            at_expression(ts("2030-01-01T10:00:00.250Z")),
            "at(2030-01-01T10:00:01)"
        );
        assert_eq!(
            time_parts(ts("2019-11-30T13:19:18.5Z")),
            [2019, 11, 30, 13, 19, 18]
        );
    }
}
