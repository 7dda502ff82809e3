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
use lookout_http::Authenticate;
use lookout_http::{body_bytes, ok, respond_no_store};
use lookout_keys::Scope;
use lookout_messenger::{list_failed, FailedQuery};

pub use lookout_messenger::Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        let caller = deps.keys.authenticate(&req, Scope::Messenger).await?;
        let query: Vec<(String, String)> = req
            .query_string_parameters()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let q = FailedQuery::parse(body_bytes(&req), &query)?;
        let page = list_failed(&deps.store.failed, &caller.tenant, &q).await?;
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
