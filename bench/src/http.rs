//! Just enough HTTP/1.1 for the Lambda Runtime API stub: request parsing (keep-alive,
//! `Content-Length` and chunked bodies), route matching and response framing.
//!
//! Clients are the Rust runtime (hyper) and the Python baseline (`http.client`), both on
//! loopback, so the parser is strict where that costs nothing and bounded everywhere.

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// Longest request line or header line.
const MAX_LINE: usize = 16 * 1024;
/// Most header lines in one request.
const MAX_HEADERS: usize = 100;
/// Largest body (Lambda's response payload limit is 6 MB).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The Runtime API's version prefix.
pub const API_PREFIX: &str = "/2018-06-01/runtime";

/// One parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    /// Request target as sent (path plus any query).
    pub target: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// First value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Path without the query string.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(p, _)| p)
    }

    /// Whether the connection stays open after the response.
    pub fn keep_alive(&self) -> bool {
        let tokens = self.header("connection").unwrap_or_default();
        let has = |t: &str| tokens.split(',').any(|x| x.trim().eq_ignore_ascii_case(t));
        if self.version == "HTTP/1.0" {
            has("keep-alive")
        } else {
            !has("close")
        }
    }
}

/// Reads one line (up to and including `\n`), bounded; returns it without the line ending.
/// `Ok(None)` at end of stream before any byte.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<Option<String>> {
    let mut buf = Vec::new();
    let n = r
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)
        .await
        .context("reading a line")?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        if buf.len() > MAX_LINE {
            bail!("line longer than {MAX_LINE} bytes");
        }
        bail!("connection closed in the middle of a line");
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf)
        .map(Some)
        .context("line is not UTF-8")
}

/// Reads the next request of a connection. `Ok(None)` when the peer closed it between requests.
pub async fn read_request<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<Option<HttpRequest>> {
    // RFC 9112 §2.2: ignore empty lines before the request line.
    let line = loop {
        match read_line(r).await? {
            None => return Ok(None),
            Some(l) if l.is_empty() => {}
            Some(l) => break l,
        }
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        bail!("malformed request line {line:?}");
    };
    let method_ok = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
    if !method_ok || !target.starts_with('/') {
        bail!("malformed request line {line:?}");
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        bail!("unsupported version {version:?}");
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(r)
            .await?
            .context("connection closed inside the headers")?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            bail!("more than {MAX_HEADERS} headers");
        }
        let (name, value) = line
            .split_once(':')
            .with_context(|| format!("malformed header line {line:?}"))?;
        if name.is_empty() || name.trim() != name {
            bail!("malformed header name {name:?}");
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut req = HttpRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers,
        body: Vec::new(),
    };
    let chunked = req.header("transfer-encoding").is_some_and(|te| {
        te.rsplit(',')
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
    });
    if chunked {
        req.body = read_chunked(r).await?;
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len
            .parse()
            .with_context(|| format!("bad Content-Length {len:?}"))?;
        if len > MAX_BODY {
            bail!("body of {len} bytes exceeds {MAX_BODY}");
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body)
            .await
            .context("connection closed inside the body")?;
        req.body = body;
    }
    Ok(Some(req))
}

async fn read_chunked<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(r)
            .await?
            .context("connection closed before a chunk size")?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size, 16).with_context(|| format!("bad chunk size {line:?}"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(r)
                .await?
                .context("connection closed inside the trailers")?
                .is_empty()
            {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            bail!("chunked body exceeds {MAX_BODY} bytes");
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])
            .await
            .context("connection closed inside a chunk")?;
        let end = read_line(r)
            .await?
            .context("connection closed after a chunk")?;
        if !end.is_empty() {
            bail!("chunk not followed by CRLF");
        }
    }
}

/// What a Runtime API request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /2018-06-01/runtime/invocation/next`
    Next,
    /// `POST /2018-06-01/runtime/invocation/{id}/response`
    Response(String),
    /// `POST /2018-06-01/runtime/invocation/{id}/error`
    Error(String),
    /// `POST /2018-06-01/runtime/init/error`
    InitError,
    Unknown,
}

impl Route {
    pub fn of(req: &HttpRequest) -> Self {
        let Some(rest) = req.path().strip_prefix(API_PREFIX) else {
            return Self::Unknown;
        };
        let segments: Vec<&str> = rest.split('/').collect();
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["", "invocation", "next"]) => Self::Next,
            ("POST", ["", "invocation", id, "response"]) if !id.is_empty() => {
                Self::Response((*id).to_owned())
            }
            ("POST", ["", "invocation", id, "error"]) if !id.is_empty() => {
                Self::Error((*id).to_owned())
            }
            ("POST", ["", "init", "error"]) => Self::InitError,
            _ => Self::Unknown,
        }
    }
}

/// A complete response with `Content-Length`.
pub fn response(status: u16, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use anyhow::Result;
    use tokio::io::BufReader;

    use super::{read_request, response, HttpRequest, Route, MAX_BODY};

    async fn parse_all(raw: &[u8]) -> Result<Vec<HttpRequest>> {
        let mut r = BufReader::new(raw);
        let mut out = Vec::new();
        while let Some(req) = read_request(&mut r).await? {
            out.push(req);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn keep_alive_connection_carries_several_requests() {
        let raw = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: aws-lambda-rust/1.5\r\n\r\n\
POST /2018-06-01/runtime/invocation/abc-123/response HTTP/1.1\r\nhost: x\r\nContent-Length: 18\r\nContent-Type: application/json\r\n\r\n{\"statusCode\":200}\
POST /2018-06-01/runtime/invocation/abc-123/error HTTP/1.1\r\nCONTENT-LENGTH: 2\r\nConnection: close\r\n\r\n{}";
        let reqs = parse_all(raw).await.unwrap();
        assert_eq!(reqs.len(), 3);

        assert_eq!(reqs[0].method, "GET");
        assert_eq!(reqs[0].target, "/2018-06-01/runtime/invocation/next");
        assert_eq!(reqs[0].header("user-agent"), Some("aws-lambda-rust/1.5"));
        assert!(reqs[0].body.is_empty());
        assert!(reqs[0].keep_alive());
        assert_eq!(Route::of(&reqs[0]), Route::Next);

        assert_eq!(reqs[1].header("Content-Type"), Some("application/json"));
        assert_eq!(reqs[1].header("HOST"), Some("x"));
        assert_eq!(reqs[1].body, b"{\"statusCode\":200}");
        assert_eq!(Route::of(&reqs[1]), Route::Response("abc-123".into()));

        assert_eq!(reqs[2].body, b"{}");
        assert!(!reqs[2].keep_alive());
        assert_eq!(Route::of(&reqs[2]), Route::Error("abc-123".into()));
    }

    #[tokio::test]
    async fn chunked_bodies_are_decoded() {
        let raw =
            b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
        let reqs = parse_all(raw).await.unwrap();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].body, b"hello, world");
        assert_eq!(Route::of(&reqs[0]), Route::InitError);
    }

    #[tokio::test]
    async fn leading_blank_lines_and_http10_close_by_default() {
        let reqs = parse_all(b"\r\nGET /x?y=1 HTTP/1.0\r\n\r\n").await.unwrap();
        assert_eq!(reqs[0].path(), "/x");
        assert!(!reqs[0].keep_alive());
        assert_eq!(Route::of(&reqs[0]), Route::Unknown);
    }

    #[tokio::test]
    async fn broken_requests_are_errors_not_requests() {
        for raw in [
            &b"GET /next\r\n\r\n"[..],
            b"GET next HTTP/1.1\r\n\r\n",
            b"}POST /r HTTP/1.1\r\n\r\n",
            b"GET /next HTTP/2\r\n\r\n",
            b"GET /next HTTP/1.1\r\nno-colon\r\n\r\n",
            b"GET /next HTTP/1.1\r\nHost: x\r\n",
            b"POST /r HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort",
            b"POST /r HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        ] {
            assert!(
                parse_all(raw).await.is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(raw)
            );
        }
        let huge = format!(
            "POST /r HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert!(parse_all(huge.as_bytes()).await.is_err());
        assert!(parse_all(b"").await.unwrap().is_empty());
    }

    #[test]
    fn routes_need_the_right_method_and_shape() {
        let req = |method: &str, target: &str| HttpRequest {
            method: method.into(),
            target: target.into(),
            version: "HTTP/1.1".into(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        assert_eq!(
            Route::of(&req("POST", "/2018-06-01/runtime/invocation/next")),
            Route::Unknown
        );
        assert_eq!(
            Route::of(&req("GET", "/2018-06-01/runtime/invocation/id/response")),
            Route::Unknown
        );
        assert_eq!(
            Route::of(&req("POST", "/2018-06-01/runtime/invocation//response")),
            Route::Unknown
        );
        assert_eq!(
            Route::of(&req("POST", "/2018-06-01/runtime/invocation/a/b/response")),
            Route::Unknown
        );
        assert_eq!(
            Route::of(&req("GET", "/2018-06-01/runtime/invocation/next?x=1")),
            Route::Next
        );
    }

    #[test]
    fn responses_are_framed_with_content_length() {
        let out = response(
            202,
            &[("Lambda-Runtime-Aws-Request-Id", "r1".into())],
            b"{}",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 2\r\nLambda-Runtime-Aws-Request-Id: r1\r\n\r\n{}"
        );
    }
}
