//! The upstream of the meter (moto): its HTTP client, and the meter's own DynamoDB calls
//! (not counted) that read the items a write touches before and after it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Result};
use serde_json::{json, Value};

use crate::ddb_meter::capacity::{size, write_targets, Target};
use crate::ddb_meter::tally::Tally;

/// Where the meter forwards to, and what it has counted.
#[derive(Debug)]
pub(crate) struct Upstream {
    pub(crate) url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) tally: Arc<Mutex<Tally>>,
    /// Key attribute names per table (DescribeTable, cached).
    pub(crate) keys: tokio::sync::Mutex<HashMap<String, Vec<String>>>,
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

    /// The key attribute names of `table` (DescribeTable once per table).
    async fn key_names(&self, table: &str) -> Result<Vec<String>> {
        let mut keys = self.keys.lock().await;
        if let Some(k) = keys.get(table) {
            return Ok(k.clone());
        }
        let d = self
            .call("DescribeTable", &json!({ "TableName": table }))
            .await?;
        let names: Vec<String> = d["Table"]["KeySchema"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.get("AttributeName").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        keys.insert(table.to_owned(), names.clone());
        Ok(names)
    }

    /// Sizes of the stored items a write request touches (0 where there is none), read
    /// consistently; one per [`write_targets`] entry. Empty for reads.
    pub(crate) async fn images(&self, op: &str, q: &Value) -> Result<Vec<usize>> {
        let mut out = Vec::new();
        for t in write_targets(op, q) {
            let (table, key) = match t {
                Target::Key { table, key } => (table, key),
                Target::Put { table, item } => {
                    let names = self.key_names(&table).await?;
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
            out.push(size(got.get("Item")));
        }
        Ok(out)
    }
}
