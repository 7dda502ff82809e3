//! The upstream of the meter (moto): its HTTP client, and the meter's own DynamoDB calls
//! (not counted) that read the items a write touches before and after it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{anyhow, Result};
use serde_json::{json, Value};

use crate::ddb_meter::capacity::{write_targets, Index, Target};
use crate::ddb_meter::tally::Tally;

/// Where the meter forwards to, and what it has counted.
#[derive(Debug)]
pub(crate) struct Upstream {
    pub(crate) url: String,
    pub(crate) http: reqwest::Client,
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
    /// One DynamoDB call of the meter's own, straight to moto (not counted).
    async fn call(&self, op: &str, body: &Value) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}/", self.url))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await?;
        if ok {
            Ok(v)
        } else {
            Err(anyhow!("{op}: {v}"))
        }
    }

    /// The key attribute names and indexes of `table` (DescribeTable once per table).
    pub(crate) async fn table(&self, table: &str) -> Result<TableInfo> {
        let mut known = self.keys.lock().await;
        if let Some(k) = known.get(table) {
            return Ok(k.clone());
        }
        let d = self
            .call("DescribeTable", &json!({ "TableName": table }))
            .await?;
        let names = |schema: &Value| -> Vec<String> {
            schema
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.get("AttributeName").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        };
        let keys = names(&d["Table"]["KeySchema"]);
        let indexes = ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
            .iter()
            .flat_map(|kind| d["Table"][*kind].as_array().cloned().unwrap_or_default())
            .map(|ix| Index {
                name: ix["IndexName"].as_str().unwrap_or_default().to_owned(),
                keys: names(&ix["KeySchema"]),
                projection: ix["Projection"]["ProjectionType"]
                    .as_str()
                    .unwrap_or("ALL")
                    .to_owned(),
                non_key: ix["Projection"]["NonKeyAttributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            })
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
                .call(
                    "GetItem",
                    &json!({"TableName": table, "Key": key, "ConsistentRead": true}),
                )
                .await?;
            out.push((table, got.get("Item").cloned()));
        }
        Ok(out)
    }
}
