//! Heartbeats scenarios: beats and signals, the badge, heartbeat apps and the silent-app
//! scanner.

use anyhow::{Context, Result};
use aws_sdk_dynamodb::types::AttributeValue;
use lookout_heartbeats::{AdminAppIn, BadgeKey, HeartbeatStore, OutputRef};
use serde_json::json;

use super::call::{Call, Expect, Request};
use super::fixture::{Fixture, Http};
use super::{now, TENANT};

/// The heartbeat app the fixture keeps up.
pub(super) const HEARTBEAT_APP: &str = "42";

/// Runs and ping outputs an app keeps (`MAX_RUNS`, `MAX_PING_OUTPUTS`), and the days of
/// uptime booking a month shows.
const KEPT_RUNS: usize = 20;
const KEPT_OUTPUTS: usize = 20;
const BOOKED_DAYS: i64 = 30;

/// Makes the fixture app what a real one is after a month: watched (hourly, 10 minutes'
/// grace, so every beat moves it in the `due` index), its run history and ping outputs at
/// their bounds, 30 days of downtime booked. A beat or signal is then billed on that item,
/// not on a fresh one (an UpdateItem costs the larger of the item before and after).
pub(super) async fn make_realistic(
    store: &HeartbeatStore,
    ddb: &aws_sdk_dynamodb::Client,
    tenant: &str,
) -> Result<()> {
    make_realistic_app(store, ddb, tenant, HEARTBEAT_APP).await
}

/// [`make_realistic`] for `tenant`'s app `app_id`, registered by a beat if it is new.
pub async fn make_realistic_app(
    store: &HeartbeatStore,
    ddb: &aws_sdk_dynamodb::Client,
    tenant: &str,
    app_id: &str,
) -> Result<()> {
    let beat: lookout_heartbeats::HeartbeatIn =
        serde_json::from_value(json!({"app_id": app_id, "message": "OK:200"}))?;
    let owner = lookout_core::auth::Tenant::parse(tenant).map_err(|e| anyhow::anyhow!(e))?;
    store
        .heartbeat(&owner, &beat, now())
        .await
        .context("registering the app")?;
    let start = now().unix_millis() - BOOKED_DAYS * 86_400_000;
    let at = |ms: i64| {
        lookout_core::time::Timestamp::from_datetime(
            chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default(),
        )
        .unwrap_or_else(now)
    };
    let runs: Vec<serde_json::Value> = (0..KEPT_RUNS as i64)
        .map(|i| {
            let began = start + i * 3_600_000;
            json!({
                "run_id": uuid::Uuid::new_v4().to_string(),
                "started_at": at(began),
                "finished_at": at(began + 42_000),
                "duration_ms": 42_000,
                "outcome": "success",
                "exit_code": 0,
            })
        })
        .collect();
    let outputs: Vec<OutputRef> = (0..KEPT_OUTPUTS as i64)
        .map(|i| OutputRef {
            id: uuid::Uuid::new_v4().simple().to_string(),
            at: at(start + i * 3_600_000),
            kind: "success".into(),
            run_id: Some(uuid::Uuid::new_v4().to_string()),
            exit_code: Some(0),
            bytes: 2_048,
            truncated: false,
        })
        .collect();
    let downtime: std::collections::BTreeMap<String, u32> = (0..BOOKED_DAYS)
        .map(|d| {
            let day = at(start + d * 86_400_000).datetime().format("%Y-%m-%d");
            (day.to_string(), 60 * (d as u32 % 7))
        })
        .collect();
    let value = |v: serde_json::Value| -> Result<AttributeValue> {
        Ok(serde_dynamo::to_attribute_value(v)?)
    };
    let table = store.table().to_owned();
    ddb.update_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(format!("APP#{tenant}#{app_id}")))
        .update_expression("SET runs = :r, outputs = :o, downtime = :d")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":r", value(json!(runs))?)
        .expression_attribute_values(":o", value(serde_json::to_value(outputs)?)?)
        .expression_attribute_values(":d", value(serde_json::to_value(downtime)?)?)
        .send()
        .await
        .context("booking the app's history")?;
    // Then the admin watches it: a write of the whole item, which stores the history as every
    // write of the app does (packed), not as the lists and maps written just above.
    let settings: AdminAppIn = serde_json::from_value(json!({
        "tenant": tenant, "app_id": app_id, "period_seconds": 3600, "grace_seconds": 600
    }))?;
    store
        .admin_update(&settings, now())
        .await
        .context("watching the app")?;
    Ok(())
}

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
        // A Healthchecks success ping by a check's UUID (month-old checks, taken in turn).
        "record-ping" => http.at(
            Some(format!("/ping/{}", fx.ping_id())),
            vec![],
            vec![],
            None,
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
        "admin-issue-ping-key" => http.call(fx.admin(), vec![], Some(json!({"tenant": TENANT})), 201),
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
