//! Changes to an incident (status, assignee, notes) and their history, under its version.

use super::*;

impl IncidentStore {
    /// Applies status/assignee/notes changes at `now` and appends them to the history,
    /// atomically, conditioned on the incident's `version` (and on `input.version` when given:
    /// a change made against an older version is refused). Each change's history entry is
    /// keyed by the version it made, so two changes in one millisecond never collide.
    pub async fn update(
        &self,
        input: IncidentUpdate,
        now: Timestamp,
    ) -> Result<IncidentDetail, IncidentsError> {
        let detail = self.get(&input.id).await?;
        let current = detail.incident.clone();
        if input.version.is_some_and(|v| v != current.version) {
            return Err(IncidentsError::Changed(
                "the incident changed since that version; reload and retry",
            ));
        }
        let by = input.by.clone().unwrap_or_else(|| "admin".into());
        let mut sets = Vec::new();
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut changes = Vec::new();
        let mut field = |name: &str, from: Value, to: Value| {
            if from != to {
                let n = changes.len();
                sets.push(format!("#f{n} = :v{n}"));
                names.insert(format!("#f{n}"), name.to_owned());
                values.insert(
                    format!(":v{n}"),
                    match &to {
                        Value::String(s) => AttributeValue::S(s.clone()),
                        other => AttributeValue::S(other.to_string()),
                    },
                );
                changes.push(Change {
                    at: now,
                    field: name.to_owned(),
                    from,
                    to,
                    by: by.clone(),
                });
            }
        };
        if let Some(s) = input.status {
            field(
                "status",
                Value::from(current.status.as_str()),
                Value::from(s.as_str()),
            );
        }
        if let Some(a) = &input.assignee {
            field(
                "assignee",
                Value::from(current.assignee.as_str()),
                Value::from(a.as_str()),
            );
        }
        if let Some(n) = &input.notes {
            field(
                "notes",
                Value::from(current.notes.as_str()),
                Value::from(n.as_str()),
            );
        }
        if changes.is_empty() {
            return Ok(detail);
        }
        let applied = changes.clone();
        let version = current.version + 1;
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
        // The `open` index follows the status.
        let mut expr = format!("SET {}", sets.join(", "));
        if let Some(to) = input.status {
            if to == Status::Resolved {
                expr.push_str(" REMOVE openpk, opensk");
            } else {
                // Also brings in incidents written before the index existed.
                expr.push_str(", openpk = :openpk, opensk = :opensk");
                values.insert(":openpk".into(), AttributeValue::S(OPEN.into()));
                values.insert(
                    ":opensk".into(),
                    AttributeValue::S(format!("{}#{}", current.last_seen, current.id)),
                );
            }
        }
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("INC#{}", input.id)))
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
        for (n, change) in changes.into_iter().enumerate() {
            let rec = ChangeRecord {
                pk: format!("INC#{}", input.id),
                sk: format!("HIST#{}#v{version:010}#{n:02}", change.at),
                change,
            };
            items.push(ddb::transact_put(&self.table, &rec)?);
        }
        let res = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match res {
            // The answer is built from what was read and written, not read back: once the
            // transaction is in, nothing may turn the request into a failure.
            Ok(_) => {
                let mut out = detail;
                if let Some(s) = input.status {
                    out.incident.status = s;
                }
                if let Some(a) = input.assignee {
                    out.incident.assignee = a;
                }
                if let Some(n) = input.notes {
                    out.incident.notes = n;
                }
                out.incident.version = version;
                out.history.extend(applied);
                Ok(out)
            }
            Err(e) if ddb::is_conditional_check_failed(&e) => Err(IncidentsError::Changed(
                "the incident changed meanwhile; reload and retry",
            )),
            Err(e) => Err(e.into()),
        }
    }
}
