//! The heartbeats' DynamoDB store: beats, admin changes, listings and the due-index scan.

use super::*;

/// The heartbeat table, built once per cold start.
#[derive(Debug, Clone)]
pub struct HeartbeatStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    /// Apps one tenant may have: a beat or signal of a new app id beyond it is refused (429).
    pub(crate) max_apps: u32,
    /// Alerts one scope (a tenant, an incident app) may send per hour (`budget`).
    pub(crate) alerts_per_hour: u32,
}

impl HeartbeatStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            max_apps: lookout_core::quota::DEFAULT_APPS_PER_TENANT,
            alerts_per_hour: lookout_core::quota::DEFAULT_ALERTS_PER_HOUR,
        }
    }

    /// The same store with another per-tenant app quota (`u32::MAX`: unlimited, not counted).
    pub fn with_max_apps(mut self, max_apps: u32) -> Self {
        self.max_apps = max_apps;
        self
    }

    /// Refuses a new app of `tenant` once the tenant has `max_apps`: a count of its keys in
    /// the `tenant-apps` index, made only when an unknown app id beats (never on the hot path).
    /// The index is eventually consistent, so new apps registered in the same instant may
    /// pass together; the quota bounds a runaway client, not an exact number.
    pub(crate) async fn admit_new_app(&self, tenant: &Tenant) -> Result<(), HeartbeatError> {
        if self.max_apps == u32::MAX {
            // Unlimited (tools that write fixtures): no count.
            return Ok(());
        }
        let max = u64::from(self.max_apps);
        let mut count = 0_u64;
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TENANT_INDEX)
                .key_condition_expression("tenant = :t")
                .expression_attribute_values(":t", AttributeValue::S(tenant.as_str().to_owned()))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            count += u64::try_from(page.count).unwrap_or(0);
            start = page.last_evaluated_key;
            if start.is_none() || count >= max {
                break;
            }
        }
        if count >= max {
            return Err(HeartbeatError::Quota(QuotaExceeded::standing(format!(
                "tenant {} has its {max} heartbeat apps: beat an existing app id, retire apps \
                 no longer run (removed {RETIRED_RETENTION_DAYS} days later), or ask the admin for a \
                 higher QuotaAppsPerTenant",
                tenant.as_str()
            ))));
        }
        Ok(())
    }

    /// `HEARTBEAT_TABLE`.
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        Ok(Self::new(
            client,
            config::required(config::names::HEARTBEAT_TABLE)?,
        ))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whole-item put, conditioned on the version `rec` was derived from (`None`: the item
    /// must not exist yet).
    pub(crate) async fn put_if(
        &self,
        rec: &AppRecord,
        expected: Option<u64>,
    ) -> Result<Put, HeartbeatError> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(rec)?))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        req = match expected {
            None => req.condition_expression("attribute_not_exists(pk)"),
            Some(v) => req
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match req.send().await {
            Ok(_) => Ok(Put::Written),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(e)) => Ok(Put::Conflict(
                    e.item
                        .clone()
                        .map(serde_dynamo::from_item)
                        .transpose()?
                        .map(Box::new),
                )),
                // An outage stays one (503), whatever else a 500.
                _ => Err(StoreError::from(err).into()),
            },
        }
    }

    pub(crate) async fn get(&self, pk: &str) -> Result<Option<AppRecord>, HeartbeatError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .consistent_read(true)
            .send()
            .await?;
        Ok(out.item.map(serde_dynamo::from_item).transpose()?)
    }

    /// One app's current state as the admin sees it; `None` if it never beat nor was registered.
    pub async fn app_view(
        &self,
        tenant: &str,
        app_id: &AppId,
    ) -> Result<Option<AppView>, HeartbeatError> {
        Ok(self
            .get(&app_pk(tenant, app_id.as_str()))
            .await?
            .map(|r| r.view()))
    }

    /// Records a heartbeat of the caller's app, registering unknown apps with the defaults.
    ///
    /// The common case (an `up` app without an unsent mail) is one UpdateItem. Anything else
    /// (new app, recovery, paused/retired, unsent mail) is decided from the current item that
    /// the failed condition returns, and written with a versioned put.
    pub async fn heartbeat(
        &self,
        tenant: &Tenant,
        beat: &HeartbeatIn,
        now: Timestamp,
    ) -> Result<Beaten, HeartbeatError> {
        let pk = app_pk(tenant.as_str(), beat.app_id.as_str());
        let mut current = match self.fast_beat(&pk, beat, now).await? {
            FastBeat::Done(rec) => {
                return Ok(Beaten {
                    reply: rec.heartbeat_reply(now),
                    mail: None,
                })
            }
            FastBeat::NotApplicable(current) => current,
        };
        if current.is_none() {
            self.admit_new_app(tenant).await?;
        }
        for _ in 0..MAX_CAS_ATTEMPTS {
            let BeatStep {
                rec: new,
                expected,
                recovered,
            } = on_beat(current.as_deref(), tenant, beat, now);
            match self.put_if(&new, expected).await? {
                Put::Written => {
                    return Ok(Beaten {
                        reply: new.heartbeat_reply(now),
                        mail: if recovered { new.pending() } else { None },
                    })
                }
                Put::Conflict(now_stored) => current = now_stored,
            }
        }
        Err(HeartbeatError::Contention)
    }

    /// Records a job signal of the caller's app (registering unknown apps with the defaults);
    /// returns the reply and the transition mail to send, if it made one.
    pub async fn signal(
        &self,
        tenant: &Tenant,
        kind: SignalKind,
        input: &SignalIn,
        now: Timestamp,
    ) -> Result<(SignalReply, Option<PendingMail>), HeartbeatError> {
        input.validate(kind, now)?;
        let pk = app_pk(tenant.as_str(), input.app_id.as_str());
        let mut current = self.get(&pk).await?.map(Box::new);
        if current.is_none() {
            self.admit_new_app(tenant).await?;
        }
        for _ in 0..MAX_CAS_ATTEMPTS {
            let step = on_signal(current.as_deref(), tenant, kind, input, now);
            match self.put_if(&step.rec, step.expected).await? {
                Put::Written => {
                    let rec = &step.rec;
                    let reply = SignalReply {
                        status: "ok".into(),
                        app_id: rec.app_id().to_json(),
                        signal: kind.as_str().to_owned(),
                        run_id: step.run_id.clone(),
                        run: step.run.clone(),
                        state: rec.state,
                        received_at: now,
                        due_by: (rec.state == AppState::Up).then(|| from_millis(rec.deadline)),
                        snoozed_until: rec.snoozed_until,
                    };
                    let mail = if step.mailed { rec.pending() } else { None };
                    return Ok((reply, mail));
                }
                Put::Conflict(now_stored) => current = now_stored,
            }
        }
        Err(HeartbeatError::Contention)
    }

    /// The one-write path for an `up` app without an unsent mail.
    pub(crate) async fn fast_beat(
        &self,
        pk: &str,
        beat: &HeartbeatIn,
        now: Timestamp,
    ) -> Result<FastBeat, HeartbeatError> {
        let mut expr = "SET lastBeatAt = :now, beats = beats + :one, version = version + :one, \
                        deadline = :nowms + windowMs, dueAt = :nowms + windowMs, \
                        watchAt = :nowms + lateMs"
            .to_owned();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            // Schedules, open runs, snoozes and held alerts move the deadline or the due time in
            // ways this expression does not know, and items from before `lateMs` lack it: those
            // take the versioned path (which writes the whole item).
            .condition_expression(
                "#st = :up AND attribute_not_exists(outbox) AND attribute_not_exists(cron) \
                 AND attribute_not_exists(openRuns) AND attribute_not_exists(snoozedUntil) \
                 AND attribute_exists(lateMs) AND attribute_not_exists(holdUntil)",
            )
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":up", AttributeValue::S("up".into()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
            .expression_attribute_values(":nowms", AttributeValue::N(millis(now).to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match &beat.message {
            Some(m) => {
                expr.push_str(", lastMessage = :msg");
                req = req.expression_attribute_values(":msg", AttributeValue::S(m.0.clone()));
            }
            None => expr.push_str(" REMOVE lastMessage"),
        }
        match req.update_expression(expr).send().await {
            Ok(out) => {
                let item = out
                    .attributes
                    .ok_or_else(|| StoreError::invariant("UpdateItem returned no attributes"))?;
                Ok(FastBeat::Done(Box::new(serde_dynamo::from_item(item)?)))
            }
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(e)) => {
                    Ok(FastBeat::NotApplicable(
                        e.item
                            .clone()
                            .map(serde_dynamo::from_item)
                            .transpose()?
                            .map(Box::new),
                    ))
                }
                _ => Err(StoreError::from(err).into()),
            },
        }
    }

    pub(crate) async fn clear_outbox(&self, mail: &PendingMail) -> Result<(), HeartbeatError> {
        let mut current = Some(Box::new(mail.written.clone()));
        for _ in 0..MAX_CAS_ATTEMPTS {
            let Some(old) = current else { return Ok(()) };
            let Some(rec) = mail_sent(&old, mail.seq) else {
                return Ok(());
            };
            match self.put_if(&rec, Some(old.version)).await? {
                Put::Written => return Ok(()),
                Put::Conflict(now_stored) => current = now_stored,
            }
        }
        Err(HeartbeatError::Contention)
    }

    // ------------------------------------------------------------ scanner

    /// One scanner run at `now`: queries each shard of the `due` index for `dueAt <= now`,
    /// marks silent `up` apps `down` and mails the admin, and resends mails whose sender died.
    /// Failures are counted in the report and logged; they never stop the run.
    pub async fn scan(&self, to: Notify<'_>, now: Timestamp) -> ScanReport {
        // On the heap: a run's state (its due apps, ingestion check, digests) is large, and
        // callers await it on small stacks.
        Box::pin(self.scan_run(to, now)).await
    }

    async fn scan_run(&self, to: Notify<'_>, now: Timestamp) -> ScanReport {
        let mut report = ScanReport {
            now: now.to_rfc3339(),
            ..ScanReport::default()
        };
        let mut pending = Vec::new();
        let mut due = Vec::new();
        let mut budgets = Vec::new();
        'shards: for shard in 0..DUE_SHARDS {
            let shard = format!("DUE#{shard}");
            let mut start = None;
            loop {
                let page = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(DUE_INDEX)
                    .key_condition_expression("dueShard = :s AND dueAt <= :now")
                    .expression_attribute_values(":s", AttributeValue::S(shard.clone()))
                    .expression_attribute_values(":now", AttributeValue::N(millis(now).to_string()))
                    .limit(QUERY_PAGE)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .set_exclusive_start_key(start)
                    .send()
                    .await;
                let page = match page {
                    Ok(p) => p,
                    Err(err) => {
                        report.errors += 1;
                        tracing::error!(shard, error = %lookout_core::error::error_chain(&err), "due query failed");
                        continue 'shards;
                    }
                };
                report.queries += 1;
                report.items_read += u64::try_from(page.scanned_count).unwrap_or(0);
                report.read_capacity += page
                    .consumed_capacity
                    .as_ref()
                    .and_then(|c| c.capacity_units)
                    .unwrap_or(0.0);
                let items = page.items.unwrap_or_default();
                for item in items {
                    if matches!(item.get("pk"), Some(AttributeValue::S(pk)) if is_budget_pk(pk)) {
                        budgets.push(item);
                        continue;
                    }
                    if usize::try_from(report.due).unwrap_or(usize::MAX) >= MAX_DUE_PER_RUN {
                        report.truncated = true;
                        break 'shards;
                    }
                    report.due += 1;
                    let rec: Result<AppRecord, _> = serde_dynamo::from_item(item);
                    match rec {
                        Ok(rec) => due.push(rec),
                        Err(err) => {
                            report.errors += 1;
                            tracing::error!(error = %err, "unreadable heartbeat item");
                        }
                    }
                }
                start = page.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        // Many apps silent at once may be heartbeats that could not reach us, not outages
        // (see `ingestion`): their DOWN transitions are then held, or rearmed on recovery.
        let silent: Vec<&AppRecord> = due.iter().filter(|r| goes_down(r, now)).collect();
        let (ingestion, health) = self.judge_ingestion(&silent, now, &mut report).await;
        for rec in due {
            match ingestion {
                Ingestion::Hold if goes_down(&rec, now) => {
                    report.held += 1;
                    continue;
                }
                Ingestion::Recovered if goes_down(&rec, now) => {
                    self.rearm_silent(rec, now, &mut report).await;
                    continue;
                }
                _ => {}
            }
            if let Some(mail) = self.handle_due(rec, now, &mut report).await {
                pending.push(mail);
            }
        }
        self.announce(to, pending, &mut report).await;
        self.notify_ingestion(to, health, &mut report).await;
        for item in budgets {
            self.send_budget_digest(to, item, &mut report).await;
        }
        report
    }

    /// Acts on one due app; returns the transition mail to announce, if any. `snapshot` comes
    /// from the index (eventually consistent): every decision is written conditioned on its
    /// version, and re-decided from the current item when that fails, so concurrent runs (and
    /// heartbeats) never both win.
    pub(crate) async fn handle_due(
        &self,
        snapshot: AppRecord,
        now: Timestamp,
        report: &mut ScanReport,
    ) -> Option<PendingMail> {
        let mut current = Some(Box::new(snapshot));
        for _ in 0..MAX_CAS_ATTEMPTS {
            let old = current.take()?;
            let step = on_due(&old, now);
            let retry = matches!(step, DueStep::RetryMail(_));
            let (rec, went_down) = match step {
                DueStep::Nothing => return None,
                DueStep::WentDown(rec) => (rec, true),
                DueStep::RetryMail(rec) => (rec, false),
                DueStep::Settle(rec) => (rec, false),
                DueStep::DropMail(rec) => {
                    tracing::error!(app = %old.pk, outbox = ?old.outbox, "giving up on a transition mail");
                    (rec, false)
                }
                DueStep::Rearm(rec) => (rec, false),
            };
            match self.put_if(&rec, Some(old.version)).await {
                Ok(Put::Written) => {}
                Ok(Put::Conflict(now_stored)) => {
                    report.conflicts += 1;
                    current = now_stored;
                    continue;
                }
                Err(err) => {
                    report.errors += 1;
                    tracing::error!(app = %old.pk, error = %lookout_core::error::error_chain(&err), "scanner write failed");
                    return None;
                }
            }
            // Announced by this step (a transition, a settled cooldown, a retry), not a mail
            // that another writer still holds the lease of.
            let fresh = rec.outbox.as_ref().is_some_and(|o| o.seq == rec.version);
            if went_down {
                report.went_down += 1;
            } else if retry {
                report.retried += 1;
            } else if old.outbox.is_some() && rec.outbox.is_none() {
                report.mails_dropped += 1;
            }
            return if retry || fresh { rec.pending() } else { None };
        }
        report.errors += 1;
        tracing::error!("too many conflicts on one due app");
        None
    }

    // ------------------------------------------------------------ admin

    /// Registers an app (no action: created with the given or default settings when missing)
    /// or changes its settings and state. Returns the app and whether it was created.
    pub async fn admin_update(
        &self,
        input: &AdminAppIn,
        now: Timestamp,
    ) -> Result<(AppView, bool), HeartbeatError> {
        input.validate()?;
        let pk = app_pk(input.tenant.as_str(), input.app_id.as_str());
        let mut current = self.get(&pk).await?.map(Box::new);
        for _ in 0..MAX_CAS_ATTEMPTS {
            let (rec, expected) = match current {
                None if input.action.is_some() => {
                    return Err(HeartbeatError::NotRegistered {
                        tenant: input.tenant.as_str().to_owned(),
                        app_id: input.app_id.to_string(),
                    })
                }
                None => {
                    let mut rec = AppRecord::new(
                        &input.tenant,
                        &input.app_id,
                        now,
                        input.period_seconds.unwrap_or(DEFAULT_PERIOD_SECONDS),
                        input.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS),
                    );
                    input.apply_settings(&mut rec)?;
                    rec.deadline = rec.next_deadline(now);
                    rec.refresh_due();
                    (rec, None)
                }
                Some(old) => {
                    let mut rec = (*old).clone();
                    rec.version += 1;
                    apply_admin(&mut rec, input, now)?;
                    rec.refresh_due();
                    (rec, Some(old.version))
                }
            };
            match self.put_if(&rec, expected).await? {
                Put::Written => return Ok((rec.view(), expected.is_none())),
                Put::Conflict(now_stored) => current = now_stored,
            }
        }
        Err(HeartbeatError::Contention)
    }

    /// One page of a tenant's apps, ordered by app id.
    pub async fn list(&self, q: &ListQuery) -> Result<AppList, HeartbeatError> {
        let tenant = q.tenant.as_str();
        let start = q
            .next_token
            .as_deref()
            .map(|t| {
                lookout_core::ddb::decode_page_token(
                    t,
                    &TOKEN_KEYS,
                    ("tenant", tenant),
                    "next_token",
                )
            })
            .transpose()?;
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(TENANT_INDEX)
            .key_condition_expression("tenant = :t")
            .expression_attribute_values(":t", AttributeValue::S(tenant.to_owned()))
            .limit(i32::try_from(q.limit).unwrap_or(QUERY_PAGE))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        let pks: Vec<String> = page
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|mut item| match item.remove("pk") {
                Some(AttributeValue::S(pk)) => Some(pk),
                _ => None,
            })
            .collect();
        let mut records = self.batch_get(&pks).await?;
        let apps = pks
            .iter()
            .filter_map(|pk| records.remove(pk))
            .filter(|r| q.state.is_none_or(|s| r.state == s))
            .map(|r| r.view())
            .collect();
        Ok(AppList {
            tenant: tenant.to_owned(),
            apps,
            next_token: page
                .last_evaluated_key
                .map(|k| lookout_core::ddb::encode_page_token(&k, &TOKEN_KEYS)),
        })
    }

    pub(crate) async fn batch_get(
        &self,
        pks: &[String],
    ) -> Result<HashMap<String, AppRecord>, HeartbeatError> {
        let mut out = HashMap::new();
        if pks.is_empty() {
            return Ok(out);
        }
        let keys = pks
            .iter()
            .map(|pk| HashMap::from([("pk".to_owned(), AttributeValue::S(pk.clone()))]))
            .collect::<Vec<_>>();
        for item in lookout_core::ddb::batch_get_all(&self.client, &self.table, keys).await? {
            let rec: AppRecord = serde_dynamo::from_item(item)?;
            out.insert(rec.pk.clone(), rec);
        }
        Ok(out)
    }
}

/// Sends a transition mail through the admin mailer port.
pub(crate) async fn send_mail(
    admin: &dyn AdminMailer,
    mail: &PendingMail,
) -> Result<(), HeartbeatError> {
    admin.send_admin(&mail.subject, &mail.body).await?;
    tracing::info!(
        app = %mail.written.pk,
        kind = ?mail.kind,
        seq = mail.seq,
        "transition mail sent"
    );
    Ok(())
}

pub(crate) const TOKEN_KEYS: [&str; 3] = ["pk", "tenant", "appId"];
