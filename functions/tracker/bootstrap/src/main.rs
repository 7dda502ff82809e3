//! One binary for every tracker function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "add-event" => add_event,
    "end-session" => end_session,
    "get-machine-events" => get_machine_events,
    "get-session" => get_session,
    "start-session" => start_session,
}
