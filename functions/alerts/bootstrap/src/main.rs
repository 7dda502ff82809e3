//! One binary for every alerts function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "admin-create-alert-channel" => admin_create_alert_channel,
    "admin-delete-alert-channel" => admin_delete_alert_channel,
    "admin-get-alert-routes" => admin_get_alert_routes,
    "admin-list-alert-channels" => admin_list_alert_channels,
    "admin-list-failed-alerts" => admin_list_failed_alerts,
    "admin-update-alert-routes" => admin_update_alert_routes,
    "admin-send-test-alert" => admin_send_test_alert,
    "deliver-alerts" => deliver_alerts,
    "record-alert-ack" => record_alert_ack,
}
