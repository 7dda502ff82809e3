//! A small team's month on Lookout, priced from one `make bench` run's measured per-operation
//! costs (docs/cost.md, "A team's month"): 50 hourly cron jobs pinging start and success,
//! 5 services logging 1 GB a month, 100 incidents, 1,000 sends, a few console visits, plus
//! what runs and costs at zero traffic.
//!
//! cargo run --release -p lookout-bench --bin team_bill -- [bench/results/latest.json ...]
//!
//! With several reports, a function's figures come from the first that has them (a run of
//! one function alone, after a full run in which moto stalled on it).
//!
//! The prices of the other services are list prices read from their pricing pages (see
//! docs/cost.md for where each comes from); they are printed beside, not measured.

use std::io::Write as _;

use anyhow::{anyhow, Context, Result};
use lookout_bench::cost::{CW_LOGS_PER_GB, DDB_STORAGE_GB_MONTH, PLATFORM_LOG_BYTES};
use lookout_bench::scenarios::send_logs_body;
use serde_json::Value;

/// Cron jobs, each run hourly and pinging `/start` and success (30-day month).
const JOBS: f64 = 50.0;
const PINGS_PER_RUN: f64 = 2.0;
const LOG_BYTES_PER_MONTH: f64 = 1e9;
const INCIDENTS: f64 = 100.0;
const SENDS: f64 = 1_000.0;
/// Console page loads a month, each a page and two API reads.
const CONSOLE_VISITS: f64 = 300.0;
/// Fixed monthly prices of the stack (docs/cost.md, list prices): six alarms over nine metrics
/// at $0.10, three secrets (messenger, badge signing, alerts) at $0.40, and the empty long polls
/// of the three SQS event sources (5 pollers each, 20 s polls: ~650,000 requests a month each,
/// at $0.40 per million).
const ALARMS: f64 = 0.90;
const SECRETS: f64 = 1.20;
const QUEUE_POLLS: f64 = 3.0 * 0.65 * 0.40;
const SCANS_PER_MONTH: f64 = 43_200.0;

fn main() -> Result<()> {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        paths.push("bench/results/latest.json".into());
    }
    let mut targets = Vec::new();
    for path in &paths {
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        )?;
        targets.extend(
            report["targets"]
                .as_array()
                .ok_or_else(|| anyhow!("{path}: no targets"))?
                .iter()
                .cloned(),
        );
    }
    let path = paths.join(" + ");
    // Per operation: (dollars, CloudWatch Logs bytes) of the function `name`.
    let per_op = |name: &str| -> Result<(f64, f64)> {
        let t = targets
            .iter()
            .find(|t| t["name"] == name && t["kind"] == "rust" && t["failure"].is_null())
            .ok_or_else(|| anyhow!("{path}: no measured figures for {name}"))?;
        let dollars = t["cost_per_million"]["total"]
            .as_f64()
            .ok_or_else(|| anyhow!("{name}: no cost"))?
            / 1e6;
        let logs = PLATFORM_LOG_BYTES + t["warm"]["log_bytes_per_request"].as_f64().unwrap_or(0.0);
        Ok((dollars, logs))
    };
    let batch_bytes = send_logs_body(20).to_string().len() as f64;
    let hours = 30.0 * 24.0;
    let lines: Vec<(&str, &str, f64, String)> = vec![
        (
            "heartbeats",
            "record-ping",
            JOBS * hours * PINGS_PER_RUN,
            format!("{JOBS} jobs hourly, /start + success"),
        ),
        (
            "heartbeats",
            "scan-silent-apps",
            SCANS_PER_MONTH,
            "every minute, whatever the traffic".into(),
        ),
        (
            "logs",
            "send-logs",
            (LOG_BYTES_PER_MONTH / batch_bytes).ceil(),
            format!("1 GB in batches of 20 lines ({batch_bytes} B)"),
        ),
        (
            "incidents",
            "report-incident",
            INCIDENTS,
            "reported with POST /incidents".into(),
        ),
        (
            "messenger",
            "send-messages",
            SENDS,
            "one contact each".into(),
        ),
        (
            "messenger",
            "deliver-messages",
            SENDS,
            "one delivery each".into(),
        ),
        (
            "console",
            "serve-console",
            CONSOLE_VISITS,
            "page loads".into(),
        ),
        (
            "console",
            "admin-list-incidents",
            CONSOLE_VISITS,
            "a list per visit".into(),
        ),
        (
            "console",
            "admin-get-incident",
            CONSOLE_VISITS,
            "an incident per visit".into(),
        ),
    ];
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "== A team's month on Lookout ({path}; us-east-1 list prices, no free tier)\n"
    )?;
    writeln!(
        out,
        "{:<11} {:<22} {:>10}  {:>9}  what",
        "family", "function", "requests", "dollars"
    )?;
    let (mut total, mut log_bytes) = (0.0, 0.0);
    for (family, name, count, what) in &lines {
        let (dollars, logs) = per_op(name)?;
        total += dollars * count;
        log_bytes += logs * count;
        writeln!(
            out,
            "{family:<11} {name:<22} {count:>10.0}  {:>9}  {what}",
            money(dollars * count)
        )?;
    }
    let cw = log_bytes / 1e9 * CW_LOGS_PER_GB;
    // Log lines are kept for the retention (30 days by default): about a month's worth stored.
    let storage = LOG_BYTES_PER_MONTH / 1e9 * DDB_STORAGE_GB_MONTH;
    for (item, dollars) in [
        (
            format!(
                "CloudWatch Logs, {:.0} MB of function logs",
                log_bytes / 1e6
            ),
            cw,
        ),
        (
            "DynamoDB storage, ~1 GB of log lines kept 30 days".into(),
            storage,
        ),
        ("CloudWatch alarms (nine metrics)".into(), ALARMS),
        ("Secrets Manager, three secrets".into(), SECRETS),
        ("SQS, the consumers' empty long polls".into(), QUEUE_POLLS),
    ] {
        total += dollars;
        writeln!(out, "{:<45} {:>9}", item, money(dollars))?;
    }
    writeln!(out, "{:<45} {:>9}", "total per month", money(total))?;
    Ok(())
}

fn money(d: f64) -> String {
    if d < 0.01 {
        format!("${d:.4}")
    } else {
        format!("${d:.2}")
    }
}
