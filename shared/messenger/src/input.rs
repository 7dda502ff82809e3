//! What clients send, validated: user and contact names, contact, delete and send bodies,
//! time zones, and the GET routes' parameters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use lookout_core::deserialize_via_parse;
use lookout_core::time::{SentTime, Timestamp, Zone};

use crate::address::{parse_address, Addresses};
use crate::error::{shown, BroadcastError};
use crate::outbound::kind::MessengerKind;
use crate::outbound::limits::MAX_TEXT_CHARS;

/// Longest user or contact name.
pub(crate) const MAX_NAME_CHARS: usize = 64;
/// Most contacts one request may name: the new ones and the tenant's contact count are one
/// transaction (at most 100 items).
pub(crate) const MAX_CONTACTS_PER_REQUEST: usize = 99;
/// Largest request body of the contact routes.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Most failed deliveries one page returns.
pub(crate) const MAX_FAILED_PAGE: usize = 1000;
/// Failed deliveries a page returns when the request names no `limit`.
const DEFAULT_FAILED_PAGE: usize = 100;

pub(crate) fn check_name(what: &str, s: &str) -> Result<String, String> {
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
pub struct UserName(pub(crate) String);

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
pub struct ContactName(pub(crate) String);

impl ContactName {
    pub fn parse(s: &str) -> Result<Self, String> {
        check_name("contact name", s).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

deserialize_via_parse!(ContactName);

/// `{"telegram","whatsApp","viber"}` as sent: each optional, `""` or `null` meaning unset.
#[derive(Debug, Deserialize)]
pub(crate) struct AddressesIn {
    #[serde(default)]
    pub(crate) telegram: Option<String>,
    #[serde(default, rename = "whatsApp", alias = "whatsapp", alias = "WhatsApp")]
    pub(crate) whatsapp: Option<String>,
    #[serde(default)]
    pub(crate) viber: Option<String>,
}

/// A contact as the seed's POST sends it: `{"name", "messangers": {...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ContactIn {
    pub(crate) name: ContactName,
    #[serde(alias = "messengers")]
    pub(crate) messangers: AddressesIn,
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
pub(crate) fn one_or_many<T: serde::de::DeserializeOwned>(
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

pub(crate) fn no_duplicates<'a>(
    names: impl Iterator<Item = &'a ContactName>,
) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(format!("contact {} is named twice", shown(n.as_str())));
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateIn {
    pub(crate) user_name: UserName,
    #[serde(default)]
    pub(crate) contact: Option<Value>,
    #[serde(default)]
    pub(crate) contacts: Option<Value>,
    #[serde(default)]
    pub(crate) time_zone: Option<Zone>,
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
    pub fn from_json(bytes: &[u8]) -> Result<Self, BroadcastError> {
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
        .map_err(BroadcastError::Invalid)?;
        let contacts = contacts
            .into_iter()
            .map(Contact::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(BroadcastError::Invalid)?;
        no_duplicates(contacts.iter().map(|c| &c.name)).map_err(BroadcastError::Invalid)?;
        Ok(Self {
            user_name: input.user_name,
            contacts,
            time_zone: input.time_zone,
        })
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct NamesIn {
    pub(crate) user_name: UserName,
    #[serde(default)]
    pub(crate) contact: Option<Value>,
    #[serde(default)]
    pub(crate) contacts: Option<Value>,
}

/// `DELETE /api/contacts`: `{"user_name", "contact": "name"}` (or a list, or `contacts`).
#[derive(Debug, Clone)]
pub struct DeleteContacts {
    pub user_name: UserName,
    pub names: Vec<ContactName>,
}

impl DeleteContacts {
    pub fn from_json(bytes: &[u8]) -> Result<Self, BroadcastError> {
        let input: NamesIn = parse_body(bytes)?;
        let names: Vec<ContactName> = one_or_many(
            input.contact,
            input.contacts,
            "a contact name or a list of names",
        )
        .map_err(BroadcastError::Invalid)?;
        no_duplicates(names.iter()).map_err(BroadcastError::Invalid)?;
        Ok(Self {
            user_name: input.user_name,
            names,
        })
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SendIn {
    pub(crate) user_name: UserName,
    #[serde(default)]
    pub(crate) contact: Option<Value>,
    #[serde(default)]
    pub(crate) contacts: Option<Value>,
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) time: Option<SentTime>,
    #[serde(default)]
    pub(crate) time_zone: Option<Zone>,
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
    pub fn due(
        &self,
        user_default: Option<Zone>,
    ) -> Result<Option<(Timestamp, Zone)>, BroadcastError> {
        let zone = self.time_zone.or(user_default).unwrap_or(Zone::UTC);
        self.time
            .map(|t| t.in_zone(zone).map(|at| (at, zone)))
            .transpose()
            .map_err(BroadcastError::Invalid)
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

    pub fn from_json(bytes: &[u8]) -> Result<Self, BroadcastError> {
        let input: SendIn = parse_body(bytes)?;
        let names: Vec<ContactName> = one_or_many(
            input.contact,
            input.contacts,
            "a contact name or a list of names",
        )
        .map_err(BroadcastError::Invalid)?;
        no_duplicates(names.iter()).map_err(BroadcastError::Invalid)?;
        let chars = input.message.chars().count();
        if input.message.trim().is_empty() {
            return Err(BroadcastError::invalid("message must not be empty"));
        }
        if chars > MAX_TEXT_CHARS {
            return Err(BroadcastError::Invalid(format!(
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

pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, BroadcastError> {
    if bytes.len() > BODY_LIMIT {
        return Err(BroadcastError::TooLarge(format!(
            "request body is {} bytes, the limit is {BODY_LIMIT}",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BroadcastError::invalid(
            "request body must be a JSON object",
        ));
    }
    if !lookout_core::json::starts_object(bytes) {
        return Err(BroadcastError::invalid(
            "invalid JSON body: expected a JSON object",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|err| BroadcastError::Invalid(format!("invalid JSON body: {err}")))
}

/// The seed's GET routes take `{"user_name"}` as a JSON body or `?user_name=` (API Gateway
/// passes GET bodies through). Both may be given if they agree; `extra` names the other
/// parameters a route accepts (`limit`, `next_token`).
pub fn get_params(
    body: &[u8],
    query: &[(String, String)],
    extra: &[&str],
) -> Result<(UserName, BTreeMap<String, Value>), BroadcastError> {
    let mut params: BTreeMap<String, Value> = BTreeMap::new();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v: Value = parse_body(body)?;
        let Value::Object(map) = v else {
            return Err(BroadcastError::invalid(
                "request body must be a JSON object",
            ));
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
                return Err(BroadcastError::Invalid(format!(
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
        return Err(BroadcastError::Invalid(format!(
            "unknown parameter {}; known: {}",
            shown(k),
            names.join(", ")
        )));
    }
    let user = match params.remove("user_name") {
        Some(Value::String(s)) => UserName::parse(&s).map_err(BroadcastError::Invalid)?,
        Some(_) => return Err(BroadcastError::invalid("user_name must be a string")),
        None => {
            return Err(BroadcastError::invalid(
                "user_name is required (JSON body or query string)",
            ))
        }
    };
    Ok((user, params))
}

/// `GET /api/get_failed_mess`: `user_name`, `limit` (1..=[`MAX_FAILED_PAGE`], default 100; a
/// number or a numeric string) and `next_token`, from the JSON body or the query string
/// ([`get_params`]).
#[derive(Debug, Clone)]
pub struct FailedQuery {
    pub user_name: UserName,
    pub limit: usize,
    pub next_token: Option<String>,
}

impl FailedQuery {
    pub fn parse(body: &[u8], query: &[(String, String)]) -> Result<Self, BroadcastError> {
        let (user_name, params) = get_params(body, query, &["limit", "next_token"])?;
        let limit = match params.get("limit") {
            None => DEFAULT_FAILED_PAGE,
            // An integer or a whole float (`50.0`, as JSON Schema's `integer` allows), or text.
            Some(v) => lookout_core::whole::Whole::<u64>::deserialize(v)
                .map(|w| w.0)
                .ok()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=MAX_FAILED_PAGE).contains(n))
                .ok_or_else(|| {
                    BroadcastError::Invalid(format!(
                        "limit must be an integer 1..={MAX_FAILED_PAGE}"
                    ))
                })?,
        };
        let next_token = match params.get("next_token") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(_) => return Err(BroadcastError::invalid("next_token must be a string")),
        };
        Ok(Self {
            user_name,
            limit,
            next_token,
        })
    }
}
