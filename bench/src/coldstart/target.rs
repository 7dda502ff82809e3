//! What is measured: a target (a function's release binary, its Python/boto3 baseline, or
//! the floor), the environment Lambda would give it, and what was measured of it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use lookout_dev::template::Function;

use crate::ddb_meter::Tally;
use crate::scenarios::Family;

/// The baseline's script under `bench/baseline`.
pub(crate) const BASELINE: &str = "handler.py";
/// The floor (bench/floor): a minimal lambda_http binary answering 200, no AWS.
pub(crate) const FLOOR_PACKAGE: &str = "lookout-floor";
pub(crate) const FLOOR_BINARY: &str = "floor";

/// The language of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Rust,
    Python,
}

/// One measured program, and what was measured of it.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) family: Family,
    /// The function whose request (scenario) this target answers.
    pub(crate) function: Function,
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    /// Without the endpoint (added per process: moto, or the meter).
    pub(crate) env: BTreeMap<String, String>,
    /// Release binary, or the baseline's dependencies on disk.
    pub(crate) size_bytes: Option<u64>,
    pub(crate) memory_mb: u32,
    pub(crate) request: String,
    pub(crate) cold: Vec<Sample>,
    /// The floor's init measured just before each of `cold` (same index): the pair ran
    /// back to back, so a ratio compares two processes on the same machine state.
    pub(crate) floor_inits: Vec<Option<f64>>,
    pub(crate) warm: Option<Warm>,
    /// Per warm invocation (averaged over `--metered`).
    pub(crate) aws: Option<Tally>,
    /// Sequential AWS round trips per warm invocation (mean over `--metered`).
    pub(crate) round_trips: Option<f64>,
    pub(crate) failure: Option<String>,
}

/// One cold start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// Spawn → response at the Runtime API.
    pub(crate) total_ms: f64,
    /// Spawn → first poll for an event (initialisation).
    pub(crate) init_ms: Option<f64>,
    pub(crate) rss_kib: u64,
    /// CPU time at the response.
    pub(crate) cpu_ms: f64,
}

/// The warm invocations of one process.
#[derive(Debug, Clone)]
pub(crate) struct Warm {
    /// Event handed out → response, per invocation.
    pub(crate) wall_ms: Vec<f64>,
    /// CPU per warm invocation (all of them / their number).
    pub(crate) cpu_ms: f64,
    /// VmHWM after all of them.
    pub(crate) rss_kib: u64,
    /// stdout + stderr per invocation (the function's own log lines).
    pub(crate) log_bytes: f64,
}

/// What Lambda puts in every function's environment (besides the template's variables).
pub(crate) fn lambda_env(
    name: &str,
    kind: Kind,
    memory_mb: u32,
    task_root: &Path,
    handler: &str,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = [
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!("2026/01/01/[$LATEST]{}", uuid::Uuid::new_v4().simple()),
        ),
        // template.yaml: LoggingConfig: {LogFormat: JSON}
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("LAMBDA_TASK_ROOT", task_root.display().to_string()),
        ("TZ", ":UTC".to_owned()),
        ("LANG", "C.UTF-8".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Ok(path) = std::env::var("PATH") {
        env.insert("PATH".into(), path);
    }
    match kind {
        // A Rust function's `Handler` picks its handler in the domain's deploy binary.
        Kind::Rust => {
            env.insert("_HANDLER".into(), handler.to_owned());
        }
        Kind::Python => {
            env.insert("_HANDLER".into(), "handler.handler".into());
            env.insert("AWS_EXECUTION_ENV".into(), "AWS_Lambda_python3.11".into());
            env.insert("PYTHONUNBUFFERED".into(), "1".into());
        }
    }
    env
}
