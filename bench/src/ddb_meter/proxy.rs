//! The proxy itself: each request is classified by service and operation, forwarded to moto,
//! counted and, for DynamoDB, sized.

use anyhow::{Context, Result};
use serde_json::Value;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::ddb_meter::capacity::{capacity, index_write_units, size};
use crate::ddb_meter::tally::OpStats;
use crate::ddb_meter::upstream::Upstream;
use crate::http::{read_request, HttpRequest};

/// Serves one connection: its requests one after the other, each answered with moto's
/// answer (or a 502 saying why there is none).
pub(crate) async fn serve(stream: TcpStream, up: &Upstream) -> Result<()> {
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

/// An HTTP/1.1 response with these headers and body.
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

/// Forwards one request to moto and counts it; DynamoDB requests also get their capacity
/// units.
async fn handle(up: &Upstream, req: &HttpRequest) -> Result<Vec<u8>> {
    let arrived = std::time::Instant::now();
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
    // Write units of the secondary indexes the writes changed (requests: none of their own).
    let mut index = OpStats::default();
    if let Some(q) = &ddb_request {
        let r: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let after = up.images(&op, q).await.unwrap_or_default();
        let sizes = |images: &[(String, Option<Value>)]| -> Vec<usize> {
            images.iter().map(|(_, item)| size(item.as_ref())).collect()
        };
        let (rcu, wcu) = capacity(&op, q, &r, &sizes(&before), &sizes(&after));
        stats.rcu = rcu;
        stats.wcu = wcu;
        for ((table, old), (_, new)) in before.iter().zip(&after) {
            if let Ok(info) = up.table(table).await {
                for ix in &info.indexes {
                    index.wcu += index_write_units(ix, &info.keys, old.as_ref(), new.as_ref());
                }
            }
        }
    }
    if let Ok(mut tally) = up.tally.lock() {
        tally
            .entry(format!("{service}:{op}"))
            .or_default()
            .add(&stats);
        if index.wcu > 0.0 {
            tally
                .entry("dynamodb:(index writes)".to_owned())
                .or_default()
                .add(&index);
        }
    }
    if let Ok(mut spans) = up.spans.lock() {
        spans.push((arrived, std::time::Instant::now()));
    }
    Ok(frame(status, &headers, &body))
}

#[cfg(test)]
mod tests {
    use super::classify;
    use crate::http::HttpRequest;

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
