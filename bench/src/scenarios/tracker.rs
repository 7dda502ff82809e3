//! Tracker scenarios: sessions and their events.

use anyhow::{Context, Result};
use lookout_core::auth::Tenant;
use lookout_tracker::{StartSession, TrackerStore};
use serde_json::json;

use super::call::Call;
use super::fixture::{Fixture, Http};

/// The machine the benchmark's sessions run on.
pub(super) const MACHINE: &str = "bench-machine";

/// The call for a tracker function, `None` for any other.
pub(super) async fn call(fx: &Fixture, http: &Http<'_>, binary: &str) -> Result<Option<Call>> {
    let call = match binary {
        "start-session" => http.call(
            fx.key(),
            vec![],
            Some(
                json!({"userId": "bench-user", "machineId": MACHINE, "startAt": "2026-01-01T00:00:00Z", "orgId": 1}),
            ),
            200,
        ),
        "add-event" => http.call(
            fx.key(),
            vec![],
            Some(json!({"sessionId": fx.session_id, "events": [
                {"eventAt": "2026-01-01T00:01:00Z", "eventType": "tick", "payload": {"n": 1}}
            ]})),
            200,
        ),
        "end-session" => {
            let sid = new_session(&fx.tracker, &fx.tenant).await?;
            http.call(
                fx.key(),
                vec![],
                Some(json!({"sessionId": sid, "endAt": "2026-01-01T01:00:00Z"})),
                200,
            )
        }
        "get-session" => http.call(
            fx.key(),
            vec![],
            Some(json!({"sessionId": fx.session_id})),
            200,
        ),
        "get-machine-events" => http.call(
            fx.key(),
            vec![],
            Some(json!({"machineId": MACHINE, "limit": 100})),
            200,
        ),
        _ => return Ok(None),
    };
    call.map(Some)
}

/// A fresh session on [`MACHINE`].
pub(super) async fn new_session(store: &TrackerStore, tenant: &Tenant) -> Result<String> {
    let input: StartSession = serde_json::from_value(json!({
        "userId": "bench-user", "machineId": MACHINE, "startAt": "2026-01-01T00:00:00Z", "orgId": 1
    }))?;
    store
        .start_session(tenant, input)
        .await
        .context("creating a session")
}
