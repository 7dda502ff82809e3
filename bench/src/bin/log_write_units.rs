//! DynamoDB write units per 1M log lines of ~120 bytes: packed chunks (what /send_logs
//! stores) against the one-item-per-line baseline, plus a check against moto that the packed
//! layout still answers queries.
//!
//! ```text
//! cargo run --release -p lookout-bench --bin log_write_units [-- --lines 1000000 --batch 1000]
//! ```
//!
//! Write units follow DynamoDB's sizing rule (one unit per started KB of item, attribute names
//! included), computed from the exact items the store writes: moto reports a flat 1.0 unit per
//! request, so its ConsumedCapacity cannot be used.

use std::collections::BTreeMap;
use std::io::Write as _;

use anyhow::{anyhow, bail, Context, Result};
use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::{auth::sha256_hex, ddb::write_units, time::Timestamp};
use lookout_dev::{moto, provision, template::Template};
use lookout_logs::{pack, Batch, Level, LogQuery, LogStore, UserName};
use serde_json::{json, Value};
use std::collections::HashMap;

const LEVELS: [&str; 5] = ["debug", "info", "warning", "error", "critical"];

/// A batch of `n` lines whose seed-format JSON is ~120 bytes each.
fn make_batch(user: &str, batch_no: usize, n: usize) -> Result<(Batch, usize)> {
    let base_ms = 1_700_000_000_000_u64 + (batch_no as u64) * 60_000;
    let logs: Vec<Value> = (0..n)
        .map(|i| {
            Ok(json!({
                "level": LEVELS[(i * 7 + batch_no) % LEVELS.len()],
                "msg": format!("req {batch_no:06}-{i:05} took {}ms", (i * 37) % 1000),
                "event_at": Timestamp::parse_json(&json!(base_ms + (i as u64) * 50))
                    .map_err(|e| anyhow!(e))?
                    .to_rfc3339(),
                "p_description": "api worker"
            }))
        })
        .collect::<Result<_>>()?;
    let line_bytes: usize = logs.iter().map(|l| l.to_string().len()).sum();
    let batch = json!({
        "user": user, "pid": 4242, "p_name": "web-api",
        "post_time": Timestamp::parse_json(&json!(base_ms + 60_000)).map_err(|e| anyhow!(e))?.to_rfc3339(),
        "logs": logs
    });
    Ok((serde_json::from_value(batch)?, line_bytes))
}

/// The items `/send_logs` writes for `batch` (the store's own packing).
fn packed_items(batch: Batch) -> Result<Vec<HashMap<String, AttributeValue>>> {
    pack(batch, Some(0))
        .map_err(|e| anyhow!("{e}"))?
        .iter()
        .map(|c| serde_dynamo::to_item(c).context("chunk item"))
        .collect()
}

/// The one-item-per-line layout the packed one is measured against: the same attributes per
/// line, keyed like the store's chunks (`U#<user>` / `<eventAt>#<batch id>#<line>`).
fn baseline_items(batch: &Batch) -> Vec<HashMap<String, AttributeValue>> {
    let s = |v: String| AttributeValue::S(v);
    let batch_id = "0123456789abcdef"; // the store's batch ids are 16 hex digits
    batch
        .logs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let at = l.event_at.to_rfc3339();
            HashMap::from([
                ("pk".to_owned(), s(format!("U#{}", batch.user.as_str()))),
                ("sk".to_owned(), s(format!("{at}#{batch_id}#{i:05}"))),
                ("pid".to_owned(), AttributeValue::N(batch.pid.to_string())),
                ("pName".to_owned(), s(batch.p_name.clone())),
                ("postTime".to_owned(), s(batch.post_time.to_rfc3339())),
                ("eventAt".to_owned(), s(at)),
                ("level".to_owned(), s(l.level.as_str().to_owned())),
                ("msg".to_owned(), s(l.msg.clone())),
                ("pDescription".to_owned(), s(l.p_description.clone())),
                ("expiresAt".to_owned(), AttributeValue::N("0".into())),
            ])
        })
        .collect()
}

fn arg(args: &[String], name: &str, default: usize) -> Result<usize> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .ok_or_else(|| anyhow!("{name} needs a value"))?
            .parse()
            .with_context(|| format!("{name} must be a number")),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = arg(&args, "--lines", 1_000_000)?;
    let per_batch = arg(&args, "--batch", 1000)?.clamp(1, 10_000);
    let mut out = std::io::stdout().lock();

    // 1. Cost of 1M lines, both layouts, same lines.
    let (mut packed, mut baseline, mut items, mut bytes) = (0_usize, 0_usize, 0_usize, 0_usize);
    let mut done = 0;
    let mut batch_no = 0;
    while done < lines {
        let n = per_batch.min(lines - done);
        let (batch, line_bytes) = make_batch("bench", batch_no, n)?;
        bytes += line_bytes;
        baseline += baseline_items(&batch)
            .iter()
            .map(write_units)
            .sum::<usize>();
        let stored = packed_items(batch)?;
        items += stored.len();
        packed += stored.iter().map(write_units).sum::<usize>();
        done += n;
        batch_no += 1;
    }
    writeln!(
        out,
        "log lines: {lines} (avg {:.0} bytes as sent), batches of {per_batch}",
        bytes as f64 / lines as f64
    )?;
    writeln!(
        out,
        "{:<28} {:>12} {:>12}",
        "layout", "items", "write units"
    )?;
    writeln!(
        out,
        "{:<28} {:>12} {:>12}",
        "baseline: one item per line", lines, baseline
    )?;
    writeln!(
        out,
        "{:<28} {:>12} {:>12}",
        "lookout: packed chunks", items, packed
    )?;
    let ratio = packed as f64 / baseline as f64;
    writeln!(out, "packed / baseline = {ratio:.3}  (target <= 0.250)")?;
    writeln!(
        out,
        "on-demand cost per 1M lines at $0.625 per 1M write units: baseline ${:.3}, packed ${:.3}",
        baseline as f64 * 0.625 / 1e6 * (1_000_000.0 / lines as f64),
        packed as f64 * 0.625 / 1e6 * (1_000_000.0 / lines as f64)
    )?;

    // 2. The packed layout still answers queries: store a sample in moto and read it back.
    let endpoint = moto::endpoint()?;
    let sdk = moto::sdk_config(&endpoint).await;
    let tpl = Template::workspace_default()?;
    let prefix = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let params = BTreeMap::from([("AdminTokenSha256".to_owned(), sha256_hex(b"bench"))]);
    let stack = provision::provision(&tpl, &sdk, &prefix, &params).await?;
    let store = LogStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        stack.table("LogUsersTable")?,
        stack.table("LogsTable")?,
        30,
    );
    let sample_batches = 20;
    for b in 0..sample_batches {
        let (batch, _) = make_batch("sample", b, per_batch)?;
        store
            .store(batch, Timestamp::now())
            .await
            .map_err(|e| anyhow!("{e}"))?;
    }
    let user = UserName::parse("sample").map_err(|e| anyhow!(e))?;
    let mut total = 0;
    let mut token = None;
    loop {
        let page = store
            .query(
                &user,
                LogQuery {
                    limit: 1000,
                    next_token: token,
                    ..LogQuery::default()
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        total += page.logs.len();
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let from = Timestamp::parse_json(&json!(1_700_000_000_000_u64 + 5 * 60_000))
        .map_err(|e| anyhow!(e))?;
    let to = Timestamp::parse_json(&json!(1_700_000_000_000_u64 + 6 * 60_000 - 1))
        .map_err(|e| anyhow!(e))?;
    let window = store
        .query(
            &user,
            LogQuery {
                from: Some(from),
                to: Some(to),
                levels: vec![Level::Error],
                limit: 1000,
                ..LogQuery::default()
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let expected_window = (0..per_batch)
        .filter(|i| (i * 7 + 5) % LEVELS.len() == 3 && i * 50 < 60_000)
        .count();
    writeln!(
        out,
        "query check (moto): {total} of {} sample lines read back by paging; error lines in one minute: {} (expected {expected_window})",
        sample_batches * per_batch,
        window.logs.len()
    )?;
    if total != sample_batches * per_batch || window.logs.len() != expected_window {
        bail!("the packed layout did not answer the queries correctly");
    }
    Ok(())
}
