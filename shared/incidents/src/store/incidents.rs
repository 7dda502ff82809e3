//! The incident items: each incident (`INC#<id>` / `META`, on the `by-app`, `by-time` and,
//! while unresolved, `open` indexes) with its history (`INC#<id>` / `HIST#…`). The port
//! [`Incidents`] and its DynamoDB adapter [`IncidentRecordStore`].

use std::collections::HashMap;
use std::fmt::Debug;

use aws_sdk_dynamodb::{
    types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update},
    Client,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use lookout_core::{
    ddb::{self, Next},
    page::{ByteBudget, ReadBudget, MAX_READ_PAGES, MAX_READ_TIME},
    time::Timestamp,
    BoxFuture,
};

use crate::error::IncidentError;
use crate::input::{IncidentQuery, Status, MAX_PAGE};
use crate::records::{Change, Incident, IncidentDetail, IncidentPage, Reported};
use crate::store::groups::repoint;
use crate::store::overview::count_opening;

const META: &str = "META";
/// The partition of the `by-time` index.
const ALL: &str = "INCIDENTS";
/// The partition of the sparse `open` index (the overview).
pub(crate) const OPEN: &str = "OPEN";

/// Incidents one Query page of a listing evaluates at most (with a filter, those it does not
/// match count too): with [`MAX_READ_PAGES`], what one request reads is bounded whatever its
/// filters.
const QUERY_PAGE_INCIDENTS: i32 = 100;

/// The incidents, each with its history.
pub trait Incidents: Send + Sync + Debug {
    /// The incident and its history, oldest change first; [`IncidentError::IncidentNotFound`]
    /// if unknown.
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<IncidentDetail, IncidentError>>;

    /// Adds an occurrence at `now` to incident `id` (its count and `last_seen`) unless it is
    /// resolved or unknown (then `None`).
    fn bump<'a>(
        &'a self,
        id: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Option<Reported>, IncidentError>>;

    /// Stores a new incident, points its group `group` at it and counts the opening in the
    /// day's volume, all or nothing, provided the incident is new and the group still points
    /// at `previous` (or at nothing): `false` when not (someone moved the group meanwhile).
    fn create<'a>(
        &'a self,
        incident: &'a Incident,
        group: &'a str,
        previous: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, IncidentError>>;

    /// Writes `changes` (of `status`, `assignee`, `notes`) to `current` and appends them to
    /// its history, atomically, as version `version`, provided the incident is as read (its
    /// `version`, `last_seen` and `count`): [`IncidentError::Changed`] otherwise. A resolved
    /// incident leaves the overview's unresolved ones; any other `status` brings it back.
    fn change<'a>(
        &'a self,
        current: &'a Incident,
        changes: &'a [Change],
        status: Option<Status>,
        version: u64,
    ) -> BoxFuture<'a, Result<(), IncidentError>>;

    /// Records whether the admin was notified about `id` (`error`: why not); an unknown
    /// incident fails as a store error.
    fn mark_notified<'a>(
        &'a self,
        id: &'a str,
        error: Option<String>,
    ) -> BoxFuture<'a, Result<(), IncidentError>>;

    /// Incidents, most recently seen first, filtered by `q`, a page at a time (a page may hold
    /// fewer than `q.limit`, and still have a next token); [`IncidentError::Invalid`] for a
    /// limit over [`MAX_PAGE`] or a token not of this query.
    fn list(&self, q: IncidentQuery) -> BoxFuture<'_, Result<IncidentPage, IncidentError>>;
}

#[derive(Debug, Serialize, Deserialize)]
struct IncidentRecord {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    gsi2pk: String,
    gsi2sk: String,
    /// The sparse `open` index (the overview): set while the incident is not resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    openpk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    opensk: Option<String>,
    #[serde(flatten)]
    incident: Incident,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChangeRecord {
    pk: String,
    sk: String,
    #[serde(flatten)]
    change: Change,
}

fn incident_pk(id: &str) -> String {
    format!("INC#{id}")
}

/// The sort key of the `n`th history entry made by version `version`: entries sort by time,
/// and two changes in one millisecond never collide.
pub(crate) fn history_sk(change: &Change, version: u64, n: usize) -> String {
    format!("HIST#{}#v{version:010}#{n:02}", change.at)
}

/// Where an incident sorts in the listings and the `open` index: by `last_seen`, then id.
pub(crate) fn activity_sk(last_seen: Timestamp, id: &str) -> String {
    format!("{last_seen}#{id}")
}

/// The incidents in DynamoDB.
#[derive(Debug, Clone)]
pub struct IncidentRecordStore {
    client: Client,
    table: String,
    /// How many Query pages, of how many incidents evaluated each, one listing reads at most.
    read_pages: usize,
    page_items: i32,
}

impl IncidentRecordStore {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self {
            client,
            table,
            read_pages: MAX_READ_PAGES,
            page_items: QUERY_PAGE_INCIDENTS,
        }
    }

    /// The same store reading at most `pages` Query pages of `items` incidents each per
    /// listing (tests use small bounds to see them at work on little data).
    pub(crate) fn with_read_bounds(mut self, pages: usize, items: i32) -> Self {
        self.read_pages = pages;
        self.page_items = items.max(1);
        self
    }

    /// Adds an occurrence at `now` to incident `id` unless it is resolved (then `None`).
    pub(crate) async fn bump(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<Reported>, IncidentError> {
        let sort = activity_sk(now, id);
        let now = now.to_rfc3339();
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(incident_pk(id)))
            .key("sk", AttributeValue::S(META.into()))
            .update_expression(
                "SET #c = #c + :one, last_seen = :now, gsi1sk = :s, gsi2sk = :s, \
                 openpk = :open, opensk = :s",
            )
            .condition_expression("attribute_exists(pk) AND #st <> :resolved")
            .expression_attribute_names("#c", "count")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":now", AttributeValue::S(now))
            .expression_attribute_values(":s", AttributeValue::S(sort))
            .expression_attribute_values(":resolved", AttributeValue::S("resolved".into()))
            .expression_attribute_values(":open", AttributeValue::S(OPEN.into()))
            .return_values(ReturnValue::AllNew)
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

    /// Stores a new incident together with its group's pointer and the day's counter, all or
    /// nothing. `false` when a condition failed: someone moved the group meanwhile.
    pub(crate) async fn create(
        &self,
        incident: &Incident,
        group: &str,
        previous: Option<&str>,
    ) -> Result<bool, IncidentError> {
        let sort = activity_sk(incident.last_seen, &incident.id);
        let rec = IncidentRecord {
            pk: incident_pk(&incident.id),
            sk: META.into(),
            gsi1pk: format!("APP#{}", incident.app_name),
            gsi1sk: sort.clone(),
            gsi2pk: ALL.into(),
            gsi2sk: sort.clone(),
            openpk: Some(OPEN.into()),
            opensk: Some(sort),
            incident: incident.clone(),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(&rec)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            repoint(&self.table, group, previous, &incident.id)?,
            count_opening(&self.table, incident)?,
        ];
        self.transact(items).await
    }

    /// Records whether the admin was notified about `id` (`error`: why not).
    pub(crate) async fn mark_notified(
        &self,
        id: &str,
        error: Option<String>,
    ) -> Result<(), IncidentError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(incident_pk(id)))
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

    /// The incident and its history; [`IncidentError::IncidentNotFound`] if unknown.
    pub async fn get(&self, id: &str) -> Result<IncidentDetail, IncidentError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(incident_pk(id)))
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
        let incident = incident.ok_or(IncidentError::IncidentNotFound)?;
        Ok(IncidentDetail { incident, history })
    }

    /// Writes `changes` to `current` and appends them to its history, atomically, as version
    /// `version`, conditioned on the incident being as read (its `version`, `last_seen` and
    /// `count`: [`IncidentError::Changed`] otherwise). A `status` given keeps the `open` index
    /// in step (resolved: out of it; otherwise in, which also brings in incidents written
    /// before the index existed). Each history entry is keyed by the version it made, so two
    /// changes in one millisecond never collide.
    pub(crate) async fn change(
        &self,
        current: &Incident,
        changes: &[Change],
        status: Option<Status>,
        version: u64,
    ) -> Result<(), IncidentError> {
        let mut sets = Vec::new();
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        for (n, change) in changes.iter().enumerate() {
            sets.push(format!("#f{n} = :v{n}"));
            names.insert(format!("#f{n}"), change.field.clone());
            values.insert(
                format!(":v{n}"),
                match &change.to {
                    Value::String(s) => AttributeValue::S(s.clone()),
                    other => AttributeValue::S(other.to_string()),
                },
            );
        }
        sets.push("version = :version".into());
        values.insert(":version".into(), AttributeValue::N(version.to_string()));
        values.insert(
            ":was".into(),
            AttributeValue::N(current.version.to_string()),
        );
        values.insert(
            ":seen".into(),
            AttributeValue::S(current.last_seen.to_rfc3339()),
        );
        values.insert(
            ":count".into(),
            AttributeValue::N(current.count.to_string()),
        );
        names.insert("#c".into(), "count".into());
        values.insert(":zero".into(), AttributeValue::N("0".into()));
        let mut expr = format!("SET {}", sets.join(", "));
        match status {
            Some(Status::Resolved) => expr.push_str(" REMOVE openpk, opensk"),
            Some(_) => {
                expr.push_str(", openpk = :openpk, opensk = :opensk");
                values.insert(":openpk".into(), AttributeValue::S(OPEN.into()));
                values.insert(
                    ":opensk".into(),
                    AttributeValue::S(activity_sk(current.last_seen, &current.id)),
                );
            }
            None => {}
        }
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(incident_pk(&current.id)))
            .key("sk", AttributeValue::S(META.into()))
            .update_expression(expr)
            // Optimistic: nobody else changed the fields we compared against.
            .condition_expression(
                "last_seen = :seen AND #c = :count \
                 AND (version = :was OR (attribute_not_exists(version) AND :was = :zero))",
            )
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        for (n, change) in changes.iter().enumerate() {
            let rec = ChangeRecord {
                pk: incident_pk(&current.id),
                sk: history_sk(change, version, n),
                change: change.clone(),
            };
            items.push(ddb::transact_put(&self.table, &rec)?);
        }
        if self.transact(items).await? {
            Ok(())
        } else {
            Err(IncidentError::Changed(
                "the incident changed meanwhile; reload and retry",
            ))
        }
    }

    /// Writes `items` in one transaction: `false` when one of their conditions failed.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<bool, IncidentError> {
        Ok(ddb::transact_if(&self.client, items).await?)
    }

    /// Incidents, most recently seen first, filtered: Query pages on a GSI, at most `limit`
    /// incidents and [`lookout_core::page::MAX_PAGE_BYTES`] of their JSON per page, read in at
    /// most `read_pages` pages of `page_items` evaluated incidents and [`MAX_READ_TIME`]. The
    /// next token is there only when more may follow: a page may hold fewer than `limit`
    /// incidents, even none, and still have one. A bounded read that answers with a token, so
    /// it goes through `ddb::query_pages` rather than `ddb::query_all`.
    pub async fn list(&self, q: IncidentQuery) -> Result<IncidentPage, IncidentError> {
        let limit = if q.limit == 0 { 50 } else { q.limit };
        if limit > MAX_PAGE {
            return Err(IncidentError::Invalid(format!(
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
        let start = q
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
                return Err(IncidentError::Invalid("next_token is invalid".into()));
            }
        }
        let keys = ["pk", "sk", pk_name, sk_name];
        let mut incidents = Vec::new();
        let mut budget = ByteBudget::default();
        let mut reads = ReadBudget::new(self.read_pages, MAX_READ_TIME);
        let mut last = None;
        let mut next_token = None;
        // Unfiltered, every incident evaluated is returned: one more than the page needs then
        // tells whether more follow. A filter may match few of those evaluated: the page's size
        // bounds what one Query reads, the read budget how many run.
        let page_limit = |taken: usize| {
            let want = if filters.is_empty() {
                i32::try_from(limit - taken + 1).unwrap_or(i32::MAX)
            } else {
                self.page_items
            };
            want.min(self.page_items).max(1)
        };
        let mut req = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression(format!("{pk_name} = :pk AND {sk_name} BETWEEN :lo AND :hi"))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(false)
            .limit(page_limit(0))
            .set_exclusive_start_key(start);
        if !filters.is_empty() {
            req = req
                .filter_expression(filters.join(" AND "))
                .set_expression_attribute_names(Some(names));
        }
        ddb::query_pages(req, None, |page| {
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
                    return Ok(Next::Stop);
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
                    Ok(Next::Stop)
                }
                Some(_) => Ok(Next::Limit(page_limit(incidents.len()))),
                None => Ok::<_, IncidentError>(Next::Page),
            }
        })
        .await?;
        Ok(IncidentPage {
            incidents,
            next_token,
        })
    }
}

/// The methods above, as the port.
impl Incidents for IncidentRecordStore {
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<IncidentDetail, IncidentError>> {
        Box::pin(IncidentRecordStore::get(self, id))
    }

    fn bump<'a>(
        &'a self,
        id: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Option<Reported>, IncidentError>> {
        Box::pin(IncidentRecordStore::bump(self, id, now))
    }

    fn create<'a>(
        &'a self,
        incident: &'a Incident,
        group: &'a str,
        previous: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, IncidentError>> {
        Box::pin(IncidentRecordStore::create(self, incident, group, previous))
    }

    fn change<'a>(
        &'a self,
        current: &'a Incident,
        changes: &'a [Change],
        status: Option<Status>,
        version: u64,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(IncidentRecordStore::change(
            self, current, changes, status, version,
        ))
    }

    fn mark_notified<'a>(
        &'a self,
        id: &'a str,
        error: Option<String>,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(IncidentRecordStore::mark_notified(self, id, error))
    }

    fn list(&self, q: IncidentQuery) -> BoxFuture<'_, Result<IncidentPage, IncidentError>> {
        Box::pin(IncidentRecordStore::list(self, q))
    }
}
