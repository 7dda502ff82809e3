//! DynamoDB reads of one silent-app scanner run as healthy apps grow (100 → 10,000), against
//! moto, next to what a full-table Scan (the naive scanner) would read.
//!
//! ```text
//! cargo run --release -p lookout-bench --bin scanner_reads [-- 100 1000 10000]
//! ```
//!
//! For every size N a fresh copy of template.yaml's tables gets 10 apps that beat at T0 and
//! fall silent, then N apps that beat at T0 + 10 min (healthy): half on the default period,
//! half on an hourly cron schedule in Europe/Berlin with 10 minutes of grace. The scanner runs at
//! T0 + 10 min 30 s (the 10 silent apps are due: one digest mail) and again 30 s later (nothing
//! due). Per run: Query calls, items read (`ScannedCount`), and read units by DynamoDB's rules
//! from the sizes of the items read, counted by the bench's DynamoDB meter between the store
//! and moto (moto reports a flat 1 unit per call, so its ConsumedCapacity is printed too but
//! says nothing). Wall time is not reported: moto
//! evaluates every query against the whole table, DynamoDB does not.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use lookout_bench::ddb_meter::{Meter, Tally};
use lookout_core::{
    auth::{sha256_hex, Tenant},
    time::Timestamp,
};
use lookout_dev::{moto, provision, template::Template};
use lookout_heartbeats::{AdminAppIn, HeartbeatIn, HeartbeatStore, Notify, ScanReport};
use lookout_mail::{AdminMail, Mailer};
use serde_json::json;
use tokio::task::JoinSet;

const SILENT: usize = 10;
const IN_FLIGHT: usize = 32;
const T0_MS: i64 = 1_893_456_000_000; // 2030-01-01T00:00:00Z

fn at(secs: i64) -> Result<Timestamp> {
    Timestamp::parse_json(&json!(T0_MS + secs * 1000)).map_err(|e| anyhow!(e))
}

struct Row {
    healthy: usize,
    due_run: ScanReport,
    idle_run: ScanReport,
    /// Read units of each run, by DynamoDB's rules (the meter).
    due_units: f64,
    idle_units: f64,
    scan_items: u64,
    scan_calls: u64,
    scan_units: f64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().with_context(|| format!("size {a:?}")))
        .collect::<Result<_>>()?;
    let sizes = if sizes.is_empty() {
        vec![100, 1000, 10_000]
    } else {
        sizes
    };
    let endpoint = moto::endpoint()?;
    let sdk = moto::sdk_config(&endpoint).await;
    let tpl = Template::workspace_default()?;
    let mut rows = Vec::new();
    for healthy in sizes {
        eprintln!("scanner_reads: {SILENT} silent + {healthy} healthy apps ...");
        rows.push(run(&tpl, &sdk, &endpoint, healthy).await?);
    }
    report(&rows)
}

/// Read units of the DynamoDB calls in `tally`.
fn units(tally: &Tally) -> f64 {
    tally
        .iter()
        .filter(|(op, _)| op.starts_with("dynamodb:"))
        .map(|(_, s)| s.rcu)
        .sum()
}

async fn run(
    tpl: &Template,
    sdk: &aws_config::SdkConfig,
    endpoint: &str,
    healthy: usize,
) -> Result<Row> {
    let prefix = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let params = BTreeMap::from([("AdminTokenSha256".to_owned(), sha256_hex(prefix.as_bytes()))]);
    let stack = provision::provision(tpl, sdk, &prefix, &params).await?;
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let table = stack.table("HeartbeatTable")?.to_owned();
    // One tenant holds all the bench's apps: far over the per-tenant app quota of a stack.
    let store = Arc::new(HeartbeatStore::new(ddb, &table).with_max_apps(u32::MAX));
    let sender = stack
        .params
        .get("SenderEmail")
        .ok_or_else(|| anyhow!("template has no SenderEmail"))?;
    let mail = AdminMail::new(
        Mailer::from_sdk(sdk, sender.clone()),
        format!("{prefix}@lookout.example.com"),
    );
    let tenant = Tenant::parse("bench").map_err(|e| anyhow!(e))?;

    beat_all(&store, &tenant, "silent", SILENT, at(0)?, false).await?;
    beat_all(&store, &tenant, "healthy", healthy / 2, at(600)?, false).await?;
    beat_all(
        &store,
        &tenant,
        "cron",
        healthy - healthy / 2,
        at(600)?,
        true,
    )
    .await?;

    // The scans' DynamoDB calls go through the meter.
    let meter = Meter::start(endpoint).await?;
    let metered = aws_sdk_dynamodb::Client::new(&moto::sdk_config(&meter.url()).await);
    let scanner = HeartbeatStore::new(metered.clone(), &table);
    let _ = meter.take();
    let to = Notify {
        mail: &mail,
        events: None,
    };
    let due_run = scanner.scan(to, at(630)?).await;
    let due_tally = meter.take();
    let idle_run = scanner.scan(to, at(660)?).await;
    let idle_tally = meter.take();
    if due_run.went_down != SILENT as u64 || due_run.digests != 1 {
        bail!("expected {SILENT} silent apps to go down, announced in one digest: {due_run:?}");
    }
    if idle_run.due != 0 || due_run.errors + idle_run.errors > 0 {
        bail!("unexpected second run: {idle_run:?}");
    }

    // The naive scanner: read the whole table.
    let (mut scan_items, mut scan_calls, mut scan_units) = (0_u64, 0_u64, 0.0);
    let mut start = None;
    loop {
        let page = metered
            .scan()
            .table_name(&table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .context("Scan")?;
        scan_calls += 1;
        scan_items += u64::try_from(page.scanned_count).unwrap_or(0);
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    scan_units += units(&meter.take());
    Ok(Row {
        healthy,
        due_units: units(&due_tally),
        idle_units: units(&idle_tally),
        due_run,
        idle_run,
        scan_items,
        scan_calls,
        scan_units,
    })
}

async fn beat_all(
    store: &Arc<HeartbeatStore>,
    tenant: &Tenant,
    name: &str,
    count: usize,
    now: Timestamp,
    cron: bool,
) -> Result<()> {
    let mut tasks = JoinSet::new();
    for i in 0..count {
        if tasks.len() >= IN_FLIGHT {
            if let Some(res) = tasks.join_next().await {
                res??;
            }
        }
        let beat: HeartbeatIn =
            serde_json::from_value(json!({"app_id": format!("{name}-{i}"), "message": "OK:200"}))?;
        let schedule: Option<AdminAppIn> = cron
            .then(|| {
                serde_json::from_value(
                    json!({"tenant": tenant.as_str(), "app_id": format!("{name}-{i}"),
                    "schedule": "0 * * * *", "tz": "Europe/Berlin", "grace_seconds": 600}),
                )
            })
            .transpose()?;
        let (store, tenant) = (Arc::clone(store), tenant.clone());
        tasks.spawn(async move {
            if let Some(admin) = schedule {
                store
                    .admin_update(&admin, now)
                    .await
                    .map_err(|e| anyhow!("register: {e}"))?;
            }
            store
                .heartbeat(&tenant, &beat, now)
                .await
                .map(|_| ())
                .map_err(|e| anyhow!("heartbeat: {e}"))
        });
    }
    while let Some(res) = tasks.join_next().await {
        res??;
    }
    Ok(())
}

#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn ratio(a: f64, b: u64) -> f64 {
    a / b as f64
}

fn report(rows: &[Row]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nsilent-app scanner: DynamoDB reads per run ({SILENT} silent apps + N healthy ones)\n"
    )?;
    writeln!(
        out,
        "| healthy N | run | Query calls | items read | read units (est.) | moto ConsumedCapacity | full Scan: calls / items / units |"
    )?;
    writeln!(out, "|---:|---|---:|---:|---:|---:|---|")?;
    for r in rows {
        for (name, run, units) in [
            ("10 due", &r.due_run, r.due_units),
            ("none due", &r.idle_run, r.idle_units),
        ] {
            writeln!(
                out,
                "| {} | {name} | {} | {} | {:.1} | {:.1} | {} / {} / {:.1} |",
                r.healthy,
                run.queries,
                run.items_read,
                units,
                run.read_capacity,
                r.scan_calls,
                r.scan_items,
                r.scan_units,
            )?;
        }
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        if first.healthy > 0 && rows.len() > 1 {
            let grow = ratio(last.healthy as f64, first.healthy as u64);
            writeln!(
                out,
                "\nratios {} → {} healthy apps (×{grow:.0}):",
                first.healthy, last.healthy
            )?;
            for (name, a, b, ua, ub) in [
                (
                    "10 due",
                    &first.due_run,
                    &last.due_run,
                    first.due_units,
                    last.due_units,
                ),
                (
                    "none due",
                    &first.idle_run,
                    &last.idle_run,
                    first.idle_units,
                    last.idle_units,
                ),
            ] {
                let items = if a.items_read == 0 {
                    format!("{} → {}", a.items_read, b.items_read)
                } else {
                    format!("×{:.2}", ratio(b.items_read as f64, a.items_read))
                };
                writeln!(
                    out,
                    "  scanner, {name}: Query calls ×{:.2}, items read {items}, read units ×{:.2}",
                    ratio(b.queries as f64, a.queries),
                    ub / ua,
                )?;
            }
            writeln!(
                out,
                "  full Scan:          calls ×{:.2}, items read ×{:.2}, read units ×{:.2}",
                ratio(last.scan_calls as f64, first.scan_calls),
                ratio(last.scan_items as f64, first.scan_items),
                last.scan_units / first.scan_units,
            )?;
        }
    }
    Ok(())
}
