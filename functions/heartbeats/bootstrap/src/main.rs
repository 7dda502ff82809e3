//! One binary for every heartbeats function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "admin-update-heartbeat-app" => admin_update_heartbeat_app,
    "admin-list-heartbeat-apps" => admin_list_heartbeat_apps,
    "admin-get-ping-output" => admin_get_ping_output,
    "record-heartbeat" => record_heartbeat,
    "get-badge" => get_badge,
    "record-signal" => record_signal,
    "record-ping" => record_ping,
    "scan-silent-apps" => scan_silent_apps,
}
