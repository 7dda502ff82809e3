//! One binary for every incidents function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "app-incidents" => app_incidents,
    "delete-app" => delete_app,
    "get-incident" => get_incident,
    "list-apps" => list_apps,
    "list-incidents" => list_incidents,
    "register-app" => register_app,
    "report-incident" => report_incident,
    "update-app" => update_app,
    "update-incident" => update_incident,
}
