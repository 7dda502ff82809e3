//! The upstream of the meter (moto): its HTTP client, and the meter's own DynamoDB calls
//! (not counted; through the SDK, signed, as moto enforces IAM) that read the items a write
//! touches before and after it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{anyhow, Result};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, KeySchemaElement, Projection};
use serde_json::{json, Value};

use crate::ddb_meter::capacity::{item, write_targets, Index, Target};
use crate::ddb_meter::tally::Tally;

/// Where the meter forwards to, and what it has counted.
#[derive(Debug)]
pub(crate) struct Upstream {
    pub(crate) url: String,
    pub(crate) http: reqwest::Client,
    /// The meter's own DynamoDB calls (signed as the stack's provisioner; not counted).
    pub(crate) ddb: aws_sdk_dynamodb::Client,
    pub(crate) tally: Arc<Mutex<Tally>>,
    /// When each request arrived and was answered (for [`round_trips`](crate::ddb_meter::round_trips)).
    pub(crate) spans: Arc<Mutex<Vec<(Instant, Instant)>>>,
    /// Per table (DescribeTable, cached): its key attribute names and its indexes.
    pub(crate) keys: tokio::sync::Mutex<HashMap<String, TableInfo>>,
}

/// What the meter knows of a table: its key attribute names and its secondary indexes.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableInfo {
    pub(crate) keys: Vec<String>,
    pub(crate) indexes: Vec<Index>,
}

impl Upstream {
    /// The key attribute names and indexes of `table` (DescribeTable once per table; the
    /// meter's own call, signed as the stack's provisioner, not counted).
    pub(crate) async fn table(&self, table: &str) -> Result<TableInfo> {
        let mut known = self.keys.lock().await;
        if let Some(k) = known.get(table) {
            return Ok(k.clone());
        }
        let d = self
            .ddb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| anyhow!("DescribeTable {table}: {}", DisplayErrorContext(e)))?;
        let t = d
            .table
            .ok_or_else(|| anyhow!("DescribeTable {table}: no table"))?;
        let names = |schema: &[KeySchemaElement]| -> Vec<String> {
            schema.iter().map(|k| k.attribute_name.clone()).collect()
        };
        let keys = names(t.key_schema());
        // Global and local indexes alike: a name, a key schema, a projection.
        let described = t
            .global_secondary_indexes()
            .iter()
            .map(|g| (&g.index_name, g.key_schema(), g.projection.as_ref()))
            .chain(
                t.local_secondary_indexes()
                    .iter()
                    .map(|l| (&l.index_name, l.key_schema(), l.projection.as_ref())),
            );
        let indexes = described
            .map(
                |(name, schema, p): (&Option<String>, _, Option<&Projection>)| Index {
                    name: name.clone().unwrap_or_default(),
                    keys: names(schema),
                    projection: p
                        .and_then(|p| p.projection_type.as_ref())
                        .map_or("ALL".to_owned(), |t| t.as_str().to_owned()),
                    non_key: p
                        .map(|p| p.non_key_attributes().to_vec())
                        .unwrap_or_default(),
                },
            )
            .collect();
        let info = TableInfo { keys, indexes };
        known.insert(table.to_owned(), info.clone());
        Ok(info)
    }

    /// The stored items a write request touches (`None` where there is none), read
    /// consistently; one per [`write_targets`] entry, with its table. Empty for reads.
    pub(crate) async fn images(&self, op: &str, q: &Value) -> Result<Vec<(String, Option<Value>)>> {
        let mut out = Vec::new();
        for t in write_targets(op, q) {
            let (table, key) = match t {
                Target::Key { table, key } => (table, key),
                Target::Put { table, item } => {
                    let names = self.table(&table).await?.keys;
                    let key: serde_json::Map<String, Value> = names
                        .iter()
                        .filter_map(|n| Some((n.clone(), item.get(n)?.clone())))
                        .collect();
                    (table, Value::Object(key))
                }
            };
            let got = self
                .ddb
                .get_item()
                .table_name(&table)
                .set_key(Some(item(&key)))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| anyhow!("GetItem {table}: {}", DisplayErrorContext(e)))?;
            out.push((table, got.item.as_ref().map(wire_item)));
        }
        Ok(out)
    }
}

/// An SDK item as DynamoDB's wire JSON (`{"pk": {"S": "x"}, ...}`), what the sizing reads.
pub fn wire_item(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), wire(v))).collect())
}

fn wire(v: &AttributeValue) -> Value {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b.as_ref()) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(l) => json!({ "SS": l }),
        AttributeValue::Ns(l) => json!({ "NS": l }),
        AttributeValue::Bs(l) => {
            json!({ "BS": l.iter().map(|b| b64(b.as_ref())).collect::<Vec<_>>() })
        }
        AttributeValue::L(l) => json!({ "L": l.iter().map(wire).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": wire_item(m) }),
        _ => Value::Null,
    }
}
