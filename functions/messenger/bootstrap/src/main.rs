//! One binary for every messenger function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_core::bootstrap_main! {
    "contacts-create" => contacts_create,
    "contacts-delete" => contacts_delete,
    "contacts-list" => contacts_list,
    "contacts-send" => contacts_send,
    "get-failed-mess" => get_failed_mess,
    "messenger-deliver" => messenger_deliver,
}
