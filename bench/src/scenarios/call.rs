//! A call: what a Lambda is invoked with ([`Request`]), the Lambda event that carries it
//! ([`Call::event`]) and the answer it must get ([`Expect`], [`Call::check`]).

use anyhow::{anyhow, ensure, Result};
use lookout_dev::provision::LOCAL_ACCOUNT;
use serde_json::{json, Value};

/// What a Lambda is invoked with.
#[derive(Debug, Clone)]
pub enum Request {
    /// An API Gateway HTTP API (payload v2) request.
    Http {
        method: String,
        path: String,
        query: Vec<(String, String)>,
        headers: Vec<(String, String)>,
        body: Option<String>,
    },
    /// An SQS event source batch.
    Sqs {
        queue_arn: String,
        bodies: Vec<String>,
    },
    /// The EventBridge "Scheduled Event".
    Scheduled { time: String },
}

/// The answer a call must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Status(u16),
    /// An `SqsBatchResponse` without failures.
    NoBatchFailures,
    /// Any JSON object that is not an error.
    Object,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub request: Request,
    pub expect: Expect,
}

impl Call {
    /// `POST /start_session` style label.
    pub fn label(&self) -> String {
        match &self.request {
            Request::Http { method, path, .. } => format!("{method} {path}"),
            Request::Sqs { bodies, .. } => format!("SQS batch of {}", bodies.len()),
            Request::Scheduled { .. } => "Scheduled Event".into(),
        }
    }

    /// The event JSON Lambda would hand the function.
    pub fn event(&self) -> Value {
        match &self.request {
            Request::Http {
                method,
                path,
                query,
                headers,
                body,
            } => {
                let headers: serde_json::Map<String, Value> = headers
                    .iter()
                    .map(|(k, v)| (k.to_lowercase(), json!(v)))
                    .chain([
                        ("content-type".to_owned(), json!("application/json")),
                        ("user-agent".to_owned(), json!("lookout-bench")),
                    ])
                    .collect();
                let raw_query = query
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                let route = format!("{method} {path}");
                let mut ev = json!({
                    "version": "2.0",
                    "routeKey": route,
                    "rawPath": path,
                    "rawQueryString": raw_query,
                    "headers": headers,
                    "requestContext": {
                        "accountId": LOCAL_ACCOUNT,
                        "apiId": "local",
                        "domainName": "local",
                        "domainPrefix": "local",
                        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "lookout-bench"},
                        "requestId": uuid::Uuid::new_v4().to_string(),
                        "routeKey": route,
                        "stage": "$default",
                        "time": "01/Jan/2026:00:00:00 +0000",
                        "timeEpoch": 1_767_225_600_000_u64
                    },
                    "isBase64Encoded": false
                });
                if !query.is_empty() {
                    let params: serde_json::Map<String, Value> =
                        query.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    ev["queryStringParameters"] = Value::Object(params);
                }
                if let Some(b) = body {
                    ev["body"] = json!(b);
                }
                ev
            }
            Request::Sqs { queue_arn, bodies } => {
                let records: Vec<Value> = bodies
                    .iter()
                    .map(|b| {
                        json!({
                            "messageId": uuid::Uuid::new_v4().to_string(),
                            "receiptHandle": format!("bench-{}", uuid::Uuid::new_v4().simple()),
                            "body": b,
                            "attributes": {
                                "ApproximateReceiveCount": "1",
                                "SentTimestamp": "1767225600000",
                                "SenderId": LOCAL_ACCOUNT,
                                "ApproximateFirstReceiveTimestamp": "1767225600000"
                            },
                            "messageAttributes": {},
                            "md5OfBody": "",
                            "eventSource": "aws:sqs",
                            "eventSourceARN": queue_arn,
                            "awsRegion": lookout_dev::moto::REGION
                        })
                    })
                    .collect();
                json!({ "Records": records })
            }
            Request::Scheduled { time } => json!({
                "version": "0",
                "id": uuid::Uuid::new_v4().to_string(),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": LOCAL_ACCOUNT,
                "time": time,
                "region": lookout_dev::moto::REGION,
                "resources": [],
                "detail": {},
            }),
        }
    }

    /// Fails unless `response` (what the function posted to the Runtime API) is the expected
    /// answer.
    pub fn check(&self, response: &Value) -> Result<()> {
        let short = || {
            let t = response.to_string();
            t.chars().take(400).collect::<String>()
        };
        match self.expect {
            Expect::Status(want) => {
                let got = response.get("statusCode").and_then(Value::as_u64);
                ensure!(
                    got == Some(u64::from(want)),
                    "{} answered {got:?}, expected {want}: {}",
                    self.label(),
                    short()
                );
            }
            Expect::NoBatchFailures => {
                let failures = response
                    .get("batchItemFailures")
                    .and_then(Value::as_array)
                    .ok_or_else(|| anyhow!("not an SqsBatchResponse: {}", short()))?;
                ensure!(failures.is_empty(), "batch item failures: {}", short());
            }
            Expect::Object => {
                ensure!(
                    response.is_object() && response.get("errorType").is_none(),
                    "unexpected answer: {}",
                    short()
                );
            }
        }
        Ok(())
    }
}

/// Percent-encoding for query strings (unreserved characters kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_events_carry_method_query_and_body() {
        let call = Call {
            request: Request::Http {
                method: "GET".into(),
                path: "/logs".into(),
                query: vec![("user".into(), "a b".into())],
                headers: vec![("X-User-Token".into(), "t".into())],
                body: None,
            },
            expect: Expect::Status(200),
        };
        let ev = call.event();
        assert_eq!(ev["routeKey"], "GET /logs");
        assert_eq!(ev["rawQueryString"], "user=a%20b");
        assert_eq!(ev["queryStringParameters"]["user"], "a b");
        assert_eq!(ev["headers"]["x-user-token"], "t");
        assert!(ev.get("body").is_none());
        assert!(call.check(&json!({"statusCode": 200})).is_ok());
        assert!(call.check(&json!({"statusCode": 403})).is_err());
    }
}
