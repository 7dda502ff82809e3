//! One binary for every logs function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

use lambda_http::{tracing, Error};

/// The `Handler` values this binary serves (template.yaml's, checked by the wiring test).
const HANDLERS: &[&str] = &["admin-log-users", "query-logs", "send-logs"];

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let handler = std::env::var("_HANDLER").unwrap_or_default();
    match handler.as_str() {
        "admin-log-users" => admin_log_users::serve().await,
        "query-logs" => query_logs::serve().await,
        "send-logs" => send_logs::serve().await,
        other => Err(lookout_core::bootstrap::unknown_handler(other, HANDLERS).into()),
    }
}
