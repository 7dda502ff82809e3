//! `POST /get_machine_events {"machineId"[, "limit", "nextToken"]}` → the machine's events across
//! sessions ordered by `eventAt`, with `nextToken` when more remain.

use lambda_http::{Body, Error, Request, Response};
use lookout_core::http::{ok, parse_json, respond, DEFAULT_BODY_LIMIT};
use lookout_tracker::GetMachineEvents;

pub use lookout_tracker::Deps;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let caller = deps.keys.authenticate(&req).await?;
        let input: GetMachineEvents = parse_json(&req, DEFAULT_BODY_LIMIT)?;
        let page = deps.store.machine_events(&caller.tenant, input).await?;
        Ok(ok(&page))
    })
    .await
}
