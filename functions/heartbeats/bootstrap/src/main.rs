//! One binary for every heartbeats function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

use lambda_http::{tracing, Error};

/// The `Handler` values this binary serves (template.yaml's, checked by the wiring test).
const HANDLERS: &[&str] = &[
    "admin-heartbeat-apps",
    "admin-list-heartbeat-apps",
    "heartbeat",
    "silent-app-scanner",
];

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let handler = std::env::var("_HANDLER").unwrap_or_default();
    match handler.as_str() {
        "admin-heartbeat-apps" => admin_heartbeat_apps::serve().await,
        "admin-list-heartbeat-apps" => admin_list_heartbeat_apps::serve().await,
        "heartbeat" => heartbeat::serve().await,
        "silent-app-scanner" => silent_app_scanner::serve().await,
        other => Err(lookout_core::bootstrap::unknown_handler(other, HANDLERS).into()),
    }
}
