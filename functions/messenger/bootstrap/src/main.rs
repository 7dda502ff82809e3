//! One binary for the messenger's HTTP functions (`sam build` builds it once for all of them);
//! each function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`. The queue consumer (`deliver-messages`) is
//! built as its own binary: it alone links the messengers' HTTPS client and Secrets Manager,
//! which the HTTP functions would otherwise load at every cold start.

lookout_http::bootstrap_main! {
    "create-contacts" => create_contacts,
    "delete-contacts" => delete_contacts,
    "list-contacts" => list_contacts,
    "send-messages" => send_messages,
    "list-failed-messages" => list_failed_messages,
}
