//! What the ingest answers an SDK beyond the status code.

/// The `X-Sentry-Rate-Limits` value that asks an SDK to send nothing (all categories, scope
/// `key`: this DSN's public key) for `retry_after_secs` seconds: `"<secs>::key"`.
///
/// Official SDKs back off on a `429 Too Many Requests` that carries this header (and a
/// `Retry-After: <secs>`, which older SDKs read instead): they drop what they would send until
/// then, counting it in a client report, rather than retrying at once.
pub fn rate_limits_header(retry_after_secs: u64) -> String {
    format!("{retry_after_secs}::key")
}
