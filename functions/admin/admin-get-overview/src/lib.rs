//! `GET /admin/overview` (admin) → what is broken now, across tenants: apps down or late,
//! unresolved incidents by level, deliveries failed in the last 24 hours, each with what the
//! console needs to link to its detail.
//!
//! It reads three sparse indexes, never a Scan: heartbeats' `watch` (late and down apps only),
//! incidents' `open` (unresolved ones only) and the messenger's `failed-all` (failed deliveries
//! only), so its cost follows the trouble, not the size of the stack. Each list is capped and
//! says when it was. The incident volume chart is one Query of the incidents' 30 daily
//! counter items.

use lambda_http::{Body, Error, Request, Response};
use lookout_core::{
    auth::AdminAuth,
    aws, config,
    time::{SharedClock, Timestamp},
};
use lookout_heartbeats::{Attention, HeartbeatStore};
use lookout_http::{ok, respond_no_store, AdminCheck, AppError};
use lookout_incidents::{DayVolume, IncidentStore, OpenIncidents};
use lookout_messenger::broadcast::{BroadcastStore, FailedSince};
use serde::Serialize;

/// Open incidents and failed deliveries listed by name (all are counted).
pub const RECENT: usize = 20;

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub heartbeats: HeartbeatStore,
    pub incidents: IncidentStore,
    pub messenger: BroadcastStore,
    pub clock: SharedClock,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        let ddb = aws::dynamodb(&sdk);
        Ok(Self {
            admin: AdminAuth::from_env()?,
            heartbeats: HeartbeatStore::from_env(ddb.clone())?,
            incidents: IncidentStore::from_env(ddb.clone())?,
            messenger: BroadcastStore::from_env(ddb)?,
            clock: lookout_core::time::system_clock(),
        })
    }
}

/// The reply.
#[derive(Debug, Serialize)]
pub struct Overview {
    pub generated_at: Timestamp,
    pub apps: Attention,
    pub incidents: OpenIncidents,
    /// Failed at or after `since` (24 hours before `generated_at`).
    pub failed_deliveries: FailedSince,
    pub since: Timestamp,
    /// Incidents opened per UTC day over the last 30 days, oldest first (the volume chart).
    pub incident_volume: Vec<DayVolume>,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        if req.uri().query().is_some_and(|q| !q.is_empty()) {
            return Err(AppError::validation(
                "GET /admin/overview takes no parameters",
            ));
        }
        let now = deps.clock.now();
        let since = now.plus_millis(-24 * 3_600_000).unwrap_or(now);
        let (apps, incidents, failed, volume) = tokio::join!(
            deps.heartbeats.attention(now),
            deps.incidents.open_incidents(RECENT),
            deps.messenger.failed_since(since, RECENT),
            deps.incidents.volume(now),
        );
        Ok(ok(&Overview {
            generated_at: now,
            apps: apps?,
            incidents: incidents?,
            failed_deliveries: failed?,
            since,
            incident_volume: volume?,
        }))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`admin-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
