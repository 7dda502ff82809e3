//! `POST /add_event {"sessionId","events":[{"eventAt","eventType","payload"}]}` → `{"message":"request received"}`.
//! 404 for an unknown session, 409 once it has ended.

use lambda_http::{Body, Error, Request, Response};
use lookout_http::Authenticate;
use lookout_http::{ok, parse_json, respond};
use lookout_tracker::{AddEvents, Received};

pub use lookout_tracker::Deps;

/// Up to 1000 events of up to 32 KB each fit under Lambda's 6 MB payload limit.
pub const BODY_LIMIT: usize = lookout_http::MAX_BODY_LIMIT;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps
            .keys
            .authenticate(&req, lookout_keys::Scope::Tracker)
            .await?;
        let input: AddEvents = parse_json(&req, BODY_LIMIT)?;
        let store = &deps.store;
        lookout_tracker::add_events(
            &store.sessions,
            &store.events,
            &store.counters,
            &caller.tenant,
            input,
        )
        .await?;
        Ok(ok(&Received::new()))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`tracker-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
