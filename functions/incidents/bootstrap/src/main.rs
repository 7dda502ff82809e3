//! One binary for every incidents function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "apply-app-transitions" => apply_app_transitions,
    "admin-delete-app" => admin_delete_app,
    "admin-get-incident" => admin_get_incident,
    "admin-list-apps" => admin_list_apps,
    "admin-list-incidents" => admin_list_incidents,
    "admin-register-app" => admin_register_app,
    "report-incident" => report_incident,
    "admin-update-app" => admin_update_app,
    "admin-update-incident" => admin_update_incident,
}
