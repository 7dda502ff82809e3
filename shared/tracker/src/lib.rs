//! Session/event tracker (seed 004): API types, validation and DynamoDB storage.
//!
//! One table (`TRACKER_TABLE`, keys `pk`/`sk`, GSI `machine-events` on `gsi1pk`/`gsi1sk`):
//!
//! | item    | pk                   | sk                              | gsi1pk                         | gsi1sk                          |
//! |---------|----------------------|---------------------------------|--------------------------------|---------------------------------|
//! | session | `SESSION#<id>`       | `META`                          | –                              | –                               |
//! | event   | `SESSION#<id>`       | `EVENT#<eventAt>#<eventId>`     | `MACHINE#<tenant>#<machineId>` | `<eventAt>#<sessionId>#<eventId>` |
//!
//! `get_session` is one Query on the session's partition (events come back sorted by time,
//! then the META item); `get_machine_events` is one Query on the GSI. Nothing scans.
//! Event ids are derived from the event's content, so a retried `add_event` overwrites
//! instead of duplicating.

use lookout_core::deserialize_via_parse;
use std::collections::HashMap;

use aws_sdk_dynamodb::{
    types::{AttributeValue, TransactWriteItem, Update},
    Client,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use lookout_core::{auth::Tenant, config, ddb, time::Timestamp, AppError};

/// Events per `add_event` request.
pub const MAX_EVENTS_PER_REQUEST: usize = 1000;
/// Largest serialised payload of one event.
pub const MAX_PAYLOAD_BYTES: usize = 32 * 1024;
/// Largest id or type string.
pub const MAX_ID_LEN: usize = 256;
/// Most events one `get_machine_events` page returns.
pub const MAX_PAGE: usize = 1000;
/// DynamoDB allows 100 actions per transaction; one is the session update.
const EVENTS_PER_TRANSACTION: usize = 99;
const GSI: &str = "machine-events";

/// A non-empty id of at most [`MAX_ID_LEN`] characters without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Id(String);

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
pub struct OrgId(Value);

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
pub struct Payload(Value);

impl Payload {
    fn to_json(&self) -> String {
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
    pub fn validate(&self) -> Result<(), AppError> {
        if self.events.is_empty() {
            return Err(AppError::validation("events must hold at least one event"));
        }
        if self.events.len() > MAX_EVENTS_PER_REQUEST {
            return Err(AppError::validation(format!(
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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMachineEvents {
    pub machine_id: Id,
    #[serde(default)]
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
    pub event_at: String,
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
    pub start_at: String,
    pub end_at: Option<String>,
    pub events: Vec<EventOut>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MachineEventsOut {
    pub machine_id: String,
    pub events: Vec<EventOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// ---------------------------------------------------------------- storage records

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionRecord {
    pk: String,
    sk: String,
    session_id: String,
    tenant: String,
    user_id: String,
    machine_id: String,
    /// JSON text of the orgId as sent (`null` when absent).
    org_id: String,
    start_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_at: Option<String>,
    created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventRecord {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    session_id: String,
    event_at: String,
    event_type: String,
    /// JSON text of the payload, returned exactly as stored.
    payload: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

impl EventRecord {
    fn into_out(self, with_session: bool) -> EventOut {
        EventOut {
            payload: serde_json::from_str(&self.payload).unwrap_or(Value::String(self.payload)),
            event_at: self.event_at,
            event_type: self.event_type,
            session_id: with_session.then_some(self.session_id),
        }
    }
}

fn session_pk(id: &str) -> String {
    format!("SESSION#{id}")
}

fn machine_pk(tenant: &Tenant, machine: &str) -> String {
    format!("MACHINE#{}#{machine}", tenant.as_str())
}

const META: &str = "META";

/// Content-derived event id: the same event sent twice (a retry) gets the same key.
fn event_id(session: &str, at: &str, event_type: &str, payload: &str, occurrence: usize) -> String {
    let mut h = Sha256::new();
    for part in [session, at, event_type, payload, &occurrence.to_string()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(&h.finalize()[..12])
}

// ---------------------------------------------------------------- the store

/// What the tracker functions need, built once per cold start.
#[derive(Debug, Clone)]
pub struct TrackerStore {
    client: Client,
    table: String,
    retention_days: Option<i64>,
}

impl TrackerStore {
    pub fn new(client: Client, table: impl Into<String>, retention_days: Option<i64>) -> Self {
        Self {
            client,
            table: table.into(),
            retention_days,
        }
    }

    /// `TRACKER_TABLE`, and optional `TRACKER_RETENTION_DAYS` (items expire via TTL).
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        let retention = match config::optional("TRACKER_RETENTION_DAYS") {
            None => None,
            Some(v) => Some(v.parse::<i64>().ok().filter(|d| *d > 0).ok_or_else(|| {
                config::ConfigError("TRACKER_RETENTION_DAYS must be a positive integer".into())
            })?),
        };
        Ok(Self::new(
            client,
            config::required(config::names::TRACKER_TABLE)?,
            retention,
        ))
    }

    fn expires_at(&self) -> Option<i64> {
        self.retention_days
            .map(|d| Timestamp::now().unix_seconds() + d * 86_400)
    }

    pub async fn start_session(
        &self,
        tenant: &Tenant,
        input: StartSession,
    ) -> Result<String, AppError> {
        let id = uuid::Uuid::new_v4().to_string();
        let record = SessionRecord {
            pk: session_pk(&id),
            sk: META.into(),
            session_id: id.clone(),
            tenant: tenant.as_str().to_owned(),
            user_id: input.user_id.0,
            machine_id: input.machine_id.0,
            org_id: input.org_id.map_or(Value::Null, |o| o.0).to_string(),
            start_at: input.start_at.to_rfc3339(),
            end_at: None,
            created_at: Timestamp::now().to_rfc3339(),
            expires_at: self.expires_at(),
        };
        if !ddb::put_new(&self.client, &self.table, &record).await? {
            return Err(AppError::internal("a fresh session id collided"));
        }
        Ok(id)
    }

    async fn load_session(&self, tenant: &Tenant, id: &str) -> Result<SessionRecord, AppError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(session_pk(id)))
            .key("sk", AttributeValue::S(META.into()))
            .consistent_read(true)
            .send()
            .await?;
        match out.item {
            Some(item) => {
                let rec: SessionRecord = serde_dynamo::from_item(item)?;
                if rec.tenant == tenant.as_str() {
                    Ok(rec)
                } else {
                    Err(not_found())
                }
            }
            None => Err(not_found()),
        }
    }

    /// Adds events atomically per chunk of 99: each chunk's transaction also checks that the
    /// session exists, belongs to the caller and has not ended (404 / 409 otherwise).
    pub async fn add_events(&self, tenant: &Tenant, input: AddEvents) -> Result<usize, AppError> {
        input.validate()?;
        let session_id = input.session_id.0;
        // The machine id is needed for the GSI key; reading it also answers 404/409 early.
        let session = self.load_session(tenant, &session_id).await?;
        if session.end_at.is_some() {
            return Err(ended());
        }
        let gsi1pk = machine_pk(tenant, &session.machine_id);
        let expires_at = self.expires_at();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut records = Vec::with_capacity(input.events.len());
        for ev in input.events {
            let at = ev.event_at.to_rfc3339();
            let payload = ev.payload.to_json();
            let base = event_id(&session_id, &at, ev.event_type.as_str(), &payload, 0);
            let occurrence = seen.entry(base).and_modify(|n| *n += 1).or_insert(0);
            let id = event_id(
                &session_id,
                &at,
                ev.event_type.as_str(),
                &payload,
                *occurrence,
            );
            records.push(EventRecord {
                pk: session_pk(&session_id),
                sk: format!("EVENT#{at}#{id}"),
                gsi1pk: gsi1pk.clone(),
                gsi1sk: format!("{at}#{session_id}#{id}"),
                session_id: session_id.clone(),
                event_at: at,
                event_type: ev.event_type.0,
                payload,
                expires_at,
            });
        }
        let count = records.len();
        for chunk in records.chunks(EVENTS_PER_TRANSACTION) {
            let mut items = Vec::with_capacity(chunk.len() + 1);
            items.push(self.touch_open_session(tenant, &session_id, expires_at)?);
            for rec in chunk {
                items.push(ddb::transact_put(&self.table, rec)?);
            }
            let res = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            if let Err(err) = res {
                if ddb::is_conditional_check_failed(&err) {
                    // Ended (or vanished) between our read and this write.
                    let current = self.load_session(tenant, &session_id).await?;
                    if current.end_at.is_some() {
                        return Err(ended());
                    }
                }
                return Err(err.into());
            }
        }
        Ok(count)
    }

    /// The session-side half of an add_event transaction: checks it is open and ours, and
    /// pushes its expiry forward so events never outlive their session.
    fn touch_open_session(
        &self,
        tenant: &Tenant,
        session_id: &str,
        expires_at: Option<i64>,
    ) -> Result<TransactWriteItem, AppError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(session_pk(session_id)))
            .key("sk", AttributeValue::S(META.into()))
            .condition_expression(
                "attribute_exists(pk) AND tenant = :t AND attribute_not_exists(endAt)",
            )
            .expression_attribute_values(":t", AttributeValue::S(tenant.as_str().to_owned()))
            .expression_attribute_values(":now", AttributeValue::S(Timestamp::now().to_rfc3339()));
        update = match expires_at {
            Some(exp) => update
                .update_expression("SET updatedAt = :now, expiresAt = :exp")
                .expression_attribute_values(":exp", AttributeValue::N(exp.to_string())),
            None => update.update_expression("SET updatedAt = :now"),
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(AppError::internal)?)
            .build())
    }

    /// Ends a session: 404 unknown, 409 already ended, 400 when `endAt` precedes `startAt`.
    pub async fn end_session(&self, tenant: &Tenant, input: EndSession) -> Result<(), AppError> {
        let end_at = input.end_at.to_rfc3339();
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(session_pk(input.session_id.as_str())))
            .key("sk", AttributeValue::S(META.into()))
            .update_expression("SET endAt = :e")
            .condition_expression(
                "attribute_exists(pk) AND tenant = :t AND attribute_not_exists(endAt) AND startAt <= :e",
            )
            .expression_attribute_values(":e", AttributeValue::S(end_at))
            .expression_attribute_values(":t", AttributeValue::S(tenant.as_str().to_owned()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(err) if ddb::is_conditional_check_failed(&err) => {
                let current = self.load_session(tenant, input.session_id.as_str()).await?;
                if current.end_at.is_some() {
                    Err(AppError::Conflict("session already ended".into()))
                } else {
                    Err(AppError::validation(format!(
                        "endAt must not precede the session's startAt {}",
                        current.start_at
                    )))
                }
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The session and all its events, sorted by `eventAt`.
    pub async fn get_session(
        &self,
        tenant: &Tenant,
        input: GetSession,
    ) -> Result<SessionOut, AppError> {
        let mut session: Option<SessionRecord> = None;
        let mut events = Vec::new();
        let mut start_key = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(session_pk(input.session_id.as_str())),
                )
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await?;
            for item in out.items.unwrap_or_default() {
                let is_meta = matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == META);
                if is_meta {
                    session = Some(serde_dynamo::from_item(item)?);
                } else {
                    let rec: EventRecord = serde_dynamo::from_item(item)?;
                    events.push(rec.into_out(false));
                }
            }
            start_key = out.last_evaluated_key;
            if start_key.is_none() {
                break;
            }
        }
        let session = session
            .filter(|s| s.tenant == tenant.as_str())
            .ok_or_else(not_found)?;
        Ok(SessionOut {
            session_id: session.session_id,
            user_id: session.user_id,
            machine_id: session.machine_id,
            org_id: serde_json::from_str(&session.org_id).unwrap_or(Value::Null),
            start_at: session.start_at,
            end_at: session.end_at,
            events,
        })
    }

    /// Events of every session of a machine, oldest first, a page at a time.
    pub async fn machine_events(
        &self,
        tenant: &Tenant,
        input: GetMachineEvents,
    ) -> Result<MachineEventsOut, AppError> {
        let limit = input.limit.unwrap_or(MAX_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(AppError::validation(format!(
                "limit must be 1..={MAX_PAGE}"
            )));
        }
        let pk = machine_pk(tenant, input.machine_id.as_str());
        let mut start_key = match input.next_token.as_deref() {
            Some(token) => Some(ddb::decode_page_token(
                token,
                &TOKEN_KEYS,
                ("gsi1pk", &pk),
                "nextToken",
            )?),
            None => None,
        };
        let mut events = Vec::new();
        loop {
            let want = limit - events.len();
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI)
                .key_condition_expression("gsi1pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .limit(i32::try_from(want).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start_key)
                .send()
                .await?;
            for item in out.items.unwrap_or_default() {
                let rec: EventRecord = serde_dynamo::from_item(item)?;
                events.push(rec.into_out(true));
            }
            start_key = out.last_evaluated_key;
            if start_key.is_none() || events.len() >= limit {
                break;
            }
        }
        Ok(MachineEventsOut {
            machine_id: input.machine_id.0,
            events,
            next_token: start_key.map(|k| ddb::encode_page_token(&k, &TOKEN_KEYS)),
        })
    }
}

fn not_found() -> AppError {
    AppError::NotFound("session not found".into())
}

fn ended() -> AppError {
    AppError::Conflict("session has ended; no events can be added".into())
}

const TOKEN_KEYS: [&str; 4] = ["pk", "sk", "gsi1pk", "gsi1sk"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_ids_are_stable_and_distinct() {
        let a = event_id("s", "t", "x", "{}", 0);
        assert_eq!(a, event_id("s", "t", "x", "{}", 0));
        assert_ne!(a, event_id("s", "t", "x", "{}", 1));
        assert_ne!(a, event_id("s", "t", "x", "{\"a\":1}", 0));
        // Length-prefixing keeps field boundaries unambiguous.
        assert_ne!(
            event_id("s", "tx", "", "{}", 0),
            event_id("s", "t", "x", "{}", 0)
        );
    }

    #[test]
    fn input_validation_explains_itself() {
        let err = serde_json::from_value::<StartSession>(
            json!({"userId":"", "machineId":"m", "startAt":"2023-01-01"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("must not be empty"), "{err}");
        let err = serde_json::from_value::<StartSession>(
            json!({"userId":"u", "machineId":"m", "startAt":"2023-01-01", "orgId": [1]}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("orgId"), "{err}");
        let big = "x".repeat(MAX_PAYLOAD_BYTES);
        let err = serde_json::from_value::<NewEvent>(
            json!({"eventAt":"2023-01-01","eventType":"t","payload":{"a":big}}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("payload is"), "{err}");
        let ok = serde_json::from_value::<StartSession>(
            json!({"userId":"u", "machineId":"m", "startAt":"2023-01-01", "orgId": 11232}),
        )
        .unwrap();
        assert_eq!(ok.org_id, Some(OrgId(json!(11232))));
    }

    #[test]
    fn page_tokens_roundtrip_and_are_bound_to_their_query() {
        let key: HashMap<String, AttributeValue> = TOKEN_KEYS
            .iter()
            .map(|k| ((*k).to_owned(), AttributeValue::S(format!("{k}-v"))))
            .chain([("gsi1pk".to_owned(), AttributeValue::S("MACHINE#t#m".into()))])
            .collect();
        let decode =
            |t: &str, pk: &str| ddb::decode_page_token(t, &TOKEN_KEYS, ("gsi1pk", pk), "nextToken");
        let token = ddb::encode_page_token(&key, &TOKEN_KEYS);
        assert_eq!(decode(&token, "MACHINE#t#m").unwrap(), key);
        assert!(decode(&token, "MACHINE#other#m").is_err());
        assert!(decode("zz", "MACHINE#t#m").is_err());
    }
}

/// Clients and settings of the tracker functions, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    pub store: TrackerStore,
    pub keys: lookout_core::auth::ApiKeys,
}

impl Deps {
    pub fn new(client: Client) -> Result<Self, config::ConfigError> {
        Ok(Self {
            store: TrackerStore::from_env(client.clone())?,
            keys: lookout_core::auth::ApiKeys::from_env(client)?,
        })
    }

    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = lookout_core::aws::sdk_config().await;
        Self::new(lookout_core::aws::dynamodb(&sdk))
    }
}
