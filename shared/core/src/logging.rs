//! The log subscriber every function installs first: what `lambda_runtime`'s
//! `init_default_subscriber` sets up, without its `EnvFilter`, whose regex engine was ~140 KB
//! of every deploy binary for a filter that is one level on Lambda.
//!
//! - The level: `AWS_LAMBDA_LOG_LEVEL` (the function's logging configuration), else `RUST_LOG`
//!   when it is one level (`debug`), else `INFO`. Per-target `RUST_LOG` directives
//!   (`info,hyper=warn`) are not read: the whole value must be a level.
//! - The format: JSON when `AWS_LAMBDA_LOG_FORMAT` is `JSON`, else text; no timestamps (CloudWatch
//!   stamps each line) and no targets, as the runtime's default.

use tracing::level_filters::LevelFilter;

/// The level the environment asks for (`var` reads one variable), [`LevelFilter::INFO`] when it
/// asks for none or for something that is not a level.
pub fn level(var: impl Fn(&str) -> Option<String>) -> LevelFilter {
    var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| var("RUST_LOG"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

/// Whether the environment asks for JSON lines (`AWS_LAMBDA_LOG_FORMAT=JSON`).
pub fn json(var: impl Fn(&str) -> Option<String>) -> bool {
    var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"))
}

/// Installs the subscriber for this process (once; a second call changes nothing).
pub fn init() {
    let var = |name: &str| std::env::var(name).ok();
    let fmt = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level(var));
    // `try_init`: an already installed subscriber (a test's) stays.
    let _ = if json(var) {
        fmt.json().try_init()
    } else {
        fmt.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_level_is_lambdas_then_rust_logs_then_info() {
        assert_eq!(level(env(&[])), LevelFilter::INFO);
        assert_eq!(level(env(&[("RUST_LOG", "debug")])), LevelFilter::DEBUG);
        assert_eq!(
            level(env(&[
                ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
                ("RUST_LOG", "debug")
            ])),
            LevelFilter::WARN
        );
        assert_eq!(level(env(&[("RUST_LOG", "trace ")])), LevelFilter::TRACE);
        // Directives are not a level: the default.
        assert_eq!(
            level(env(&[("RUST_LOG", "info,hyper=warn")])),
            LevelFilter::INFO
        );
        assert_eq!(
            level(env(&[("AWS_LAMBDA_LOG_LEVEL", "off")])),
            LevelFilter::OFF
        );
    }

    #[test]
    fn json_only_when_lambda_says_json() {
        assert!(json(env(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")])));
        assert!(json(env(&[("AWS_LAMBDA_LOG_FORMAT", "json")])));
        assert!(!json(env(&[("AWS_LAMBDA_LOG_FORMAT", "Text")])));
        assert!(!json(env(&[])));
    }
}
