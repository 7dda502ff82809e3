//! What the domains' deploy binaries (`functions/<domain>/bootstrap`) share: each serves every
//! function of its domain and picks the handler from `_HANDLER`, the template's `Handler`.

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
