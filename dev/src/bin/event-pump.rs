//! `event-pump`: the dev-only local event pump (see `lookout_dev::pump`).
//!
//! ```text
//! event-pump [--stack .local/stack.json] [--template template.yaml] \
//!     [--invoke-url http://127.0.0.1:9000] [--tick-ms 500] [--rate-scale 1.0] \
//!     [--schedule-group NAME]
//! ```
//!
//! The stack file is written by `devstack provision`; AWS clients come from the environment
//! (`AWS_ENDPOINT_URL` points at moto). Logs follow `RUST_LOG` (default `info`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use lookout_dev::provision::Stack;
use lookout_dev::pump::{Pump, PumpConfig};
use lookout_dev::template::{workspace_root, Template};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: event-pump [--stack F] [--template F] [--invoke-url URL] \
                     [--tick-ms MS] [--rate-scale X] [--schedule-group NAME]";

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let mut stack = PathBuf::from(".local/stack.json");
    let mut template = workspace_root().join("template.yaml");
    let mut invoke_url = "http://127.0.0.1:9000".to_owned();
    let mut tick_ms: u64 = 500;
    let mut rate_scale: f64 = 1.0;
    let mut schedule_group = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| anyhow!("{flag} needs a value"));
        match flag.as_str() {
            "--stack" => stack = value()?.into(),
            "--template" => template = value()?.into(),
            "--invoke-url" => invoke_url = value()?,
            "--tick-ms" => tick_ms = value()?.parse().context("--tick-ms")?,
            "--rate-scale" => rate_scale = value()?.parse().context("--rate-scale")?,
            "--schedule-group" => schedule_group = Some(value()?),
            "-h" | "--help" => bail!(USAGE),
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }

    let stack: Stack = serde_json::from_str(
        &std::fs::read_to_string(&stack)
            .with_context(|| format!("reading {} (run devstack provision)", stack.display()))?,
    )
    .with_context(|| format!("parsing {}", stack.display()))?;
    let functions = Template::load(&template)?.functions()?;
    let sdk = lookout_core::aws::loader().load().await;
    let mut config = PumpConfig::new(stack, functions, invoke_url);
    config.rate_scale = rate_scale;
    config.schedule_group = schedule_group;
    Pump::new(config, &sdk)?
        .run(Duration::from_millis(tick_ms))
        .await
}
