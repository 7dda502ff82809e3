//! A top-of-the-hour burst of heartbeats (docs/capacity.md): what one ping costs the function
//! and DynamoDB, measured three ways in one run.
//!
//! ```text
//! cargo run --release -p lookout-bench --bin burst [-- --pings 20000 --apps 500 --concurrency 64]
//!                                                   [--local http://127.0.0.1:9000 --key lk_...]
//! ```
//!
//! 1. **Metered** (moto behind the bench's DynamoDB meter): every app beats once through
//!    `record-heartbeat`'s handler, in-process. Per ping: AWS requests, sequential round trips,
//!    and write units by DynamoDB's rules including the indexes' (each app carries a month's
//!    history, as a real one does).
//! 2. **In-process burst** (a DynamoDB stub that only answers, in a process of its own, so
//!    neither moto nor the stub is counted): `--pings` beats over `--apps` apps, `--concurrency`
//!    in flight, through the same handler with a warm key cache. Per ping: the CPU time of this
//!    process (the handler, its SDK calls, the runtime; the requests are built before the clock
//!    starts) and the requests the stub answered.
//! 3. **Local stack** (`--local`, a stack from `make start`, key from `POST /admin/api_keys`):
//!    the same burst over HTTP through `cargo lambda watch` and moto: achieved pings per second,
//!    latency percentiles, answers by status. moto and watch's one instance per function bound
//!    it on one machine; it shows the path works under a burst, not AWS's throughput.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use lookout_bench::ddb_meter::{wire_item, Meter};
use lookout_bench::scenarios::make_realistic_app;
use lookout_bench::stats::percentile;
use lookout_core::auth::{sha256_hex, Tenant};
use lookout_dev::{moto, provision, template::Template};
use lookout_heartbeats::HeartbeatStore;
use lookout_keys::ApiKeys;
use lookout_mail::{AdminMail, Mailer};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const USAGE: &str =
    "usage: burst [--pings N] [--apps N] [--concurrency N] [--local URL --key KEY [--local-pings N]]";

struct Args {
    pings: usize,
    apps: usize,
    concurrency: usize,
    local: Option<(String, String)>,
    /// Pings of the local-stack burst (default `pings`).
    local_pings: Option<usize>,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        pings: 20_000,
        apps: 500,
        concurrency: 64,
        local: None,
        local_pings: None,
    };
    let (mut url, mut key) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--pings" => a.pings = value()?.parse().context("--pings")?,
            "--apps" => a.apps = value()?.parse().context("--apps")?,
            "--concurrency" => a.concurrency = value()?.parse().context("--concurrency")?,
            "--local" => url = Some(value()?),
            "--key" => key = Some(value()?),
            "--local-pings" => a.local_pings = Some(value()?.parse().context("--local-pings")?),
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    a.local = match (url, key) {
        (Some(u), Some(k)) => Some((u.trim_end_matches('/').to_owned(), k)),
        (None, None) => None,
        _ => bail!("--local and --key go together\n{USAGE}"),
    };
    if a.pings == 0 || a.apps == 0 || a.concurrency == 0 {
        bail!("--pings, --apps and --concurrency must be at least 1");
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--stub") {
        let canned = std::env::args()
            .nth(2)
            .ok_or_else(|| anyhow!("--stub FILE"))?;
        return stub(&canned).await;
    }
    let args = parse_args()?;
    let endpoint = moto::endpoint()?;
    let sdk = moto::sdk_config(&endpoint).await;
    let tpl = Template::workspace_default()?;
    let prefix = format!("burst{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let params = BTreeMap::from([("AdminTokenSha256".to_owned(), sha256_hex(prefix.as_bytes()))]);
    eprintln!(
        "burst: provisioning, {} apps with a month's history...",
        args.apps
    );
    let stack = provision::provision(&tpl, &sdk, &prefix, &params).await?;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let keys_table = stack.table("ApiKeysTable")?.to_owned();
    let table = stack.table("HeartbeatTable")?.to_owned();
    let tenant = Tenant::parse("burst").map_err(|e| anyhow!(e))?;
    let key = ApiKeys::new(ddb.clone(), &keys_table)
        .issue(&tenant, "burst")
        .await?
        .api_key;
    let store = HeartbeatStore::new(ddb.clone(), &table).with_max_apps(u32::MAX);
    for app in 0..args.apps {
        make_realistic_app(&store, &ddb, tenant.as_str(), &app.to_string()).await?;
    }
    let sender = stack
        .params
        .get("SenderEmail")
        .ok_or_else(|| anyhow!("template has no SenderEmail"))?
        .clone();
    let deps_at = |sdk: &aws_config::SdkConfig| record_heartbeat::Deps {
        keys: ApiKeys::new(aws_sdk_dynamodb::Client::new(sdk), &keys_table)
            .with_cache(Duration::from_secs(60)),
        store: HeartbeatStore::new(aws_sdk_dynamodb::Client::new(sdk), &table),
        mail: AdminMail::new(
            Mailer::from_sdk(sdk, sender.clone()),
            "ops@example.com".to_owned(),
        ),
        events: None,
        clock: lookout_core::time::system_clock(),
    };

    // 1. Metered: each app beats once (the key read once, at the first).
    let meter = Meter::start(&endpoint).await?;
    let deps = deps_at(&moto::sdk_config(&meter.url()).await);
    let _ = meter.take();
    let _ = meter.take_round_trips();
    let mut trips = 0;
    for app in 0..args.apps {
        let (status, body) = call(&deps, beat_request(&key, app)).await?;
        if status != 200 {
            bail!("metered beat of app {app}: {status} {body}");
        }
        trips += meter.take_round_trips();
    }
    let tally = meter.take();
    let n = args.apps as f64;
    let (mut requests, mut wcu, mut index_wcu) = (0.0, 0.0, 0.0);
    for (op, s) in &tally {
        if op.starts_with("dynamodb:") {
            requests += s.requests;
            wcu += s.wcu;
        }
        if op == "dynamodb:(index writes)" {
            index_wcu += s.wcu;
        }
    }

    // 2. In-process burst against a stub that answers with what moto answered.
    let app_item = ddb
        .get_item()
        .table_name(&table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("APP#{}#0", tenant.as_str())),
        )
        .send()
        .await?
        .item
        .ok_or_else(|| anyhow!("app 0 is not stored"))?;
    let key_item = ddb
        .get_item()
        .table_name(&keys_table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(sha256_hex(key.as_bytes())),
        )
        .send()
        .await?
        .item
        .ok_or_else(|| anyhow!("the key is not stored"))?;
    // The beat's UpdateItem asks for UPDATED_NEW: the attributes its expression sets.
    let mut updated = app_item.clone();
    updated.retain(|name, _| {
        [
            "lastBeatAt",
            "beats",
            "version",
            "deadline",
            "dueAt",
            "watchAt",
            "lastMessage",
        ]
        .contains(&name.as_str())
    });
    let canned = json!({
        "GetItem": {"Item": wire_item(&key_item)},
        "UpdateItem": {"Attributes": wire_item(&updated)},
    });
    let canned_file = std::env::temp_dir().join(format!("{prefix}-canned.json"));
    std::fs::write(&canned_file, canned.to_string())?;
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("--stub")
        .arg(&canned_file)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the DynamoDB stub")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("stub stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await?;
    let stub_url = line.trim().to_owned();
    let stub_sdk = moto::sdk_config(&stub_url).await;
    let deps = Arc::new(deps_at(&stub_sdk));
    let warm: Vec<_> = (0..200)
        .map(|i| beat_request(&key, i % args.apps))
        .collect();
    run_in_process(&deps, warm, args.concurrency).await?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    // The requests the stub has answered so far.
    let answered_so_far = || async {
        let counts: Value = http
            .get(format!("{stub_url}/__counts"))
            .send()
            .await?
            .json()
            .await?;
        anyhow::Ok(counts["total"].as_f64().unwrap_or(0.0))
    };
    let before = answered_so_far().await?;
    let requests_list: Vec<_> = (0..args.pings)
        .map(|i| beat_request(&key, i % args.apps))
        .collect();
    let pid = std::process::id();
    let cpu0 = lookout_bench::coldstart::process_cpu_ms(pid)?;
    let started = Instant::now();
    let failures = run_in_process(&deps, requests_list, args.concurrency).await?;
    let wall = started.elapsed();
    let cpu1 = lookout_bench::coldstart::process_cpu_ms(pid)?;
    let after = answered_so_far().await?;
    let _ = child.kill().await;
    let _ = std::fs::remove_file(&canned_file);
    let answered = after - before;

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "== burst: {} pings over {} apps, {} in flight; commit {}",
        args.pings,
        args.apps,
        args.concurrency,
        commit()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "1. metered against moto (each app once; apps carry a month's history)"
    )?;
    writeln!(
        out,
        "   DynamoDB requests per ping        {:.2}",
        requests / n
    )?;
    writeln!(
        out,
        "   sequential round trips per ping   {:.2}",
        trips as f64 / n
    )?;
    writeln!(
        out,
        "   write units per ping              {:.2} (table {:.2} + indexes {:.2})",
        wcu / n,
        (wcu - index_wcu) / n,
        index_wcu / n
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "2. in-process against a DynamoDB stub (CPU of the handler's process only)"
    )?;
    writeln!(
        out,
        "   CPU per ping                      {:.3} ms",
        (cpu1 - cpu0) / args.pings as f64
    )?;
    writeln!(
        out,
        "   DynamoDB requests per ping        {:.2}",
        answered / args.pings as f64
    )?;
    writeln!(
        out,
        "   pings per second (this machine)   {:.0}",
        args.pings as f64 / wall.as_secs_f64()
    )?;
    writeln!(out, "   answers other than 200            {failures}")?;

    // 3. The local stack over HTTP.
    if let Some((url, local_key)) = &args.local {
        writeln!(out)?;
        local_burst(url, local_key, &args).await?;
    }
    Ok(())
}

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "?".into(), |s| s.trim().to_owned())
}

/// `POST /api/apps {"app_id": <app>, "message": "OK:200"}` with the key, as API Gateway hands
/// it to the function.
fn beat_request(key: &str, app: usize) -> lambda_http::Request {
    let body = json!({"app_id": app.to_string(), "message": "OK:200"}).to_string();
    let event = json!({
        "version": "2.0",
        "routeKey": "POST /api/apps",
        "rawPath": "/api/apps",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-api-key": key},
        "requestContext": {
            "accountId": "123456789012", "apiId": "burst", "domainName": "burst",
            "domainPrefix": "burst",
            "http": {"method": "POST", "path": "/api/apps", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "burst"},
            "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": "POST /api/apps",
            "stage": "$default", "time": "01/Jan/2027:00:00:00 +0000", "timeEpoch": 1_798_761_600_000_u64
        },
        "body": body,
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).unwrap_or_default()
}

async fn call(deps: &record_heartbeat::Deps, req: lambda_http::Request) -> Result<(u16, String)> {
    let resp = record_heartbeat::handle(deps, req)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let status = resp.status().as_u16();
    let body = String::from_utf8_lossy(resp.body().as_ref()).into_owned();
    Ok((status, body))
}

/// Runs `requests` through the handler, `concurrency` at a time; the answers other than 200.
async fn run_in_process(
    deps: &Arc<record_heartbeat::Deps>,
    requests: Vec<lambda_http::Request>,
    concurrency: usize,
) -> Result<usize> {
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for req in requests {
        let permit = Arc::clone(&gate).acquire_owned().await?;
        let deps = Arc::clone(deps);
        tasks.spawn(async move {
            let out = call(&deps, req).await;
            drop(permit);
            out
        });
    }
    let mut failures = 0;
    while let Some(done) = tasks.join_next().await {
        match done? {
            Ok((200, _)) => {}
            Ok((status, body)) => {
                if failures == 0 {
                    eprintln!("burst: first refusal {status} {body}");
                }
                failures += 1;
            }
            Err(err) => {
                if failures == 0 {
                    eprintln!("burst: first failure {err:#}");
                }
                failures += 1;
            }
        }
    }
    Ok(failures)
}

/// The burst over HTTP against a local stack.
async fn local_burst(url: &str, key: &str, args: &Args) -> Result<()> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()?;
    let pings = args.local_pings.unwrap_or(args.pings);
    let gate = Arc::new(Semaphore::new(args.concurrency));
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for i in 0..pings {
        let permit = Arc::clone(&gate).acquire_owned().await?;
        let req = http
            .post(format!("{url}/api/apps"))
            .header("x-api-key", key)
            .header("content-type", "application/json")
            .body(json!({"app_id": (i % args.apps).to_string(), "message": "OK:200"}).to_string());
        tasks.spawn(async move {
            let t = Instant::now();
            let status = req.send().await.map(|r| r.status().as_u16()).unwrap_or(0);
            drop(permit);
            (status, t.elapsed().as_secs_f64() * 1000.0)
        });
    }
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut ms = Vec::with_capacity(pings);
    while let Some(done) = tasks.join_next().await {
        let (status, elapsed) = done?;
        *by_status.entry(status).or_default() += 1;
        ms.push(elapsed);
    }
    let wall = started.elapsed().as_secs_f64();
    ms.sort_by(f64::total_cmp);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "3. {pings} pings against the local stack over HTTP ({url}: cargo lambda watch, moto)"
    )?;
    writeln!(
        out,
        "   pings per second                  {:.0}",
        pings as f64 / wall
    )?;
    writeln!(
        out,
        "   latency p50 / p90 / p99           {:.1} / {:.1} / {:.1} ms",
        pct(&ms, 50.0),
        pct(&ms, 90.0),
        pct(&ms, 99.0)
    )?;
    writeln!(
        out,
        "   answers by status                 {by_status:?} (0: no answer)"
    )?;
    Ok(())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    percentile(sorted, p).unwrap_or(f64::NAN)
}

/// The stub: answers DynamoDB's JSON protocol with the canned body of the operation (`{}` for
/// others), counting what it answered (`GET /__counts`). Prints its URL first.
async fn stub(canned: &str) -> Result<()> {
    let canned: Value = serde_json::from_str(&std::fs::read_to_string(canned)?)?;
    let canned = Arc::new(canned);
    let counts: Arc<std::sync::Mutex<BTreeMap<String, u64>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "http://{}", listener.local_addr()?)?;
        out.flush()?;
    }
    loop {
        let (stream, _) = listener.accept().await?;
        let canned = Arc::clone(&canned);
        let counts = Arc::clone(&counts);
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let (read, mut write) = stream.into_split();
            let mut read = BufReader::new(read);
            while let Ok(Some(req)) = lookout_bench::http::read_request(&mut read).await {
                let body = if req.path() == "/__counts" {
                    let c = counts.lock().map(|c| c.clone()).unwrap_or_default();
                    json!({"total": c.values().sum::<u64>(), "by_op": c}).to_string()
                } else {
                    let op = req
                        .header("x-amz-target")
                        .and_then(|t| t.split_once('.'))
                        .map_or("?", |(_, op)| op)
                        .to_owned();
                    let body = canned.get(&op).cloned().unwrap_or_else(|| json!({}));
                    if let Ok(mut c) = counts.lock() {
                        *c.entry(op).or_default() += 1;
                    }
                    body.to_string()
                };
                let reply = lookout_bench::http::response(200, &[], body.as_bytes());
                if write.write_all(&reply).await.is_err() || !req.keep_alive() {
                    break;
                }
            }
        });
    }
}
