//! `GET /api/get_failed_mess` (API key) with `{"user_name"}` as the JSON body or
//! `?user_name=…` (optional `limit` 1..=1000, default 100, and `next_token`) →
//! `{"data": [{"sender", "message", "contact", "url", "time": [Y,M,D,h,m,s], "messenger",
//! "address", "error", "failedAt", "attempts", "deliveryId"}], "next_token"?}`, newest first.
//! A page also stops at 4 MiB of `data` as JSON (a control character in a message is six bytes
//! there), so a page may hold fewer than `limit` and still have a `next_token`; replies are
//! `Cache-Control: no-store`.
//!
//! The seed's fields: `sender` is the user who sent, `url` the messenger endpoint tried (bot
//! tokens masked), `time` when the message was due. A delivery is listed once it failed for
//! good: rejected by the messenger, still failing after the last retry, or interrupted.

use lambda_http::{Body, Error, Request, RequestExt, Response};
use lookout_core::{
    http::{body_bytes, ok, respond_no_store},
    AppError,
};
use lookout_messenger::broadcast::{get_params, MAX_FAILED_PAGE};
use serde_json::Value;

pub use lookout_messenger::broadcast::Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        let caller = deps
            .keys
            .authenticate(&req, lookout_core::auth::Scope::Messenger)
            .await?;
        let query: Vec<(String, String)> = req
            .query_string_parameters()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let (user, params) = get_params(body_bytes(&req), &query, &["limit", "next_token"])?;
        let limit = match params.get("limit") {
            None => 100,
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=MAX_FAILED_PAGE).contains(n))
                .ok_or_else(|| {
                    AppError::Validation(format!("limit must be an integer 1..={MAX_FAILED_PAGE}"))
                })?,
        };
        let next_token = match params.get("next_token") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(t.as_str()),
            Some(_) => return Err(AppError::validation("next_token must be a string")),
        };
        let page = deps
            .store
            .failed(&caller.tenant, &user, limit, next_token)
            .await?;
        Ok(ok(&page))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`messenger-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
