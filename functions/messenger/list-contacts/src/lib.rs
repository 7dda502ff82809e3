//! `GET /api/contacts` (API key) with `{"user_name"}` as the JSON body (as the seed's client
//! sends it) or `?user_name=…` → `{"contacts": {name: {"telegram", "whatsApp", "viber"}}}`
//! (`""` for an unset messenger, as in the seed).

use lambda_http::{Body, Error, Request, RequestExt, Response};
use lookout_http::Authenticate;
use lookout_http::{body_bytes, ok, respond_no_store};
use lookout_keys::Scope;
use lookout_messenger::{get_params, list_contacts};

pub use lookout_messenger::Deps;

/// The query string as (name, value) pairs.
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.query_string_parameters()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        let caller = deps.keys.authenticate(&req, Scope::Messenger).await?;
        let (user, _) = get_params(body_bytes(&req), &query_pairs(&req), &[])?;
        let list = list_contacts(&deps.store.contacts, &caller.tenant, &user).await?;
        Ok(ok(&list))
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
