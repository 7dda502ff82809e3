//! One binary for every edge function (`sam build` builds it once for all of them); each
//! function stays its own Lambda and runs the handler its template `Handler` names, which a
//! `provided.al2023` runtime passes as `_HANDLER`.

lookout_http::bootstrap_main! {
    "serve-fallback" => serve_fallback,
}
