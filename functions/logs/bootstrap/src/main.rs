//! One binary for every logs function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "admin-issue-log-token" => admin_issue_log_token,
    "query-logs" => query_logs,
    "send-logs" => send_logs,
    "record-otlp-logs" => record_otlp_logs,
}
