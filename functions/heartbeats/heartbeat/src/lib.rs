//! `POST /api/apps {"app_id": 23, "message": "OK:200"}` (API key) →
//! `{"status":"ok","app_id":23,"state":"up","received_at":…,"due_by":…}`.
//!
//! This function is also the HTTP API's `$default` route, which gets every request no route
//! matches. HTTP API routes cannot end in `/`, so the seed-002 client's `POST /api/apps/`
//! arrives there and is answered here as a heartbeat. Any other request whose path is not
//! canonical (the seed-000 client's `//send_logs`) gets a 308 to the canonical path, as the
//! original servers did; the rest a JSON 404.
//!
//! Unknown apps are registered with the default period and grace (the seed accepted any id).
//! A beat from a `down` app makes it `up` and mails the admin that it is back.

use lambda_http::{Body, Error, Request, Response};
use lookout_core::{
    http::{canonical_path, ok, parse_json, permanent_redirect, respond},
    AppError,
};
use lookout_heartbeats::HeartbeatIn;

/// A heartbeat is tiny; anything bigger is not one.
pub const BODY_LIMIT: usize = 8 * 1024;

pub use lookout_heartbeats::ApiDeps as Deps;

/// The canonical path of the heartbeat route.
pub const ROUTE: &str = "/api/apps";

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let path = req.uri().path();
    let canonical = canonical_path(path);
    if canonical != ROUTE || req.method() != lambda_http::http::Method::POST {
        return respond(async {
            if canonical != path {
                let location = match req.uri().query() {
                    Some(q) => format!("{canonical}?{q}"),
                    None => canonical,
                };
                return Ok(permanent_redirect(&location));
            }
            Err(AppError::NotFound(format!(
                "no route for {} {path}",
                req.method()
            )))
        })
        .await;
    }
    respond(async {
        let caller = deps.keys.authenticate(&req, lookout_core::auth::Scope::Heartbeats).await?;
        let input: HeartbeatIn = parse_json(&req, BODY_LIMIT)?;
        let beaten = deps
            .store
            .heartbeat(&caller.tenant, &input, deps.clock.now())
            .await?;
        if let Some(mail) = &beaten.mail {
            // The beat is recorded either way; an unsent mail is resent by the scanner.
            if let Err(err) = deps.store.deliver(deps.notify(), mail).await {
                tracing::error!(error = %lookout_core::error::error_chain(&err), "recovery mail not sent yet");
            }
        }
        Ok(ok(&beaten.reply))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`heartbeats-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
