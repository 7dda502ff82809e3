//! One binary for every heartbeats function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "admin-heartbeat-apps" => admin_heartbeat_apps,
    "admin-list-heartbeat-apps" => admin_list_heartbeat_apps,
    "heartbeat" => heartbeat,
    "heartbeat-badge" => heartbeat_badge,
    "heartbeat-signal" => heartbeat_signal,
    "silent-app-scanner" => silent_app_scanner,
}
