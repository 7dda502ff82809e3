//! What clients send, validated: user and contact names, addresses, contact, delete and send
//! bodies, time zones, and the GET routes' parameters.

use super::*;

/// Text shown in an error message: at most 80 characters of what the client sent.
pub(crate) fn shown(s: &str) -> String {
    let cut: String = s.chars().take(80).collect();
    if cut.len() < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

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
            if numeric {
                // One spelling per chat: "-01001" is chat -1001.
                Ok(canonical_address(kind, s))
            } else if username {
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

/// The one form every spelling of an address shares, for telling whether two addresses reach
/// the same chat (the admin's are compared in this form, on create and again on send):
/// Telegram chat ids as integers (`-01001` is chat `-1001`), usernames case-folded without `@`;
/// WhatsApp numbers as their digits (with or without `+`, separators or a `00` prefix); Viber
/// ids as they are (they are case-sensitive). Works on any text, valid or not.
pub fn canonical_address(kind: MessengerKind, raw: &str) -> String {
    let s = raw.trim();
    match kind {
        MessengerKind::Telegram => {
            let (negative, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s.strip_prefix('+').unwrap_or(s)),
            };
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let value = digits.trim_start_matches('0');
                match (negative, value.is_empty()) {
                    (_, true) => "0".to_owned(),
                    (true, false) => format!("-{value}"),
                    (false, false) => value.to_owned(),
                }
            } else {
                format!("@{}", s.trim_start_matches('@').to_ascii_lowercase())
            }
        }
        MessengerKind::WhatsApp => {
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            digits.trim_start_matches('0').to_owned()
        }
        MessengerKind::Viber => s.to_owned(),
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
}

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
    if !lookout_core::http::starts_object(bytes) {
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
