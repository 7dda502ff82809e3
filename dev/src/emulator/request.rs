//! Reading one HTTP/1.1 request off a connection (head up to 64 KB, a `Content-Length` body
//! up to 1 MB, no chunked bodies), and reading fields out of its JSON body.

use std::collections::HashMap;

use anyhow::{anyhow, Context, Result};
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Largest request body read.
const MAX_BODY: usize = 1024 * 1024;
/// Largest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// One parsed request.
pub(crate) struct Request {
    pub(crate) method: String,
    /// The target without its query.
    pub(crate) path: String,
    /// The query (after `?`), empty without one.
    pub(crate) query: String,
    /// Header names in lower case.
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

/// Reads one request; an error for a request that cannot be read (too large, chunked, cut
/// short).
pub(crate) async fn read_request(sock: &mut TcpStream) -> Result<Request> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(anyhow!("request head too large"));
        }
        let mut chunk = [0_u8; 8192];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(anyhow!("connection closed before the request head ended"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("request head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (path, query) = (path.to_owned(), query.to_owned());
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Err(anyhow!("chunked bodies are not supported"));
    }
    let length: usize = headers
        .get("content-length")
        .map(|v| v.parse())
        .transpose()
        .context("bad content-length")?
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(anyhow!("body of {length} bytes is too large"));
    }
    while buf.len() < head_end + length {
        let mut chunk = [0_u8; 8192];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(anyhow!("connection closed mid-body"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Request {
        method,
        path,
        query,
        headers,
        body: buf[head_end..head_end + length].to_vec(),
    })
}

/// Whether the query has `name=value` among its `&`-separated pairs.
pub(crate) fn has_query(req: &Request, name: &str, value: &str) -> bool {
    req.query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .any(|(k, v)| k == name && v.eq_ignore_ascii_case(value))
}

/// The body as JSON, if it is JSON.
pub(crate) fn json_body(req: &Request) -> Option<Value> {
    serde_json::from_slice(&req.body).ok()
}

/// A field as text: strings as they are, `null` (or absent) as empty, anything else as JSON.
pub(crate) fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
