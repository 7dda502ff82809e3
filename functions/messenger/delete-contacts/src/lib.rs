//! `DELETE /api/contacts` (API key) with `{"user_name", "contact": "name"}` (or a list of
//! names, or `"contacts"`) → `{"success": true, "not_found": [...]}`.
//!
//! The named contacts that exist are deleted in one transaction. As in the seed, naming a
//! contact that does not exist is no error: the reply lists such names in `"not_found"`.

use lambda_http::{Body, Error, Request, Response};
use lookout_http::Authenticate;
use lookout_http::{body_bytes, ok, respond};
use lookout_keys::Scope;
use lookout_messenger::{delete_contacts, DeleteContacts};

pub use lookout_messenger::Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps.keys.authenticate(&req, Scope::Messenger).await?;
        let input = DeleteContacts::from_json(body_bytes(&req))?;
        let deleted = delete_contacts(&deps.store.contacts, &caller.tenant, &input).await?;
        Ok(ok(&deleted))
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
