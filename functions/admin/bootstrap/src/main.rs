//! One binary for every admin function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_core::bootstrap_main! {
    "admin-api-keys" => admin_api_keys,
    "admin-overview" => admin_overview,
    "console" => console,
}
