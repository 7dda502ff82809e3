//! `POST /send_logs` (seed 000): `{"data":{"user","pid","p_name","post_time","logs":[…]}}` with
//! `X-User-Token: <md5 hex>`. Replies exactly as the seed did:
//!
//! | status | body |
//! |---|---|
//! | 200 | `{"code":200,"message":"Logs added successfully"}` |
//! | 400 | `{"code":400,"message":"BadRequest"}` (bad JSON, missing/invalid fields, > 10,000 lines) |
//! | 403 | `{"code":403,"message":"Forbidden"}` (no token, unknown user, wrong token) |
//! | 413 | `{"code":413,"message":"PayloadTooLarge"}` (body over 1 MB) |
//! | 429 | `{"code":429,"message":"TooManyRequests"}` + `Retry-After` (the user's bytes for the UTC day are used up; Lookout's addition) |
//! | 500 | `{"code":500,"message":"InternalServerError"}` (nothing partial: retry the batch) |
//! | 503 | `{"code":503,"message":"ServiceUnavailable"}` + `Retry-After` (DynamoDB out of reach; nothing partial: retry the batch) |
//!
//! The seed's bodies carry no detail; ours add an `x-lookout-error` header saying what was wrong.
//!
//! Order of checks: size (413), token present (403), the body names a user (403: nothing to
//! check the token against), the token is that user's (403), then the batch itself (400) and
//! the user's daily bytes (429).

use lambda_http::{
    http::{HeaderValue, StatusCode},
    Body, Error, Request, Response,
};
use lookout_core::{error::error_chain, json::starts_object, StoreError};
use lookout_http::{
    body_bytes, header, json_response, set_retry_after, set_unavailable_retry_after,
};
use lookout_logs::{LogError, SendBatch, SendLogs, UserName, MAX_BODY_BYTES};
use serde::{Deserialize, Serialize};

/// The log store, the quotas and the clock (shared with the other ingestion route).
pub use lookout_logs::IngestDeps as Deps;

#[derive(Debug, Serialize)]
struct Reply {
    code: u16,
    message: &'static str,
}

fn reply(status: StatusCode, detail: Option<&str>) -> Response<Body> {
    let message = match status.as_u16() {
        200 => "Logs added successfully",
        400 => "BadRequest",
        403 => "Forbidden",
        413 => "PayloadTooLarge",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        _ => "InternalServerError",
    };
    let mut resp = json_response(
        status,
        &Reply {
            code: status.as_u16(),
            message,
        },
    );
    if let Some(d) = detail.and_then(|d| HeaderValue::from_str(&d.replace(['\r', '\n'], " ")).ok())
    {
        resp.headers_mut().insert("x-lookout-error", d);
    }
    resp
}

/// The seed-000 family's one error mapping: each [`LogError`] as the seed's reply (storage
/// faults as the bare 500, their details only in the log).
fn seed_reply(err: &LogError) -> Response<Body> {
    let status = match err {
        LogError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        LogError::Invalid(_) => StatusCode::BAD_REQUEST,
        LogError::Forbidden(_) | LogError::TokenMismatch | LogError::UnknownUser(_) => {
            StatusCode::FORBIDDEN
        }
        LogError::Quota(q) => {
            tracing::warn!(status = 429, error = %err, "send_logs over quota");
            let mut resp = reply(StatusCode::TOO_MANY_REQUESTS, Some(&err.to_string()));
            set_retry_after(&mut resp, q.retry_after);
            return resp;
        }
        LogError::Store(StoreError::Unavailable(_) | StoreError::Throttled(_)) => {
            tracing::error!(error = %error_chain(err), "send_logs failed: a service is unavailable");
            let mut resp = reply(StatusCode::SERVICE_UNAVAILABLE, None);
            set_unavailable_retry_after(&mut resp);
            return resp;
        }
        LogError::UserExists(_) | LogError::Store(_) => {
            tracing::error!(error = %error_chain(err), "send_logs failed");
            return reply(StatusCode::INTERNAL_SERVER_ERROR, None);
        }
    };
    tracing::warn!(status = status.as_u16(), error = %err, "send_logs rejected");
    reply(status, Some(&err.to_string()))
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(match accept(deps, &req).await {
        Ok(lines) => {
            tracing::info!(lines, "logs stored");
            reply(StatusCode::OK, None)
        }
        Err(err) => seed_reply(&err),
    })
}

/// The part of a batch read before its token is checked: whose it claims to be.
#[derive(Deserialize)]
struct Claim {
    data: ClaimData,
}

#[derive(Deserialize)]
struct ClaimData {
    user: UserName,
}

/// Reads and stores one batch: the number of lines stored. The caller is authenticated
/// before the batch is read: without the user's token, a body's mistakes are not reported
/// (only its size comes first; a body naming no user cannot be checked and is refused).
async fn accept(deps: &Deps, req: &Request) -> Result<usize, LogError> {
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(LogError::TooLarge);
    }
    let token = header(req, "x-user-token")
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(LogError::Forbidden("X-User-Token is missing".into()));
    }
    // A body that names no user cannot be checked against the token: refused as unchecked.
    let claim: Claim = serde_json::from_slice(bytes).map_err(|_| {
        LogError::Forbidden(
            "the body names no user to check X-User-Token against: {\"data\": {\"user\": ...}}"
                .into(),
        )
    })?;
    let user = lookout_logs::authenticate(&deps.store.users, &claim.data.user, token).await?;
    if !starts_object(bytes) {
        return Err(LogError::Invalid(
            "invalid JSON body: expected a JSON object".into(),
        ));
    }
    let input: SendLogs =
        serde_json::from_slice(bytes).map_err(|e| LogError::Invalid(e.to_string()))?;
    let batch = SendBatch {
        user,
        batch: input.data,
        body_bytes: bytes.len() as u64,
        bytes_per_day: deps.quotas.log_bytes_per_day,
        now: deps.clock.now(),
    };
    lookout_logs::send_logs(&deps.store.lines, &deps.store.usage, batch).await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`logs-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
