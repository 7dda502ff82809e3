//! The incidents' DynamoDB store: apps and codes, reports (grouped), history, queries.

use super::*;

#[derive(Debug, Clone)]
pub struct IncidentStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    /// How many Query pages, of how many incidents evaluated each, one listing reads at most.
    pub(crate) read_pages: usize,
    pub(crate) page_items: i32,
}

/// Incidents one Query page of a listing evaluates at most (with a filter, those it does not
/// match count too): with `lookout_core::page::MAX_READ_PAGES`, what one request reads is
/// bounded whatever its filters.
pub const QUERY_PAGE_INCIDENTS: i32 = 100;

impl IncidentStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            read_pages: lookout_core::page::MAX_READ_PAGES,
            page_items: QUERY_PAGE_INCIDENTS,
        }
    }

    /// The same store reading at most `pages` Query pages of `items` incidents each per
    /// listing (tests use small bounds to see them at work on little data).
    pub fn with_read_bounds(mut self, pages: usize, items: i32) -> Self {
        self.read_pages = pages;
        self.page_items = items.max(1);
        self
    }

    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        Ok(Self::new(
            client,
            config::required(config::names::INCIDENTS_TABLE)?,
        ))
    }

    pub(crate) async fn app_record(
        &self,
        name: &AppName,
    ) -> Result<Option<AppRecord>, IncidentsError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(APPS_PK.into()))
            .key("sk", AttributeValue::S(name.as_str().to_owned()))
            .consistent_read(true)
            .send()
            .await?;
        out.item
            .map(|i| serde_dynamo::from_item(i).map_err(IncidentsError::from))
            .transpose()
    }

    /// Registers an app; 409 if the name is taken. The code is returned once.
    pub async fn register_app(&self, input: AppIn) -> Result<AppWithCode, IncidentsError> {
        let code = new_code();
        let now = Timestamp::now();
        let rec = AppRecord {
            pk: APPS_PK.into(),
            sk: input.name.as_str().to_owned(),
            name: input.name.as_str().to_owned(),
            description: input.description.unwrap_or_default(),
            code_sha256: sha256_hex(code.as_bytes()),
            links: AppLinks {
                log_user: input.links.log_user.filter(|v| !v.is_empty()),
                log_process: input.links.log_process.filter(|v| !v.is_empty()),
                heartbeat_tenant: input.links.heartbeat_tenant.filter(|v| !v.is_empty()),
                heartbeat_app_id: input.links.heartbeat_app_id.filter(|v| !v.is_empty()),
            },
            created_at: now,
            updated_at: now,
        };
        if !ddb::put_new(&self.client, &self.table, &rec).await? {
            return Err(IncidentsError::AppExists(input.name.as_str().to_owned()));
        }
        Ok(AppWithCode {
            app: rec.into(),
            code,
        })
    }

    /// Updates description/links (fields given replace the stored ones) and optionally rotates
    /// the code. 404 for an unknown app.
    pub async fn update_app(
        &self,
        input: AppIn,
    ) -> Result<(AppView, Option<String>), IncidentsError> {
        let mut rec = self
            .app_record(&input.name)
            .await?
            .ok_or_else(|| app_not_found(&input.name))?;
        if let Some(d) = input.description {
            rec.description = d;
        }
        let l = input.links;
        for (new, old) in [
            (l.log_user, &mut rec.links.log_user),
            (l.log_process, &mut rec.links.log_process),
            (l.heartbeat_tenant, &mut rec.links.heartbeat_tenant),
            (l.heartbeat_app_id, &mut rec.links.heartbeat_app_id),
        ] {
            if let Some(v) = new {
                *old = (!v.is_empty()).then_some(v);
            }
        }
        let code = input.rotate_code.then(new_code);
        if let Some(c) = &code {
            rec.code_sha256 = sha256_hex(c.as_bytes());
        }
        let previous = rec.updated_at.to_rfc3339();
        rec.updated_at = Timestamp::now();
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(&rec)?))
            .condition_expression("updatedAt = :prev")
            .expression_attribute_values(":prev", AttributeValue::S(previous))
            .send()
            .await;
        match res {
            Ok(_) => Ok((rec.into(), code)),
            Err(e) if ddb::is_conditional_check_failed(&e) => {
                Err(IncidentsError::Changed("the app changed meanwhile; retry"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes an app (its incidents stay). 404 for an unknown app.
    pub async fn delete_app(&self, name: &AppName) -> Result<(), IncidentsError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(APPS_PK.into()))
            .key("sk", AttributeValue::S(name.as_str().to_owned()))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if ddb::is_conditional_check_failed(&e) => Err(app_not_found(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// Every app, by name (one Query on the `APPS` partition).
    pub async fn list_apps(&self) -> Result<Vec<AppView>, IncidentsError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(APPS_PK.into()));
        ddb::query_all(query)
            .await?
            .into_iter()
            .map(|item| {
                Ok(AppView::from(serde_dynamo::from_item::<_, AppRecord>(
                    item,
                )?))
            })
            .collect()
    }

    /// Checks an incident reporter's (app, code): 403 for an unknown app or a wrong code.
    pub async fn authenticate_app(
        &self,
        name: &AppName,
        code: &str,
    ) -> Result<AppView, IncidentsError> {
        let presented = sha256_hex(code.trim().as_bytes());
        match self.app_record(name).await? {
            Some(rec) if ct_eq(presented.as_bytes(), rec.code_sha256.as_bytes()) => Ok(rec.into()),
            _ => Err(IncidentsError::BadCode),
        }
    }

    /// Records an occurrence: groups it into the current unresolved incident with the same
    /// app, title and level, or creates a new one. `enrich` runs only for new incidents.
    pub async fn report<F, Fut>(
        &self,
        input: &NewIncident,
        now: Timestamp,
        enrich: F,
    ) -> Result<(Reported, Option<Incident>), IncidentsError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Enrichment>,
    {
        let body = &input.incident;
        let gpk = group_pk(input.app_name.as_str(), &body.title, body.level);
        let now_s = now.to_rfc3339();
        let mut enrich = Some(enrich);
        let mut enrichment: Option<Enrichment> = None;
        for _ in 0..5 {
            let group = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(gpk.clone()))
                .key("sk", AttributeValue::S("GROUP".into()))
                .consistent_read(true)
                .send()
                .await?
                .item;
            let current = group
                .as_ref()
                .and_then(|g| g.get("currentId"))
                .and_then(|v| v.as_s().ok())
                .cloned();
            // The bump's condition finds out whether the current incident is resolved.
            let mut found = current.as_deref().map(|id| (id, Status::Open));
            if let Some(Grouping::Join(id)) = found.map(|f| next(Some(f))) {
                match self.bump(&id, &now_s).await? {
                    Some(mut grouped) => {
                        grouped.logs_truncated = body.logs.dropped() > 0;
                        return Ok((grouped, None));
                    }
                    None => found = current.as_deref().map(|id| (id, Status::Resolved)),
                }
            }
            let Grouping::Open { previous } = next(found) else {
                continue;
            };
            if enrichment.is_none() {
                enrichment = Some(match enrich.take() {
                    Some(f) => f().await,
                    None => Enrichment::default(),
                });
            }
            let incident = open_incident(input, now, enrichment.clone().unwrap_or_default());
            match self.create(&gpk, previous.as_deref(), &incident).await {
                Ok(()) => {
                    let r = Reported {
                        ok: true,
                        id: incident.id.clone(),
                        status: Status::Open,
                        count: 1,
                        grouped: false,
                        logs_truncated: body.logs.dropped() > 0,
                    };
                    return Ok((r, Some(incident)));
                }
                // Someone moved the group pointer meanwhile: look again.
                Err(CreateError::Raced) => {}
                Err(CreateError::Other(e)) => return Err(e),
            }
        }
        Err(IncidentsError::GroupingRaced)
    }

    /// Adds an occurrence to incident `id` unless it is resolved (then `None`).
    pub(crate) async fn bump(
        &self,
        id: &str,
        now: &str,
    ) -> Result<Option<Reported>, IncidentsError> {
        let sort = format!("{now}#{id}");
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("INC#{id}")))
            .key("sk", AttributeValue::S(META.into()))
            .update_expression(
                "SET #c = #c + :one, last_seen = :now, gsi1sk = :s, gsi2sk = :s, \
                 openpk = :open, opensk = :s",
            )
            .condition_expression("attribute_exists(pk) AND #st <> :resolved")
            .expression_attribute_names("#c", "count")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_owned()))
            .expression_attribute_values(":s", AttributeValue::S(sort))
            .expression_attribute_values(":resolved", AttributeValue::S("resolved".into()))
            .expression_attribute_values(":open", AttributeValue::S(OPEN.into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => {
                let attrs = out.attributes.unwrap_or_default();
                let count = attrs
                    .get("count")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let status = attrs
                    .get("status")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|s| Status::parse(s).ok())
                    .unwrap_or(Status::Open);
                Ok(Some(Reported {
                    ok: true,
                    id: id.to_owned(),
                    status,
                    count,
                    grouped: true,
                    logs_truncated: false,
                }))
            }
            Err(e) if ddb::is_conditional_check_failed(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn create(
        &self,
        gpk: &str,
        previous: Option<&str>,
        incident: &Incident,
    ) -> Result<(), CreateError> {
        let sort = format!("{}#{}", incident.last_seen, incident.id);
        let rec = IncidentRecord {
            pk: format!("INC#{}", incident.id),
            sk: META.into(),
            gsi1pk: format!("APP#{}", incident.app_name),
            gsi1sk: sort.clone(),
            gsi2pk: ALL.into(),
            gsi2sk: sort.clone(),
            openpk: Some(OPEN.into()),
            opensk: Some(sort),
            incident: incident.clone(),
        };
        let item = serde_dynamo::to_item(&rec).map_err(|e| CreateError::Other(e.into()))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| CreateError::Other(e.into()))?;
        let mut group = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(gpk.to_owned()))
            .key("sk", AttributeValue::S("GROUP".into()))
            .update_expression("SET currentId = :new")
            .expression_attribute_values(":new", AttributeValue::S(incident.id.clone()));
        group = match previous {
            Some(prev) => group
                .condition_expression("currentId = :prev")
                .expression_attribute_values(":prev", AttributeValue::S(prev.to_owned())),
            None => group.condition_expression("attribute_not_exists(currentId)"),
        };
        let group = group.build().map_err(|e| CreateError::Other(e.into()))?;
        let res = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(group).build())
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        count_opening(&self.table, incident)
                            .map_err(|e| CreateError::Other(e.into()))?,
                    )
                    .build(),
            )
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if ddb::is_conditional_check_failed(&e) => Err(CreateError::Raced),
            Err(e) => Err(CreateError::Other(e.into())),
        }
    }

    /// Records whether the admin was notified about `id`.
    pub async fn mark_notified(
        &self,
        id: &str,
        error: Option<String>,
    ) -> Result<(), IncidentsError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("INC#{id}")))
            .key("sk", AttributeValue::S(META.into()))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", AttributeValue::Bool(error.is_none()));
        req = match error {
            Some(e) => req
                .update_expression("SET notified = :n, notify_error = :e")
                .expression_attribute_values(":e", AttributeValue::S(e)),
            None => req.update_expression("SET notified = :n REMOVE notify_error"),
        };
        req.send().await?;
        Ok(())
    }

    /// The incident and its history; 404 if unknown.
    pub async fn get(&self, id: &str) -> Result<IncidentDetail, IncidentsError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("INC#{id}")))
            .consistent_read(true);
        let mut incident = None;
        let mut history = Vec::new();
        for item in ddb::query_all(query).await? {
            match item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some(META) => {
                    incident = Some(serde_dynamo::from_item::<_, IncidentRecord>(item)?.incident)
                }
                _ => history.push(serde_dynamo::from_item::<_, ChangeRecord>(item)?.change),
            }
        }
        let incident = incident.ok_or(IncidentsError::IncidentNotFound)?;
        Ok(IncidentDetail { incident, history })
    }

    /// Incidents, most recently seen first, filtered: Query pages on a GSI, at most `limit`
    /// incidents and [`lookout_core::page::MAX_PAGE_BYTES`] of their JSON per page, read in at
    /// most `read_pages` pages of `page_items` evaluated incidents and
    /// [`lookout_core::page::MAX_READ_TIME`]. The next token is there only when more may
    /// follow: a page may hold fewer than `limit` incidents, even none, and still have one.
    pub async fn list(&self, q: IncidentQuery) -> Result<IncidentPage, IncidentsError> {
        let limit = if q.limit == 0 { 50 } else { q.limit };
        if limit > MAX_PAGE {
            return Err(IncidentsError::Invalid(format!(
                "limit must be 1..={MAX_PAGE}"
            )));
        }
        let (index, pk_name, sk_name, pk) = match &q.app {
            Some(app) => (
                "by-app",
                "gsi1pk",
                "gsi1sk",
                format!("APP#{}", app.as_str()),
            ),
            None => ("by-time", "gsi2pk", "gsi2sk", ALL.to_owned()),
        };
        let lo = q.from.map_or_else(|| "0".to_owned(), |t| t.to_rfc3339());
        let hi =
            q.to.map_or_else(|| "~".to_owned(), |t| format!("{}~", t.to_rfc3339()));
        let mut values = HashMap::from([
            (":pk".to_owned(), AttributeValue::S(pk.clone())),
            (":lo".to_owned(), AttributeValue::S(lo.clone())),
            (":hi".to_owned(), AttributeValue::S(hi.clone())),
        ]);
        let mut names = HashMap::new();
        let mut filters = Vec::new();
        if let Some(l) = q.level {
            filters.push("#lv = :lv");
            names.insert("#lv".to_owned(), "level".to_owned());
            values.insert(":lv".into(), AttributeValue::S(l.as_str().into()));
        }
        if let Some(s) = q.status {
            filters.push("#st = :st");
            names.insert("#st".to_owned(), "status".to_owned());
            values.insert(":st".into(), AttributeValue::S(s.as_str().into()));
        }
        let mut start = q
            .next_token
            .as_deref()
            .map(|t| {
                ddb::decode_page_token(
                    t,
                    &["pk", "sk", pk_name, sk_name],
                    (pk_name, &pk),
                    "next_token",
                )
            })
            .transpose()?;
        // A token from a query with other bounds (`from`/`to` changed) would start outside
        // this query's range, which DynamoDB refuses with a 500-worthy ValidationException.
        if let Some(AttributeValue::S(sk)) = start.as_ref().and_then(|k| k.get(sk_name)) {
            if sk.as_str() < lo.as_str() || sk.as_str() > hi.as_str() {
                return Err(IncidentsError::Invalid("next_token is invalid".into()));
            }
        }
        let keys = ["pk", "sk", pk_name, sk_name];
        let mut incidents = Vec::new();
        let mut budget = lookout_core::page::ByteBudget::default();
        let mut reads =
            lookout_core::page::ReadBudget::new(self.read_pages, lookout_core::page::MAX_READ_TIME);
        let mut last = None;
        let mut next_token = None;
        'pages: loop {
            // Unfiltered, every incident evaluated is returned: one more than the page needs
            // then tells whether more follow. A filter may match few of those evaluated: the
            // page's size bounds what one Query reads, the read budget how many run.
            let want = if filters.is_empty() {
                i32::try_from(limit - incidents.len() + 1).unwrap_or(i32::MAX)
            } else {
                self.page_items
            };
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(format!(
                    "{pk_name} = :pk AND {sk_name} BETWEEN :lo AND :hi"
                ))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .limit(want.min(self.page_items).max(1))
                .set_exclusive_start_key(start.take());
            if !filters.is_empty() {
                req = req
                    .filter_expression(filters.join(" AND "))
                    .set_expression_attribute_names(Some(names.clone()));
            }
            let page = req.send().await?;
            for item in page.items.unwrap_or_default() {
                let key: HashMap<String, AttributeValue> = keys
                    .iter()
                    .filter_map(|k| item.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                    .collect();
                let incident = serde_dynamo::from_item::<_, IncidentRecord>(item)?.incident;
                // A page stops at `limit` incidents or at its byte budget, whichever is first;
                // the next one starts after the last incident returned.
                if incidents.len() == limit || !budget.take_json(&incident) {
                    next_token = last.as_ref().map(|k| ddb::encode_page_token(k, &keys));
                    break 'pages;
                }
                incidents.push(incident);
                last = Some(key);
            }
            match page.last_evaluated_key {
                // Read enough for one request (a filter that matches little, a long range):
                // answer with what there is, and go on after the last incident read, every
                // one of which was returned or filtered out.
                Some(k) if reads.spent() => {
                    next_token = Some(ddb::encode_page_token(&k, &keys));
                    break;
                }
                Some(k) => start = Some(k),
                None => break,
            }
        }
        Ok(IncidentPage {
            incidents,
            next_token,
        })
    }
}

pub(crate) enum CreateError {
    Raced,
    Other(IncidentsError),
}

pub(crate) fn app_not_found(name: &AppName) -> IncidentsError {
    IncidentsError::AppNotFound(name.as_str().to_owned())
}
