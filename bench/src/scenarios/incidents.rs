//! Incidents scenarios: reporting and triaging incidents, incident apps, and the app events
//! (heartbeat transitions) that open incidents.

use anyhow::{Context, Result};
use lookout_core::events::{AppTransition, TransitionKind};
use lookout_incidents::{AppIn, Enrichment, NewIncident};
use serde_json::{json, Value};

use super::call::{Call, Expect, Request};
use super::fixture::{Fixture, Http};
use super::{now, unique, TENANT};

/// The call for an incidents function, `None` for any other.
pub(super) async fn call(fx: &Fixture, http: &Http<'_>, binary: &str) -> Result<Option<Call>> {
    let call = match binary {
        "report-incident" => http.call(
            vec![],
            vec![],
            Some(incident_body(
                &fx.app_name,
                &fx.app_code,
                &unique("disk full on host"),
            )),
            201,
        ),
        // A Sentry SDK's error event in an envelope (what `capture_exception` sends): a repeat
        // of a known error, grouped into its incident, as most events are.
        "serve-fallback" => Ok(Call {
            request: Request::Http {
                method: "POST".into(),
                path: format!("/api/{}/envelope/", fx.project_id),
                query: vec![],
                headers: vec![(
                    "x-sentry-auth".into(),
                    format!(
                        "Sentry sentry_version=7, sentry_client=sentry.python/2.0.0, sentry_key={}",
                        fx.dsn_key
                    ),
                )],
                body: Some(sentry_envelope()),
            },
            expect: Expect::Status(200),
        }),
        "admin-register-app" => http.call(
            fx.admin(),
            vec![],
            Some(
                json!({"name": unique("bench-app"), "description": "registered by the benchmark"}),
            ),
            201,
        ),
        "admin-update-app" => http.call(
            fx.admin(),
            vec![],
            Some(json!({"name": fx.app_name, "description": unique("updated")})),
            200,
        ),
        "admin-delete-app" => {
            let name = unique("bench-doomed");
            let app: AppIn = serde_json::from_value(json!({ "name": name }))?;
            fx.incidents
                .register_app(app)
                .await
                .context("registering an app to delete")?;
            http.call(fx.admin(), vec![], Some(json!({ "name": name })), 200)
        }
        "admin-list-apps" => http.call(fx.admin(), vec![], None, 200),
        "admin-list-incidents" => http.call(fx.admin(), vec![("limit", "50")], None, 200),
        "admin-get-incident" => {
            http.call(fx.admin(), vec![("id", fx.incident_id.as_str())], None, 200)
        }
        "admin-update-incident" => {
            // A fresh incident per call: the same one would grow a longer history each time.
            let fresh: NewIncident = serde_json::from_value(incident_body(
                &fx.app_name,
                &fx.app_code,
                &unique("to triage"),
            ))?;
            let (reported, _) = fx
                .incidents
                .report(&fresh, now(), || async { Enrichment::default() })
                .await
                .context("reporting an incident to update")?;
            http.call(
                fx.admin(),
                vec![],
                Some(
                    json!({"id": reported.id, "status": "acknowledged", "notes": "looking", "by": "bench"}),
                ),
                200,
            )
        }
        "apply-app-transitions" => {
            // A fresh app per call: each event opens its incident (the same app's repeat
            // would be dropped as already seen).
            let event = AppTransition {
                tenant: TENANT.into(),
                app_id: unique("bench-job"),
                kind: TransitionKind::Down,
                seq: 1,
                at: now(),
                reason: Some("silent: overdue".into()),
                app: None,
            };
            Ok(Call {
                request: Request::Sqs {
                    queue_arn: fx.app_events_arn.clone(),
                    bodies: vec![serde_json::to_string(&event)?],
                },
                expect: Expect::NoBatchFailures,
            })
        }
        _ => return Ok(None),
    };
    call.map(Some)
}

/// A report of an incident titled `title` for the app `app` (with its `code`).
pub(super) fn incident_body(app: &str, code: &str, title: &str) -> Value {
    json!({
        "incident": {
            "title": title,
            "message": "/var is 100% full on web-1",
            "level": "critical",
            "logs": ["df: /var 100%", "write failed: ENOSPC"]
        },
        "app_name": app,
        "code": code
    })
}

/// An envelope with one error event, as the Python SDK sends for an exception in a function.
fn sentry_envelope() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let header = json!({"event_id": id, "sent_at": now().to_rfc3339()});
    let event = json!({
        "event_id": id,
        "level": "error",
        "platform": "python",
        "timestamp": now().to_rfc3339(),
        "release": "shop@1.4.2",
        "environment": "production",
        "exception": {"values": [{
            "type": "ZeroDivisionError",
            "value": "division by zero",
            "mechanism": {"type": "generic", "handled": true},
            "stacktrace": {"frames": [
                {"filename": "shop/checkout.py", "function": "total", "lineno": 42, "in_app": true,
                 "context_line": "    return amount / count"},
                {"filename": "shop/views.py", "function": "checkout", "lineno": 17, "in_app": true}
            ]}
        }]},
        "tags": {"region": "eu-west-1"},
        "breadcrumbs": {"values": [{"category": "http", "message": "GET /cart", "timestamp": now().to_rfc3339()}]}
    });
    let payload = event.to_string();
    let item = json!({"type": "event", "length": payload.len()});
    format!("{header}\n{item}\n{payload}\n")
}
