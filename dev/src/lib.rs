//! Dev-only tooling for running Lookout locally and in tests. Never deployed.
//!
//! - [`template`]: reads template.yaml (resources, functions, routes, event wiring),
//! - [`provision`]: creates the template's tables and queues in moto under a prefix,
//! - [`moto`]: finds or starts moto_server (IAM enforced),
//! - [`iam`]: each function's role from the SAM-transformed template, and the check of every
//!   recorded AWS request against its policy's actions and resources,
//! - [`emulator`]: the messenger emulator (Telegram, WhatsApp, Viber) for dev and tests,
//! - [`pump`]: the local event pump (schedules and SQS → functions under `cargo lambda watch`).

pub mod emulator;
pub mod iam;
pub mod moto;
pub mod provision;
pub mod pump;
pub mod template;

/// Installs the ring crypto provider as the process default (idempotent). Call before
/// building a reqwest client: with the workspace's unified features reqwest's rustls has no
/// provider of its own.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// One `KEY=value` line of an env file for `cargo lambda watch --env-file` (dotenv syntax):
/// values with anything but plain characters are quoted, so JSON parameters survive.
pub fn env_line(key: &str, value: &str) -> String {
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-./:@,+=%".contains(&b));
    if plain {
        format!("{key}={value}\n")
    } else if !value.contains('\'') {
        format!("{key}='{value}'\n")
    } else {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("{key}=\"{escaped}\"\n")
    }
}

#[cfg(test)]
mod env_line_tests {
    use super::env_line;

    #[test]
    fn values_are_quoted_when_needed() {
        assert_eq!(env_line("A", "http://x:1/y"), "A=http://x:1/y\n");
        assert_eq!(env_line("A", ""), "A=\n");
        assert_eq!(
            env_line("A", r#"{"telegram": "1"}"#),
            "A='{\"telegram\": \"1\"}'\n"
        );
        assert_eq!(env_line("A", "it's"), "A=\"it's\"\n");
    }
}
