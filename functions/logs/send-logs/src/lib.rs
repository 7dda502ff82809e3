//! `POST /send_logs` (seed 000): `{"data":{"user","pid","p_name","post_time","logs":[…]}}` with
//! `X-User-Token: <md5 hex>`. Replies exactly as the seed did:
//!
//! | status | body |
//! |---|---|
//! | 200 | `{"code":200,"message":"Logs added successfully"}` |
//! | 400 | `{"code":400,"message":"BadRequest"}` (bad JSON, missing/invalid fields, > 10,000 lines) |
//! | 403 | `{"code":403,"message":"Forbidden"}` (no token, unknown user, wrong token) |
//! | 413 | `{"code":413,"message":"PayloadTooLarge"}` (body over 1 MB) |
//! | 500 | `{"code":500,"message":"InternalServerError"}` (nothing partial: retry the batch) |
//!
//! The seed's bodies carry no detail; ours add an `x-lookout-error` header saying what was wrong.

use lambda_http::{
    http::{HeaderValue, StatusCode},
    Body, Error, Request, Response,
};
use lookout_core::{
    aws, config,
    error::error_chain,
    http::{body_bytes, header, json_response, starts_object},
    time::Timestamp,
};
use lookout_logs::{LogStore, LogsError, SendLogs, MAX_BODY_BYTES};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct Deps {
    pub store: LogStore,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: LogStore::from_env(aws::dynamodb(&sdk))?,
        })
    }
}

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

/// The seed-000 family's one error mapping: each [`LogsError`] as the seed's reply (storage
/// faults as the bare 500, their details only in the log).
fn seed_reply(err: &LogsError) -> Response<Body> {
    let status = match err {
        LogsError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        LogsError::Invalid(_) => StatusCode::BAD_REQUEST,
        LogsError::Forbidden(_) | LogsError::UnknownUser(_) => StatusCode::FORBIDDEN,
        LogsError::UserExists(_) | LogsError::Store(_) => {
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

/// Checks and stores one batch: the number of lines stored.
async fn accept(deps: &Deps, req: &Request) -> Result<usize, LogsError> {
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(LogsError::TooLarge);
    }
    if !starts_object(bytes) {
        return Err(LogsError::Invalid(
            "invalid JSON body: expected a JSON object".into(),
        ));
    }
    let input: SendLogs =
        serde_json::from_slice(bytes).map_err(|e| LogsError::Invalid(e.to_string()))?;
    input.data.validate().map_err(LogsError::Invalid)?;
    let token = header(req, "x-user-token")
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(LogsError::Forbidden("X-User-Token is missing".into()));
    }
    if !deps.store.verify(&input.data.user, token).await? {
        return Err(LogsError::Forbidden(
            "user and X-User-Token do not match".into(),
        ));
    }
    deps.store.store(input.data, Timestamp::now()).await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`logs-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
