//! What the domains' deploy binaries (`functions/<domain>/bootstrap`) share: each serves every
//! function of its domain and picks the handler from `_HANDLER`, the template's `Handler`.

/// The `main` of a domain's deploy binary: `"handler" => crate` for each function it serves
/// (each crate has `serve()`); `_HANDLER` picks one, anything else fails the init with
/// [`unknown_handler`]. The binary's crate must depend on tokio and lambda_http.
#[macro_export]
macro_rules! bootstrap_main {
    ($($handler:literal => $krate:ident),+ $(,)?) => {
        /// The `Handler` values this binary serves (template.yaml's, checked by the wiring test).
        const HANDLERS: &[&str] = &[$($handler),+];

        #[::tokio::main]
        async fn main() -> Result<(), ::lambda_http::Error> {
            $crate::bootstrap::init_logging();
            let handler = std::env::var("_HANDLER").unwrap_or_default();
            match handler.as_str() {
                $($handler => $krate::serve().await,)+
                other => Err($crate::bootstrap::unknown_handler(other, HANDLERS).into()),
            }
        }
    };
}

/// Installs the functions' log subscriber ([`lookout_core::logging`]).
pub use lookout_core::logging::init as init_logging;

/// The error of a deploy binary started with a `_HANDLER` it does not serve (a template whose
/// `Handler` names no function of the binary's domain): the Lambda's init fails and says why.
pub fn unknown_handler(handler: &str, served: &[&str]) -> String {
    format!(
        "_HANDLER {handler:?} is not a function of this binary; it serves: {}",
        served.join(", ")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unknown_handler_names_what_the_binary_serves() {
        assert_eq!(
            super::unknown_handler("bootstrap", &["start-session", "add-event"]),
            "_HANDLER \"bootstrap\" is not a function of this binary; it serves: start-session, add-event"
        );
    }
}
