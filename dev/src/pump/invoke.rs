//! Invocations through the Lambda Invoke API that `cargo lambda watch` serves (function
//! name = binary).

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;

/// A client of the Lambda Invoke API at one base URL.
#[derive(Debug)]
pub(crate) struct Invoker {
    http: reqwest::Client,
    /// Base URL without a trailing slash.
    url: String,
}

impl Invoker {
    /// A client of `url` (`http://127.0.0.1:9000`) whose invocations may take `timeout`.
    pub(crate) fn new(url: &str, timeout: Duration) -> Result<Self> {
        crate::init_tls();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
        })
    }

    /// Invokes `binary` with `event`; its JSON answer (`Null` for an empty one). An error
    /// status or a function error fails.
    pub(crate) async fn invoke(&self, binary: &str, event: &impl Serialize) -> Result<Value> {
        let url = format!("{}/2015-03-31/functions/{binary}/invocations", self.url);
        let resp = self
            .http
            .post(&url)
            .json(event)
            .send()
            .await
            .with_context(|| format!("invoking {binary} at {url}"))?;
        let status = resp.status();
        let function_error = resp
            .headers()
            .get("x-amz-function-error")
            .map(|v| v.to_str().unwrap_or("?").to_owned());
        let body = resp.text().await.context("reading the invocation result")?;
        if !status.is_success() || function_error.is_some() {
            bail!("{binary} failed ({status}, function error {function_error:?}): {body}");
        }
        if body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&body).with_context(|| format!("{binary} returned non-JSON {body:?}"))
    }
}
