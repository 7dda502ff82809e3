//! One binary for every incidents function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

use lambda_http::{tracing, Error};

/// The `Handler` values this binary serves (template.yaml's, checked by the wiring test).
const HANDLERS: &[&str] = &[
    "delete-app",
    "get-incident",
    "list-apps",
    "list-incidents",
    "register-app",
    "report-incident",
    "update-app",
    "update-incident",
];

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let handler = std::env::var("_HANDLER").unwrap_or_default();
    match handler.as_str() {
        "delete-app" => delete_app::serve().await,
        "get-incident" => get_incident::serve().await,
        "list-apps" => list_apps::serve().await,
        "list-incidents" => list_incidents::serve().await,
        "register-app" => register_app::serve().await,
        "report-incident" => report_incident::serve().await,
        "update-app" => update_app::serve().await,
        "update-incident" => update_incident::serve().await,
        other => Err(lookout_core::bootstrap::unknown_handler(other, HANDLERS).into()),
    }
}
