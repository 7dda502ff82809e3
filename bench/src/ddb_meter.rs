//! A counting HTTP proxy in front of moto: the function under test gets its URL as
//! `AWS_ENDPOINT_URL`, every AWS request passes through, and each is counted by service and
//! operation. DynamoDB requests also get their capacity units, computed from the JSON wire
//! bodies by DynamoDB's sizing rules (moto reports a flat 1.0 in `ConsumedCapacity`, so that
//! is ignored):
//!
//! - item size = attribute name lengths + value sizes ([`lookout_core::ddb::item_size`]);
//! - reads: 1 RCU per started 4 KB strongly consistent, ½ eventually consistent (the
//!   default); GetItem of a missing item still costs the minimum; Query/Scan add up the items
//!   returned (a filter or projection makes this a lower bound); transactions cost double;
//! - writes: 1 WCU per started 1 KB of the larger of the item before and after the write
//!   (the meter reads both with a consistent GetItem of its own, not counted); conditional
//!   writes that fail still cost; transactions cost double.
//!
//! Other services are counted, not sized: SQS by `X-Amz-Target` (`AmazonSQS.SendMessage`), SES
//! v2 and EventBridge Scheduler by the credential scope of the request's signature and the
//! REST path.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::http::{read_request, HttpRequest};

/// Requests and capacity units of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OpStats {
    /// Requests (a mean when averaged over invocations).
    pub requests: f64,
    pub rcu: f64,
    pub wcu: f64,
}

impl OpStats {
    pub fn add(&mut self, other: &Self) {
        self.requests += other.requests;
        self.rcu += other.rcu;
        self.wcu += other.wcu;
    }
}

/// Counts by `"service:Operation"` (`"dynamodb:GetItem"`, `"sqs:SendMessage"`, `"ses:SendEmail"`).
pub type Tally = BTreeMap<String, OpStats>;

/// The running proxy; stops when dropped.
#[derive(Debug)]
pub struct Meter {
    addr: SocketAddr,
    tally: Arc<Mutex<Tally>>,
    server: JoinHandle<()>,
}

#[derive(Debug)]
struct Upstream {
    url: String,
    http: reqwest::Client,
    tally: Arc<Mutex<Tally>>,
    /// Key attribute names per table (DescribeTable, cached).
    keys: tokio::sync::Mutex<HashMap<String, Vec<String>>>,
}

impl Meter {
    /// Listens on a free loopback port and forwards to `upstream` (moto's URL).
    pub async fn start(upstream: &str) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the meter")?;
        let addr = listener.local_addr()?;
        let tally = Arc::new(Mutex::new(Tally::new()));
        lookout_dev::init_tls();
        let up = Arc::new(Upstream {
            url: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .context("building the meter's HTTP client")?,
            tally: Arc::clone(&tally),
            keys: tokio::sync::Mutex::new(HashMap::new()),
        });
        let server = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            let up = Arc::clone(&up);
                            connections.spawn(async move {
                                let _ = serve(stream, &up).await;
                            });
                        }
                        Err(_) => return,
                    },
                    Some(_) = connections.join_next() => {}
                }
            }
        });
        Ok(Self {
            addr,
            tally,
            server,
        })
    }

    /// `http://127.0.0.1:port` for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What was counted since the last call, and resets the counts.
    pub fn take(&self) -> Tally {
        self.tally
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(stream: TcpStream, up: &Upstream) -> Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    while let Some(req) = read_request(&mut read).await? {
        let keep_alive = req.keep_alive();
        let reply = match handle(up, &req).await {
            Ok(reply) => reply,
            Err(err) => frame(
                502,
                &[("content-type".into(), "text/plain".into())],
                format!("meter: {err:#}").as_bytes(),
            ),
        };
        write.write_all(&reply).await?;
        write.flush().await?;
        if !keep_alive {
            break;
        }
    }
    Ok(())
}

fn frame(status: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\n",
        if status < 400 { "OK" } else { "Error" },
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// `("dynamodb", "GetItem")`, `("sqs", "SendMessage")`, `("ses", "POST /v2/email/outbound-emails")`.
fn classify(req: &HttpRequest) -> (String, String) {
    if let Some((prefix, op)) = req.header("x-amz-target").and_then(|t| t.split_once('.')) {
        let service = if prefix.starts_with("DynamoDB") {
            "dynamodb".to_owned()
        } else if prefix == "AmazonSQS" {
            "sqs".to_owned()
        } else {
            prefix.to_ascii_lowercase()
        };
        return (service, op.to_owned());
    }
    // Credential=AKID/20260101/us-east-1/<service>/aws4_request
    let service = req
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned();
    let path = req.path();
    let op = match (service.as_str(), req.method.as_str()) {
        ("ses", "POST") if path.ends_with("/outbound-emails") => "SendEmail".to_owned(),
        ("scheduler", "POST") if path.starts_with("/schedules/") => "CreateSchedule".to_owned(),
        ("scheduler", "DELETE") if path.starts_with("/schedules/") => "DeleteSchedule".to_owned(),
        ("scheduler", "GET") if path.starts_with("/schedules/") => "GetSchedule".to_owned(),
        ("scheduler", "PUT") if path.starts_with("/schedules/") => "UpdateSchedule".to_owned(),
        (_, method) => {
            let first = path.split('/').find(|s| !s.is_empty()).unwrap_or("");
            format!("{method} /{first}")
        }
    };
    (service, op)
}

async fn handle(up: &Upstream, req: &HttpRequest) -> Result<Vec<u8>> {
    let (service, op) = classify(req);
    let ddb_request: Option<Value> = if service == "dynamodb" {
        serde_json::from_slice(&req.body).ok()
    } else {
        None
    };
    let before = match &ddb_request {
        Some(q) => up.images(&op, q).await.unwrap_or_default(),
        None => Vec::new(),
    };

    let method = reqwest::Method::from_bytes(req.method.as_bytes())?;
    let mut forward = up.http.request(method, format!("{}{}", up.url, req.target));
    for (k, v) in &req.headers {
        if !matches!(
            k.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding" | "expect"
        ) {
            forward = forward.header(k, v);
        }
    }
    let resp = forward
        .body(req.body.clone())
        .send()
        .await
        .context("forwarding to moto")?;
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "content-length" | "transfer-encoding" | "connection" | "keep-alive"
            )
        })
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = resp.bytes().await.context("reading moto's answer")?;

    let mut stats = OpStats {
        requests: 1.0,
        ..OpStats::default()
    };
    if let Some(q) = &ddb_request {
        let r: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let after = up.images(&op, q).await.unwrap_or_default();
        let (rcu, wcu) = capacity(&op, q, &r, &before, &after);
        stats.rcu = rcu;
        stats.wcu = wcu;
    }
    if let Ok(mut tally) = up.tally.lock() {
        tally
            .entry(format!("{service}:{op}"))
            .or_default()
            .add(&stats);
    }
    Ok(frame(status, &headers, &body))
}

// ------------------------------------------------------------------ sizing

/// A DynamoDB JSON attribute value (`{"S": "x"}`) as the SDK's type.
pub fn attribute(v: &Value) -> Option<AttributeValue> {
    let (kind, inner) = v.as_object()?.iter().next()?;
    let strings = |x: &Value| -> Option<Vec<String>> {
        x.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    Some(match kind.as_str() {
        "S" => AttributeValue::S(inner.as_str()?.to_owned()),
        "N" => AttributeValue::N(inner.as_str()?.to_owned()),
        "B" => AttributeValue::B(Blob::new(vec![0; base64_len(inner.as_str()?)])),
        "BOOL" => AttributeValue::Bool(inner.as_bool()?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(strings(inner)?),
        "NS" => AttributeValue::Ns(strings(inner)?),
        "BS" => AttributeValue::Bs(
            strings(inner)?
                .iter()
                .map(|s| Blob::new(vec![0; base64_len(s)]))
                .collect(),
        ),
        "L" => AttributeValue::L(inner.as_array()?.iter().filter_map(attribute).collect()),
        "M" => AttributeValue::M(item(inner)),
        _ => return None,
    })
}

/// Decoded length of base64 text.
fn base64_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|b| *b == b'=').count();
    (text.len() / 4 * 3).saturating_sub(padding)
}

/// A DynamoDB JSON item (`{"pk": {"S": "x"}, …}`) as the SDK's map.
pub fn item(v: &Value) -> HashMap<String, AttributeValue> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), attribute(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Billed size of a DynamoDB JSON item; 0 for none.
pub fn size(v: Option<&Value>) -> usize {
    v.map_or(0, |v| lookout_core::ddb::item_size(&item(v)))
}

fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

fn consistent(q: &Value) -> bool {
    q.get("ConsistentRead").and_then(Value::as_bool) == Some(true)
}

/// One write target of a request: table and key, or table and a new item (Put).
#[derive(Debug, Clone)]
enum Target {
    Key { table: String, key: Value },
    Put { table: String, item: Value },
}

/// The items a write request touches, in order.
fn write_targets(op: &str, q: &Value) -> Vec<Target> {
    let table = |v: &Value| {
        v.get("TableName")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let one = |v: &Value, put: bool| -> Option<Target> {
        let table = table(v)?;
        if put {
            Some(Target::Put {
                table,
                item: v.get("Item")?.clone(),
            })
        } else {
            Some(Target::Key {
                table,
                key: v.get("Key")?.clone(),
            })
        }
    };
    match op {
        "PutItem" => one(q, true).into_iter().collect(),
        "UpdateItem" | "DeleteItem" => one(q, false).into_iter().collect(),
        "TransactWriteItems" => q
            .get("TransactItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                if let Some(p) = t.get("Put") {
                    one(p, true)
                } else {
                    ["Update", "Delete", "ConditionCheck"]
                        .iter()
                        .find_map(|k| t.get(*k))
                        .and_then(|x| one(x, false))
                }
            })
            .collect(),
        "BatchWriteItem" => q
            .get("RequestItems")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .flat_map(|(table, reqs)| {
                reqs.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| {
                        if let Some(item) = r.get("PutRequest").and_then(|p| p.get("Item")) {
                            Some(Target::Put {
                                table: table.clone(),
                                item: item.clone(),
                            })
                        } else {
                            r.get("DeleteRequest")
                                .and_then(|d| d.get("Key"))
                                .map(|key| Target::Key {
                                    table: table.clone(),
                                    key: key.clone(),
                                })
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl Upstream {
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
    async fn images(&self, op: &str, q: &Value) -> Result<Vec<usize>> {
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

/// `(rcu, wcu)` of one DynamoDB request: `q` the request, `r` the response, `before`/`after`
/// the sizes of the items it writes (see [`Upstream::images`]).
pub fn capacity(op: &str, q: &Value, r: &Value, before: &[usize], after: &[usize]) -> (f64, f64) {
    let at = |v: &[usize], i: usize| v.get(i).copied().unwrap_or(0);
    match op {
        "GetItem" => (read_units(size(r.get("Item")), consistent(q)), 0.0),
        "Query" | "Scan" => {
            let bytes: usize = r
                .get("Items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|i| size(Some(i)))
                .sum();
            (read_units(bytes, consistent(q)), 0.0)
        }
        "BatchGetItem" => {
            let mut rcu = 0.0;
            for (table, req) in q
                .get("RequestItems")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let strong = consistent(req);
                let asked = req
                    .get("Keys")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let got: Vec<&Value> = r["Responses"][table]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .collect();
                rcu += got
                    .iter()
                    .map(|i| read_units(size(Some(i)), strong))
                    .sum::<f64>();
                rcu = (asked.saturating_sub(got.len()) as f64).mul_add(read_units(0, strong), rcu);
            }
            (rcu, 0.0)
        }
        "TransactGetItems" => {
            let rcu = r
                .get("Responses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|x| 2.0 * read_units(size(x.get("Item")), true))
                .sum();
            (rcu, 0.0)
        }
        "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems" => {
            let factor = if op == "TransactWriteItems" { 2.0 } else { 1.0 };
            let targets = write_targets(op, q);
            let wcu = targets
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let new = match t {
                        Target::Put { item, .. } => size(Some(item)),
                        Target::Key { .. } => at(after, i),
                    };
                    factor * write_units(at(before, i).max(new))
                })
                .sum();
            (0.0, wcu)
        }
        _ => (0.0, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_dynamodb_rules() {
        // "pk" (2) + "abc" (3) + "n" (1) + 3 digits (2+1) + "b" (1) + 3 bytes
        let it = json!({"pk": {"S": "abc"}, "n": {"N": "123"}, "b": {"B": "AAAA"}});
        assert_eq!(size(Some(&it)), 2 + 3 + 1 + 3 + 1 + 3);
        assert_eq!(size(None), 0);
        let nested = json!({"m": {"M": {"k": {"S": "v"}}}, "l": {"L": [{"BOOL": true}]}});
        // m: 1 + (3 + 1 + 1 + 1) ; l: 1 + (3 + 1 + 1)
        assert_eq!(size(Some(&nested)), 7 + 6);
    }

    #[test]
    fn units_per_operation() {
        let big = "x".repeat(5000);
        let r = json!({"Item": {"pk": {"S": big}}});
        assert_eq!(capacity("GetItem", &json!({}), &r, &[], &[]), (1.0, 0.0));
        assert_eq!(
            capacity("GetItem", &json!({"ConsistentRead": true}), &r, &[], &[]),
            (2.0, 0.0)
        );
        assert_eq!(
            capacity("GetItem", &json!({}), &json!({}), &[], &[]),
            (0.5, 0.0)
        );
        let put = json!({"TableName": "t", "Item": {"pk": {"S": "a"}}});
        assert_eq!(capacity("PutItem", &put, &json!({}), &[0], &[]), (0.0, 1.0));
        assert_eq!(
            capacity("PutItem", &put, &json!({}), &[2048], &[]),
            (0.0, 2.0)
        );
        let upd = json!({"TableName": "t", "Key": {"pk": {"S": "a"}}});
        assert_eq!(
            capacity("UpdateItem", &upd, &json!({}), &[100], &[1500]),
            (0.0, 2.0)
        );
        let tx = json!({"TransactItems": [{"Put": put}, {"Update": upd}]});
        assert_eq!(
            capacity("TransactWriteItems", &tx, &json!({}), &[0, 10], &[0, 10]),
            (0.0, 4.0)
        );
        let q = json!({"TableName": "t"});
        let items = json!({"Items": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]});
        assert_eq!(capacity("Query", &q, &items, &[], &[]), (0.5, 0.0));
    }

    #[test]
    fn requests_are_classified() {
        let req = |headers: Vec<(&str, &str)>, method: &str, target: &str| HttpRequest {
            method: method.into(),
            target: target.into(),
            version: "HTTP/1.1".into(),
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            body: Vec::new(),
        };
        let ddb = req(
            vec![("x-amz-target", "DynamoDB_20120810.GetItem")],
            "POST",
            "/",
        );
        assert_eq!(classify(&ddb), ("dynamodb".into(), "GetItem".into()));
        let sqs = req(vec![("x-amz-target", "AmazonSQS.SendMessage")], "POST", "/");
        assert_eq!(classify(&sqs), ("sqs".into(), "SendMessage".into()));
        let ses = req(
            vec![(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/ses/aws4_request, X",
            )],
            "POST",
            "/v2/email/outbound-emails",
        );
        assert_eq!(classify(&ses), ("ses".into(), "SendEmail".into()));
    }
}
