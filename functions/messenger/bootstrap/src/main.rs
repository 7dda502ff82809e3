//! One binary for every messenger function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

use lambda_http::{tracing, Error};

/// The `Handler` values this binary serves (template.yaml's, checked by the wiring test).
const HANDLERS: &[&str] = &[
    "contacts-create",
    "contacts-delete",
    "contacts-list",
    "contacts-send",
    "get-failed-mess",
    "messenger-deliver",
];

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let handler = std::env::var("_HANDLER").unwrap_or_default();
    match handler.as_str() {
        "contacts-create" => contacts_create::serve().await,
        "contacts-delete" => contacts_delete::serve().await,
        "contacts-list" => contacts_list::serve().await,
        "contacts-send" => contacts_send::serve().await,
        "get-failed-mess" => get_failed_mess::serve().await,
        "messenger-deliver" => messenger_deliver::serve().await,
        other => Err(lookout_core::bootstrap::unknown_handler(other, HANDLERS).into()),
    }
}
