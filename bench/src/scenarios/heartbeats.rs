//! Heartbeats scenarios: beats and signals, the badge, heartbeat apps and the silent-app
//! scanner.

use anyhow::Result;
use lookout_heartbeats::BadgeKey;
use serde_json::json;

use super::call::{Call, Expect, Request};
use super::fixture::{Fixture, Http};
use super::{now, TENANT};

/// The heartbeat app the fixture keeps up.
pub(super) const HEARTBEAT_APP: &str = "42";

/// The call for a heartbeats function, `None` for any other.
pub(super) fn call(fx: &Fixture, http: &Http<'_>, binary: &str) -> Result<Option<Call>> {
    let call = match binary {
        "record-heartbeat" => http.call(
            fx.key(),
            vec![],
            Some(json!({"app_id": HEARTBEAT_APP, "message": "OK:200"})),
            200,
        ),
        "record-signal" => http.at(
            Some("/api/apps/success".into()),
            fx.key(),
            vec![],
            Some(json!({"app_id": HEARTBEAT_APP})),
            200,
        ),
        "get-badge" => {
            let badge = BadgeKey::from_secret(&fx.badge_secret);
            http.at(
                Some(badge.path(TENANT, HEARTBEAT_APP)),
                vec![],
                vec![],
                None,
                200,
            )
        }
        "admin-update-heartbeat-app" => http.call(
            fx.admin(),
            vec![],
            Some(
                json!({"tenant": TENANT, "app_id": HEARTBEAT_APP, "period_seconds": 60, "grace_seconds": 30}),
            ),
            200,
        ),
        "admin-list-heartbeat-apps" => http.call(
            fx.admin(),
            vec![("tenant", TENANT), ("limit", "100")],
            None,
            200,
        ),
        "scan-silent-apps" => Ok(Call {
            request: Request::Scheduled {
                time: now().to_rfc3339(),
            },
            expect: Expect::Object,
        }),
        _ => return Ok(None),
    };
    call.map(Some)
}
