//! `DELETE /api/contacts` (API key) with `{"user_name", "contact": "name"}` (or a list of
//! names, or `"contacts"`) → `{"success": true}`.
//!
//! All or nothing: if any named contact does not exist, 404 names it and nothing is deleted.

use lambda_http::{Body, Error, Request, Response};
use lookout_shared::{
    broadcast::DeleteContacts,
    http::{body_bytes, ok, respond},
};
use serde_json::json;

pub use lookout_shared::broadcast::Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps.keys.authenticate(&req).await?;
        let input = DeleteContacts::from_json(body_bytes(&req))?;
        deps.store
            .delete_contacts(&caller.tenant, &input.user_name, &input.names)
            .await?;
        Ok(ok(&json!({"success": true})))
    })
    .await
}
