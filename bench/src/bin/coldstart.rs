//! `coldstart`: the Lambda benchmark, every function of template.yaml next to Python/boto3
//! baselines (cold start, warm duration, CPU, RSS, AWS requests, cost). What it measures and
//! how: [`lookout_bench::coldstart`].
//!
//! ```text
//! cargo run --release -p lookout-bench --bin coldstart -- [--runs N] [--warm N] [--functions a,b]
//!                                                        [--json FILE]
//! ```

use std::io::Write as _;

use anyhow::Result;
use lookout_bench::coldstart::{parse_args, run, USAGE};

#[tokio::main]
async fn main() -> Result<()> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        writeln!(std::io::stdout(), "{USAGE}")?;
        return Ok(());
    };
    run(args).await
}
