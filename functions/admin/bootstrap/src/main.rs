//! One binary for every admin function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "admin-issue-api-key" => admin_issue_api_key,
    "admin-issue-ping-key" => admin_issue_ping_key,
    "admin-list-api-keys" => admin_list_api_keys,
    "admin-revoke-api-key" => admin_revoke_api_key,
    "admin-get-overview" => admin_get_overview,
    "serve-console" => serve_console,
    "serve-openapi" => serve_openapi,
}
