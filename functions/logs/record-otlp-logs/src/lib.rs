//! `POST /v1/logs`: OpenTelemetry logs over OTLP/HTTP, so a service's OTel SDK ships its logs to
//! Lookout with only the endpoint and one header set:
//!
//! ```text
//! OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=https://<api>/v1/logs
//! OTEL_EXPORTER_OTLP_HEADERS=x-user-token=<the log user's X-User-Token>
//! ```
//! The body is an `ExportLogsServiceRequest`, protobuf (`application/x-protobuf`) or JSON
//! (`application/json`), optionally gzip- or deflate-encoded ([`lookout_otlp`] decodes it,
//! bounded at 1 MiB as sent and 4 MiB inflated). The token alone names the log user (the
//! exporters send no user); lines land under it as `/send_logs` lines do, under its daily byte
//! quota: the severity as the level, the body as the message, `service.name` as the process
//! name (one batch per resource), the record's time (else its observed time, else now) as
//! `event_at`, and the trace and span ids with the attributes as JSON in `p_description`
//! (at most 1,024 characters: attributes that do not fit are left out, never cut in half).
//!
//! | status | body (the request's format) |
//! |---|---|
//! | 200 | `ExportLogsServiceResponse`; `partial_success.rejected_log_records` counts records refused (a body over 64 KB) |
//! | 400 | `google.rpc.Status`: a malformed body (bad protobuf or JSON, bad gzip, > 10,000 records) |
//! | 401 | no `X-User-Token`, or one no log user has now |
//! | 413 | a body over 1 MiB, or over 4 MiB inflated |
//! | 415 | a `Content-Type` other than protobuf or JSON |
//! | 429 | the user's bytes for the UTC day are used up; `Retry-After` (the exporters wait for it) |
//! | 503 | DynamoDB out of reach; `Retry-After` |
//!
//! Nothing is stored for any answer but 200. The token is checked before the body is read.

use lambda_http::{
    http::{HeaderValue, StatusCode},
    Body, Error, Request, Response,
};
use lookout_core::{error::error_chain, time::Timestamp, StoreError};
use lookout_http::{body_bytes, header, set_retry_after, set_unavailable_retry_after};
use lookout_logs::{Batch, Level, LogError, LogLine, LogUser, SendBatch, UserName};
use lookout_otlp::{Format, LogDraft, OtlpError, ResourceLogs};
use serde_json::{json, Map, Value};

/// Longest message a line keeps (as `/send_logs`): a longer record is rejected.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// `p_description`'s bound (as `/send_logs`).
const MAX_DESCRIPTION_CHARS: usize = 1024;
/// `p_name`'s bound (as `/send_logs`).
const MAX_PROCESS_CHARS: usize = 256;
/// The process name of a resource without `service.name` (the OTel SDKs' own default).
const UNKNOWN_SERVICE: &str = "unknown_service";

/// The log store, the quotas and the clock (shared with the other ingestion route).
pub use lookout_logs::IngestDeps as Deps;

/// An answer that is not a 200: its status, gRPC code and message (what the log says too).
struct Refusal {
    status: StatusCode,
    grpc: i32,
    message: String,
    retry_after: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, grpc: i32, message: impl Into<String>) -> Self {
        Self {
            status,
            grpc,
            message: message.into(),
            retry_after: None,
        }
    }
}

// gRPC status codes (google.rpc.Code), as OTLP/HTTP's Status bodies carry them.
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;
const INTERNAL: i32 = 13;
const UNAVAILABLE: i32 = 14;
const UNAUTHENTICATED: i32 = 16;

fn respond(status: StatusCode, (content_type, body): (&'static str, Vec<u8>)) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    resp
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    // Errors are answered in the request's format, JSON when it has none we take.
    let format = lookout_otlp::format_of(header(&req, "content-type")).ok();
    Ok(match accept(deps, &req, format).await {
        Ok((format, stored, rejected)) => {
            tracing::info!(stored, rejected, "OTLP logs stored");
            let message = if rejected > 0 {
                format!("{rejected} log records were over 64 KB and were not stored")
            } else {
                String::new()
            };
            respond(
                StatusCode::OK,
                lookout_otlp::encode_response(format, rejected, &message),
            )
        }
        Err(r) => {
            let format = format.unwrap_or(Format::Json);
            let mut resp = respond(
                r.status,
                lookout_otlp::encode_status(format, r.grpc, &r.message),
            );
            if let Some(secs) = r.retry_after {
                set_retry_after(&mut resp, secs);
            }
            if r.status == StatusCode::SERVICE_UNAVAILABLE && r.retry_after.is_none() {
                set_unavailable_retry_after(&mut resp);
            }
            resp
        }
    })
}

/// Reads, checks and stores one export: its format, the lines stored and the records
/// rejected.
async fn accept(
    deps: &Deps,
    req: &Request,
    format: Option<Format>,
) -> Result<(Format, usize, i64), Refusal> {
    let bytes = body_bytes(req);
    if bytes.len() > lookout_otlp::MAX_BODY_BYTES {
        return Err(refused(OtlpError::TooLarge {
            limit: lookout_otlp::MAX_BODY_BYTES,
        }));
    }
    let format = format.ok_or_else(|| refused(OtlpError::UnsupportedMediaType))?;
    let token = header(req, "x-user-token")
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            UNAUTHENTICATED,
            "X-User-Token is missing (OTEL_EXPORTER_OTLP_HEADERS=x-user-token=<token>)",
        ));
    }
    let user = lookout_logs::authenticate_token(&deps.store.users, token)
        .await
        .map_err(log_refusal)?;
    let resources = lookout_otlp::decode_request(format, header(req, "content-encoding"), bytes)
        .map_err(refused)?;
    let now = deps.clock.now();
    let mut stored = 0;
    let mut rejected = 0_i64;
    for resource in resources {
        let (batch, bytes, dropped) = batch_of(&user.name, resource, now);
        rejected += dropped;
        if batch.logs.is_empty() {
            continue;
        }
        stored += store(deps, &user, batch, bytes, now).await?;
    }
    Ok((format, stored, rejected))
}

async fn store(
    deps: &Deps,
    user: &LogUser,
    batch: Batch,
    body_bytes: u64,
    now: Timestamp,
) -> Result<usize, Refusal> {
    let cmd = SendBatch {
        user: user.clone(),
        batch,
        body_bytes,
        bytes_per_day: deps.quotas.log_bytes_per_day,
        now,
    };
    lookout_logs::send_logs(&deps.store.lines, &deps.store.usage, cmd)
        .await
        .map_err(log_refusal)
}

/// One resource's records as one batch of `user` (the records over [`MAX_MESSAGE_BYTES`]
/// left out and counted), with what its lines weigh.
fn batch_of(user: &UserName, resource: ResourceLogs, now: Timestamp) -> (Batch, u64, i64) {
    let mut bytes = 0_u64;
    let mut rejected = 0_i64;
    let mut logs = Vec::with_capacity(resource.records.len());
    for draft in resource.records {
        if draft.body.len() > MAX_MESSAGE_BYTES {
            rejected += 1;
            continue;
        }
        let line = line_of(draft, now);
        bytes += (line.msg.len() + line.p_description.len()) as u64;
        logs.push(line);
    }
    let p_name: String = resource
        .service_name
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| UNKNOWN_SERVICE.to_owned())
        .chars()
        .take(MAX_PROCESS_CHARS)
        .collect();
    let batch = Batch {
        user: user.clone(),
        pid: 0,
        p_name,
        post_time: now,
        logs,
    };
    (batch, bytes, rejected)
}

fn line_of(draft: LogDraft, now: Timestamp) -> LogLine {
    // OTel's warn and fatal are the log store's warning and critical; trace is debug.
    let level = Level::parse(draft.level.as_str()).unwrap_or(Level::Debug);
    let event_at = draft
        .time_ms
        .and_then(|ms| Timestamp::parse_json(&json!(ms)).ok())
        .unwrap_or(now);
    let mut ids = Map::new();
    if let Some(t) = draft.trace_id {
        ids.insert("trace_id".into(), Value::String(t));
    }
    if let Some(s) = draft.span_id {
        ids.insert("span_id".into(), Value::String(s));
    }
    LogLine {
        level,
        msg: draft.body,
        event_at,
        p_description: description(ids, draft.attributes),
    }
}

/// The ids, then the attributes, as one JSON object of at most [`MAX_DESCRIPTION_CHARS`]
/// characters: an attribute that would not fit is left out (the text stays valid JSON).
/// Empty when there is nothing to say.
fn description(ids: Map<String, Value>, attributes: Map<String, Value>) -> String {
    if ids.is_empty() && attributes.is_empty() {
        return String::new();
    }
    let mut out = String::from("{");
    let mut chars = 1;
    for (k, v) in ids.into_iter().chain(attributes) {
        let entry = format!(
            "{}{}:{}",
            if out.len() > 1 { "," } else { "" },
            Value::String(k),
            v
        );
        let n = entry.chars().count();
        if chars + n < MAX_DESCRIPTION_CHARS {
            out.push_str(&entry);
            chars += n;
        }
    }
    out.push('}');
    out
}

fn refused(err: OtlpError) -> Refusal {
    tracing::warn!(error = %err, "OTLP logs refused");
    match err {
        OtlpError::TooLarge { .. } => Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_ARGUMENT,
            err.to_string(),
        ),
        OtlpError::UnsupportedMediaType => Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            INVALID_ARGUMENT,
            "Content-Type must be application/x-protobuf or application/json",
        ),
        OtlpError::Malformed(_) => {
            Refusal::new(StatusCode::BAD_REQUEST, INVALID_ARGUMENT, err.to_string())
        }
    }
}

/// The logs domain's errors as OTLP answers (faults generic, their details only in the log).
fn log_refusal(err: LogError) -> Refusal {
    match err {
        LogError::TokenMismatch | LogError::Forbidden(_) | LogError::UnknownUser(_) => {
            tracing::warn!(error = %err, "OTLP logs refused");
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                UNAUTHENTICATED,
                "X-User-Token is not a log user's current token",
            )
        }
        LogError::Invalid(msg) => {
            tracing::warn!(error = %msg, "OTLP logs refused");
            Refusal::new(StatusCode::BAD_REQUEST, INVALID_ARGUMENT, msg)
        }
        LogError::TooLarge => Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_ARGUMENT,
            err.to_string(),
        ),
        LogError::Quota(q) => {
            tracing::warn!(error = %q, "OTLP logs over quota");
            let mut r = Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                RESOURCE_EXHAUSTED,
                q.to_string(),
            );
            r.retry_after = Some(q.retry_after);
            r
        }
        LogError::Store(StoreError::Unavailable(_) | StoreError::Throttled(_)) => {
            tracing::error!(error = %error_chain(&err), "OTLP logs failed: a service is unavailable");
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                UNAVAILABLE,
                "service unavailable",
            )
        }
        LogError::UserExists(_) | LogError::Store(_) => {
            tracing::error!(error = %error_chain(&err), "OTLP logs failed");
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                INTERNAL,
                "internal error",
            )
        }
    }
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`logs-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
