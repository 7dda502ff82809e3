//! The tracker's DynamoDB store.

use super::*;

/// What the tracker functions need, built once per cold start.
#[derive(Debug, Clone)]
pub struct TrackerStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    pub(crate) retention_days: Option<i64>,
    /// The per-tenant daily quota of events and bytes (`quota`).
    pub(crate) quota: TrackerQuota,
}

impl TrackerStore {
    pub fn new(client: Client, table: impl Into<String>, retention_days: Option<i64>) -> Self {
        Self {
            client,
            table: table.into(),
            retention_days,
            quota: TrackerQuota::default(),
        }
    }

    /// The same store with another daily quota.
    pub fn with_quota(mut self, quota: TrackerQuota) -> Self {
        self.quota = quota;
        self
    }

    /// `TRACKER_TABLE`, and optional `TRACKER_RETENTION_DAYS` (items expire via TTL).
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        let retention = match config::optional(config::names::TRACKER_RETENTION_DAYS) {
            None => None,
            Some(_) => Some(config::retention_days(
                config::names::TRACKER_RETENTION_DAYS,
                0,
            )?),
        };
        Ok(Self::new(
            client,
            config::required(config::names::TRACKER_TABLE)?,
            retention,
        ))
    }

    pub(crate) fn expires_at(&self) -> Option<i64> {
        self.retention_days
            .map(|d| Timestamp::now().unix_seconds() + d * 86_400)
    }

    pub async fn start_session(
        &self,
        tenant: &Tenant,
        input: StartSession,
    ) -> Result<String, TrackerError> {
        let id = uuid::Uuid::new_v4().to_string();
        let record = SessionRecord {
            pk: session_pk(&id),
            sk: META.into(),
            session_id: id.clone(),
            tenant: tenant.as_str().to_owned(),
            user_id: input.user_id.0,
            machine_id: input.machine_id.0,
            org_id: input.org_id.map_or(Value::Null, |o| o.0).to_string(),
            start_at: input.start_at,
            end_at: None,
            created_at: Timestamp::now(),
            expires_at: self.expires_at(),
        };
        if !ddb::put_new(&self.client, &self.table, &record).await? {
            return Err(StoreError::invariant("a fresh session id collided").into());
        }
        Ok(id)
    }

    pub(crate) async fn load_session(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<SessionRecord, TrackerError> {
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
                    Err(TrackerError::SessionNotFound)
                }
            }
            None => Err(TrackerError::SessionNotFound),
        }
    }

    /// Adds events atomically per chunk of 99: each chunk's transaction also checks that the
    /// session exists, belongs to the caller and has not ended (404 / 409 otherwise).
    pub async fn add_events(
        &self,
        tenant: &Tenant,
        input: AddEvents,
    ) -> Result<usize, TrackerError> {
        input.validate()?;
        let session_id = input.session_id.0;
        // The machine id is needed for the GSI key; reading it also answers 404/409 early.
        let session = self.load_session(tenant, &session_id).await?;
        if session.end_at.is_some() {
            return Err(TrackerError::SessionEnded);
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
                event_at: ev.event_at,
                event_type: ev.event_type.0,
                payload,
                expires_at,
            });
        }
        let count = records.len();
        // The day's quota: what is stored, counted in each chunk's transaction.
        let now = Timestamp::now();
        let usage_of = |recs: &[EventRecord]| Usage {
            events: u64::try_from(recs.len()).unwrap_or(u64::MAX),
            bytes: recs.iter().map(stored_bytes).sum(),
        };
        self.quota.check_size(tenant, usage_of(&records), now)?;
        if records.len() > EVENTS_PER_TRANSACTION {
            self.check_room(tenant, usage_of(&records), now).await?;
        }
        for chunk in records.chunks(EVENTS_PER_TRANSACTION) {
            let mut items = Vec::with_capacity(chunk.len() + 2);
            items.push(self.touch_open_session(tenant, &session_id, expires_at)?);
            items.push(self.count_usage(tenant, usage_of(chunk), now)?);
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
                if refused_by_counter(&ddb::cancellation_reasons(&err), 1) {
                    return Err(TrackerError::Quota(self.quota.exceeded(tenant, now)));
                }
                if ddb::is_conditional_check_failed(&err) {
                    // Ended (or vanished) between our read and this write.
                    let current = self.load_session(tenant, &session_id).await?;
                    if current.end_at.is_some() {
                        return Err(TrackerError::SessionEnded);
                    }
                }
                return Err(err.into());
            }
        }
        Ok(count)
    }

    /// The session-side half of an add_event transaction: checks it is open and ours, and
    /// pushes its expiry forward so events never outlive their session.
    pub(crate) fn touch_open_session(
        &self,
        tenant: &Tenant,
        session_id: &str,
        expires_at: Option<i64>,
    ) -> Result<TransactWriteItem, TrackerError> {
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
            .update(update.build().map_err(StoreError::from)?)
            .build())
    }

    /// Ends a session: 404 unknown, 409 already ended, 400 when `endAt` precedes `startAt`.
    pub async fn end_session(
        &self,
        tenant: &Tenant,
        input: EndSession,
    ) -> Result<(), TrackerError> {
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
                    Err(TrackerError::AlreadyEnded)
                } else {
                    Err(TrackerError::Invalid(format!(
                        "endAt must not precede the session's startAt {}",
                        current.start_at
                    )))
                }
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The session and its events sorted by `eventAt`, a page at a time: at most `limit`
    /// events (default and most [`MAX_PAGE`]) and [`page::MAX_PAGE_BYTES`] of them.
    pub async fn get_session(
        &self,
        tenant: &Tenant,
        input: GetSession,
    ) -> Result<SessionOut, TrackerError> {
        let limit = page_limit(input.limit)?;
        let pk = session_pk(input.session_id.as_str());
        let mut start_key = match input.next_token.as_deref() {
            Some(token) => Some(ddb::decode_page_token(
                token,
                &SESSION_TOKEN_KEYS,
                ("pk", &pk),
                "nextToken",
            )?),
            None => None,
        };
        let mut session: Option<SessionRecord> = None;
        let mut events = Vec::new();
        let mut budget = page::ByteBudget::default();
        let mut last: Option<HashMap<String, AttributeValue>> = None;
        let mut next_token = None;
        // Events sort before the session's own item (`EVENT#…` < `META`), so a page that ends
        // early has not read it: it is then read on its own.
        'pages: loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await?;
            for item in out.items.unwrap_or_default() {
                let is_meta = matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == META);
                if is_meta {
                    session = Some(serde_dynamo::from_item(item)?);
                    continue;
                }
                let key = key_of(&item, &SESSION_TOKEN_KEYS);
                let rec: EventRecord = serde_dynamo::from_item(item)?;
                let event = rec.into_out(false);
                if events.len() == limit || !budget.take_json(&event) {
                    next_token = last
                        .as_ref()
                        .map(|k| ddb::encode_page_token(k, &SESSION_TOKEN_KEYS));
                    break 'pages;
                }
                events.push(event);
                last = Some(key);
            }
            start_key = out.last_evaluated_key;
            if start_key.is_none() {
                break;
            }
        }
        let session = match session {
            Some(s) => Some(s),
            None => self.session_item(&pk).await?,
        };
        let session = session
            .filter(|s| s.tenant == tenant.as_str())
            .ok_or(TrackerError::SessionNotFound)?;
        Ok(SessionOut {
            session_id: session.session_id,
            user_id: session.user_id,
            machine_id: session.machine_id,
            org_id: serde_json::from_str(&session.org_id).unwrap_or(Value::Null),
            start_at: session.start_at,
            end_at: session.end_at,
            events,
            next_token,
        })
    }

    /// The session's own item, by a Query of its one key (the function may only Query).
    async fn session_item(&self, pk: &str) -> Result<Option<SessionRecord>, TrackerError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk = :meta")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .expression_attribute_values(":meta", AttributeValue::S(META.into()))
            .consistent_read(true)
            .send()
            .await?;
        match out.items.unwrap_or_default().into_iter().next() {
            Some(item) => Ok(Some(serde_dynamo::from_item(item)?)),
            None => Ok(None),
        }
    }

    /// Events of every session of a machine, oldest first, a page at a time: at most `limit`
    /// events (default and most [`MAX_PAGE`]) and [`page::MAX_PAGE_BYTES`] of them.
    pub async fn machine_events(
        &self,
        tenant: &Tenant,
        input: GetMachineEvents,
    ) -> Result<MachineEventsOut, TrackerError> {
        let limit = page_limit(input.limit)?;
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
        let mut budget = page::ByteBudget::default();
        let mut last: Option<HashMap<String, AttributeValue>> = None;
        let mut next_token = None;
        'pages: loop {
            // One more than the page needs: a full page then knows whether more follow.
            let want = limit - events.len() + 1;
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
                let key = key_of(&item, &TOKEN_KEYS);
                let rec: EventRecord = serde_dynamo::from_item(item)?;
                let event = rec.into_out(true);
                if events.len() == limit || !budget.take_json(&event) {
                    next_token = last
                        .as_ref()
                        .map(|k| ddb::encode_page_token(k, &TOKEN_KEYS));
                    break 'pages;
                }
                events.push(event);
                last = Some(key);
            }
            start_key = out.last_evaluated_key;
            if start_key.is_none() {
                break;
            }
        }
        Ok(MachineEventsOut {
            machine_id: input.machine_id.0,
            events,
            next_token,
        })
    }
}

/// A page's `limit`: 1..=[`MAX_PAGE`], [`MAX_PAGE`] when absent.
fn page_limit(limit: Option<usize>) -> Result<usize, TrackerError> {
    let limit = limit.unwrap_or(MAX_PAGE);
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(TrackerError::Invalid(format!(
            "limit must be 1..={MAX_PAGE}"
        )))
    }
}

/// The key attributes `names` of a stored item (for a page token after it).
fn key_of(
    item: &HashMap<String, AttributeValue>,
    names: &[&str],
) -> HashMap<String, AttributeValue> {
    names
        .iter()
        .filter_map(|n| item.get(*n).map(|v| ((*n).to_owned(), v.clone())))
        .collect()
}

pub(crate) const SESSION_TOKEN_KEYS: [&str; 2] = ["pk", "sk"];
pub(crate) const TOKEN_KEYS: [&str; 4] = ["pk", "sk", "gsi1pk", "gsi1sk"];

/// An event's size as stored (its item's JSON: close to DynamoDB's item size).
fn stored_bytes(rec: &EventRecord) -> u64 {
    u64::try_from(lookout_core::page::json_len(rec)).unwrap_or(u64::MAX)
}
