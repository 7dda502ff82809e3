//! Cold-start benchmark: every function's release binary against a Python/boto3 baseline.
//!
//! ```text
//! cargo run --release -p lookout-bench --bin coldstart -- [--runs N] [--functions a,b] [--json FILE]
//! ```
//!
//! Per run and target, a fresh process is spawned under a one-invocation Lambda Runtime API
//! stub ([`lookout_bench::runtime_api`]) with the environment Lambda would give it (the
//! template's variables resolved against a uuid-prefixed copy of the tables in moto). It is
//! handed one authenticated API Gateway HTTP API request; the time from spawn to its response
//! arriving at the stub is the cold start, `VmHWM` of `/proc/<pid>/status` just before it is
//! killed is its peak RSS. A response with an unexpected status fails that target instead of
//! being reported as fast.
//!
//! The baseline (`bench/baseline/handler.py`) is `POST /start_session` written as a Python
//! Lambda: `import boto3`, client creation, GetItem of the API key's hash, PutItem of the
//! session, polled from the same stub with the same kind of event, same moto, same tables.
//! Each baseline run is checked by reading its session back through the Rust store.
//!
//! Targets are measured interleaved (run 1 of every target, then run 2, …) after unrecorded
//! warm-up runs, so page cache and machine load hit them alike. Before measuring, the command
//! runs `cargo build --release -p <function>…` (skip with `--no-build`) and reads the binaries
//! from `--bin-dir` (default `$CARGO_TARGET_DIR/release` or `target/release`).
//!
//! Local numbers, not Lambda's: no TLS (moto speaks plain HTTP), no sandbox or code download,
//! and moto's own latency is part of every sample. The ratios are the point.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use lookout_bench::runtime_api::{Invocation, Report, RuntimeApi};
use lookout_bench::stats::{median, percentile};
use lookout_dev::moto;
use lookout_dev::provision::{self, Stack, LOCAL_ACCOUNT};
use lookout_dev::template::{workspace_root, Function, Template};
use lookout_shared::auth::{sha256_hex, ApiKeys, Tenant};
use lookout_shared::tracker::{AddEvents, GetSession, StartSession, TrackerStore};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::task::JoinHandle;

const USAGE: &str = "\
usage: coldstart [--runs N] [--warmup N] [--functions a,b] [--json FILE]
                 [--bin-dir DIR] [--no-build] [--python PATH] [--timeout SECS]

  --runs N          measured runs per target (default 10)
  --warmup N        unrecorded runs per target first (default 1)
  --functions a,b   only these functions (binary names; default: every function with a scenario)
  --json FILE       also write every sample and summary as JSON
  --bin-dir DIR     where the release binaries are (default $CARGO_TARGET_DIR/release or target/release)
  --no-build        do not run `cargo build --release -p <function>...` first
  --python PATH     interpreter for the baseline (default $PYTHON or python3; shims are resolved)
  --timeout SECS    longest one run may take (default 30)";

const TENANT: &str = "bench";
const MACHINE: &str = "bench-machine";
const MEMORY_MB: u32 = 128;
const BASELINE: &str = "python-boto3";

#[derive(Debug)]
struct Args {
    runs: usize,
    warmup: usize,
    functions: Option<Vec<String>>,
    json: Option<PathBuf>,
    bin_dir: Option<PathBuf>,
    build: bool,
    python: Option<String>,
    timeout: Duration,
}

/// `Ok(None)` for `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>> {
    let mut out = Args {
        runs: 10,
        warmup: 1,
        functions: None,
        json: None,
        bin_dir: None,
        build: true,
        python: None,
        timeout: Duration::from_secs(30),
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| anyhow!("{flag} needs a value\n\n{USAGE}"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--runs" => out.runs = value()?.parse().context("--runs")?,
            "--warmup" => out.warmup = value()?.parse().context("--warmup")?,
            "--functions" => {
                let list: Vec<String> = value()?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                ensure!(!list.is_empty(), "--functions needs at least one name");
                out.functions = Some(list);
            }
            "--json" => out.json = Some(value()?.into()),
            "--bin-dir" => out.bin_dir = Some(value()?.into()),
            "--no-build" => out.build = false,
            "--python" => out.python = Some(value()?),
            "--timeout" => {
                out.timeout = Duration::from_secs(value()?.parse().context("--timeout")?)
            }
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    ensure!(out.runs > 0, "--runs must be at least 1");
    Ok(Some(out))
}

// ------------------------------------------------------------------ scenarios

/// The request each target is measured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    AdminApiKeys,
    StartSession,
    AddEvent,
    EndSession,
    GetSession,
    GetMachineEvents,
}

impl Scenario {
    fn for_binary(name: &str) -> Option<Self> {
        Some(match name {
            "admin-api-keys" => Self::AdminApiKeys,
            "start-session" => Self::StartSession,
            "add-event" => Self::AddEvent,
            "end-session" => Self::EndSession,
            "get-session" => Self::GetSession,
            "get-machine-events" => Self::GetMachineEvents,
            _ => return None,
        })
    }
}

/// One HTTP request of a run and the status it must get.
#[derive(Debug, Clone)]
struct Call {
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
    expect: u16,
}

/// What the requests refer to: keys, a long-lived session with an event.
struct Fixture {
    admin_token: String,
    api_key: String,
    tenant: Tenant,
    store: TrackerStore,
    session_id: String,
}

impl Fixture {
    async fn setup(
        ddb: &aws_sdk_dynamodb::Client,
        stack: &Stack,
        admin_token: String,
    ) -> Result<Self> {
        let tenant = Tenant::parse(TENANT).map_err(|e| anyhow!(e))?;
        let keys = ApiKeys::new(ddb.clone(), stack.table("ApiKeysTable")?);
        let api_key = keys
            .issue(&tenant, "coldstart")
            .await
            .context("issuing the benchmark's API key")?
            .api_key;
        let store = TrackerStore::new(ddb.clone(), stack.table("TrackerTable")?, Some(1));
        let mut fx = Self {
            admin_token,
            api_key,
            tenant,
            store,
            session_id: String::new(),
        };
        fx.session_id = fx.new_session().await?;
        let events: AddEvents = serde_json::from_value(json!({
            "sessionId": fx.session_id,
            "events": [{"eventAt": "2026-01-01T00:00:30Z", "eventType": "boot", "payload": {"n": 0}}]
        }))?;
        fx.store
            .add_events(&fx.tenant, events)
            .await
            .context("adding the fixture's event")?;
        Ok(fx)
    }

    async fn new_session(&self) -> Result<String> {
        let input: StartSession = serde_json::from_value(json!({
            "userId": "bench-user", "machineId": MACHINE, "startAt": "2026-01-01T00:00:00Z", "orgId": 1
        }))?;
        self.store
            .start_session(&self.tenant, input)
            .await
            .context("creating a session")
    }

    /// Fails unless the session exists for the benchmark's tenant.
    async fn check_session(&self, session_id: &str) -> Result<()> {
        let input: GetSession = serde_json::from_value(json!({ "sessionId": session_id }))?;
        let session = self
            .store
            .get_session(&self.tenant, input)
            .await
            .with_context(|| format!("reading back session {session_id}"))?;
        ensure!(
            session.machine_id == MACHINE,
            "session {session_id} has machineId {:?}",
            session.machine_id
        );
        Ok(())
    }

    async fn call(&self, scenario: Scenario, path: &str) -> Result<Call> {
        let key = vec![("x-api-key".to_owned(), self.api_key.clone())];
        let (headers, body, expect) = match scenario {
            Scenario::AdminApiKeys => (
                vec![(
                    "authorization".to_owned(),
                    format!("Bearer {}", self.admin_token),
                )],
                json!({"tenant": TENANT, "label": "coldstart"}),
                201,
            ),
            Scenario::StartSession => (
                key,
                json!({"userId": "bench-user", "machineId": MACHINE, "startAt": "2026-01-01T00:00:00Z", "orgId": 1}),
                200,
            ),
            Scenario::AddEvent => (
                key,
                json!({"sessionId": self.session_id, "events": [
                    {"eventAt": "2026-01-01T00:01:00Z", "eventType": "tick", "payload": {"n": 1}}
                ]}),
                200,
            ),
            Scenario::EndSession => (
                key,
                json!({"sessionId": self.new_session().await?, "endAt": "2026-01-01T01:00:00Z"}),
                200,
            ),
            Scenario::GetSession => (key, json!({"sessionId": self.session_id}), 200),
            Scenario::GetMachineEvents => (key, json!({"machineId": MACHINE, "limit": 100}), 200),
        };
        Ok(Call {
            path: path.to_owned(),
            headers,
            body,
            expect,
        })
    }
}

/// An API Gateway HTTP API (payload v2) event, as `tests/tests/api/support.rs` builds them.
fn api_gateway_event(call: &Call) -> Value {
    let headers: serde_json::Map<String, Value> = call
        .headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), json!(v)))
        .chain([
            ("content-type".to_owned(), json!("application/json")),
            ("user-agent".to_owned(), json!("lookout-coldstart")),
        ])
        .collect();
    let route = format!("POST {}", call.path);
    json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": call.path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT,
            "apiId": "local",
            "domainName": "local",
            "domainPrefix": "local",
            "http": {"method": "POST", "path": call.path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "lookout-coldstart"},
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route,
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1_767_225_600_000_u64
        },
        "body": call.body.to_string(),
        "isBase64Encoded": false
    })
}

// ------------------------------------------------------------------ targets

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rust,
    Python,
}

#[derive(Debug)]
struct Target {
    name: String,
    kind: Kind,
    scenario: Scenario,
    path: String,
    program: PathBuf,
    args: Vec<OsString>,
    env: BTreeMap<String, String>,
    /// Release binary, or the baseline's dependencies on disk.
    size_bytes: Option<u64>,
    samples: Vec<Sample>,
    failure: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Spawn → response at the Runtime API.
    total_ms: f64,
    /// Spawn → first poll for an event (initialisation).
    init_ms: Option<f64>,
    rss_kib: u64,
}

/// What Lambda puts in every function's environment (besides the template's variables).
fn lambda_env(name: &str, kind: Kind, task_root: &Path) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = [
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB.to_string()),
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
        Kind::Rust => {
            env.insert("_HANDLER".into(), "bootstrap".into());
        }
        Kind::Python => {
            env.insert("_HANDLER".into(), "handler.handler".into());
            env.insert("AWS_EXECUTION_ENV".into(), "AWS_Lambda_python3".into());
            env.insert("PYTHONUNBUFFERED".into(), "1".into());
        }
    }
    env
}

fn function_by_binary<'a>(functions: &'a [Function], binary: &str) -> Result<&'a Function> {
    functions
        .iter()
        .find(|f| f.binary == binary)
        .ok_or_else(|| anyhow!("no function with binary {binary} in template.yaml"))
}

fn route_path(f: &Function) -> Result<String> {
    f.routes
        .first()
        .map(|r| r.path.clone())
        .ok_or_else(|| anyhow!("{} has no HttpApi route", f.logical_id))
}

/// The interpreter behind `python` (pyenv shims are shell scripts: spawning one would add its
/// own start-up to every sample), its version line and the size of boto3's dependencies.
async fn resolve_python(python: &str) -> Result<(PathBuf, String, u64)> {
    const PROBE: &str = r#"
import os, sys, importlib
total = 0
for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"):
    try:
        mod = importlib.import_module(name)
    except ImportError:
        continue
    path = mod.__file__
    if os.path.basename(path) == "__init__.py":
        for root, _, files in os.walk(os.path.dirname(path)):
            total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    else:
        total += os.path.getsize(path)
import boto3
print(sys.executable)
print(f"Python {sys.version.split()[0]}, boto3 {boto3.__version__}")
print(total)
"#;
    let out = Command::new(python)
        .args(["-c", PROBE])
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {python}"))?;
    ensure!(
        out.status.success(),
        "{python} cannot import boto3: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8(out.stdout).context("python's answer is not UTF-8")?;
    let mut lines = text.lines();
    let (Some(exe), Some(version), Some(size)) = (lines.next(), lines.next(), lines.next()) else {
        bail!("unexpected answer from {python}: {text:?}");
    };
    Ok((PathBuf::from(exe), version.to_owned(), size.trim().parse()?))
}

async fn build(binaries: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "--release"]);
    for b in binaries {
        cmd.args(["-p", b]);
    }
    eprintln!(
        "building: cargo build --release -p {}",
        binaries.join(" -p ")
    );
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .await
        .with_context(|| format!("running {cargo}"))?;
    ensure!(status.success(), "cargo build --release failed ({status})");
    Ok(())
}

fn bin_dir(args: &Args) -> PathBuf {
    args.bin_dir.clone().unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| workspace_root().join("target"), PathBuf::from)
            .join("release")
    })
}

// ------------------------------------------------------------------ one run

/// Peak resident set size (`VmHWM`) of a live process, in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    parse_vm_hwm(&status).ok_or_else(|| anyhow!("no VmHWM in /proc/{pid}/status"))
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
}

fn drain<R: tokio::io::AsyncRead + Unpin + Send + 'static>(pipe: Option<R>) -> JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf).await;
        }
        buf
    })
}

fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let start = text.char_indices().rev().nth(max).map_or(0, |(i, _)| i);
    text[start..].to_owned()
}

/// Spawns the target under a fresh Runtime API stub, times it, checks its answer.
/// Returns the sample and the API Gateway response it posted.
async fn run_once(t: &Target, call: &Call, timeout: Duration) -> Result<(Sample, Value)> {
    let invocation = Invocation {
        request_id: uuid::Uuid::new_v4().to_string(),
        function_arn: format!(
            "arn:aws:lambda:{}:{LOCAL_ACCOUNT}:function:{}",
            moto::REGION,
            t.name
        ),
        event: api_gateway_event(call).to_string().into_bytes(),
        timeout_ms: 10_000,
    };
    let mut api = RuntimeApi::start(invocation).await?;
    let mut cmd = Command::new(&t.program);
    cmd.args(&t.args)
        .env_clear()
        .envs(&t.env)
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);

    let spawned = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("spawning {}", t.program.display()))?;
    let pid = child.id().ok_or_else(|| anyhow!("no pid"))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut polled = None;
    let answer: Result<(Instant, Vec<u8>)> = loop {
        tokio::select! {
            report = api.next_report() => match report? {
                Report::Polled(at) => polled = Some(at),
                Report::Response { at, body } => break Ok((at, body)),
                Report::InvocationError { body, .. } => {
                    break Err(anyhow!("invocation error: {}", String::from_utf8_lossy(&body)))
                }
                Report::InitError { body, .. } => {
                    break Err(anyhow!("init error: {}", String::from_utf8_lossy(&body)))
                }
                Report::Protocol(msg) => break Err(anyhow!("Runtime API: {msg}")),
            },
            status = child.wait() => {
                break Err(anyhow!("exited ({}) before answering", status.map_or_else(|e| e.to_string(), |s| s.to_string())));
            }
            () = &mut deadline => break Err(anyhow!("no answer within {timeout:?}")),
        }
    };
    // Read while it is still alive (it is parked in its next poll), then kill it.
    let rss = answer.as_ref().ok().map(|_| peak_rss_kib(pid));
    let _ = child.start_kill();
    let _ = child.wait().await;
    let logs = [
        stdout.await.unwrap_or_default(),
        stderr.await.unwrap_or_default(),
    ]
    .concat();
    let (answered, body) = answer.map_err(|err| {
        let output = tail(&logs, 2000);
        if output.is_empty() {
            err
        } else {
            anyhow!("{err:#}; its output: {output}")
        }
    })?;
    let rss_kib = rss.transpose()?.unwrap_or_default();

    let response: Value = serde_json::from_slice(&body)
        .with_context(|| format!("response is not JSON: {}", tail(&body, 500)))?;
    let status = response.get("statusCode").and_then(Value::as_u64);
    ensure!(
        status == Some(u64::from(call.expect)),
        "{} answered {status:?}, expected {}: {}",
        call.path,
        call.expect,
        tail(&body, 500)
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok((
        Sample {
            total_ms: ms(answered.duration_since(spawned)),
            init_ms: polled.map(|p| ms(p.duration_since(spawned))),
            rss_kib,
        },
        response,
    ))
}

/// The session id in the baseline's (plain JSON) response body.
fn baseline_session_id(response: &Value) -> Result<String> {
    let body: Value = serde_json::from_str(
        response
            .get("body")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("baseline response without a body"))?,
    )?;
    body.get("sessionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("baseline response without sessionId: {body}"))
}

async fn measure(t: &Target, fx: &Fixture, timeout: Duration) -> Result<Sample> {
    let call = fx.call(t.scenario, &t.path).await?;
    let (sample, response) = run_once(t, &call, timeout).await?;
    if t.kind == Kind::Python {
        // Proof the baseline did the same work: its session is readable by the Rust store.
        fx.check_session(&baseline_session_id(&response)?).await?;
    }
    Ok(sample)
}

// ------------------------------------------------------------------ report

#[derive(Debug, Clone, Copy, Default)]
struct Summary {
    time_median: f64,
    time_p90: f64,
    init_median: Option<f64>,
    rss_median_kib: f64,
    rss_p90_kib: f64,
}

fn summarize(samples: &[Sample]) -> Option<Summary> {
    let times: Vec<f64> = samples.iter().map(|s| s.total_ms).collect();
    let inits: Vec<f64> = samples.iter().filter_map(|s| s.init_ms).collect();
    let rss: Vec<f64> = samples.iter().map(|s| s.rss_kib as f64).collect();
    Some(Summary {
        time_median: median(&times)?,
        time_p90: percentile(&times, 90.0)?,
        init_median: median(&inits),
        rss_median_kib: median(&rss)?,
        rss_p90_kib: percentile(&rss, 90.0)?,
    })
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1024.0 / 1024.0)
}

fn ratio(base: f64, x: f64) -> String {
    if x > 0.0 {
        format!("{:.1}x", base / x)
    } else {
        "-".into()
    }
}

struct RunInfo {
    runs: usize,
    warmup: usize,
    moto: String,
    python: String,
    host: String,
}

fn write_table(out: &mut impl std::io::Write, ctx: &RunInfo, targets: &[Target]) -> Result<()> {
    let base = targets
        .iter()
        .find(|t| t.kind == Kind::Python && t.failure.is_none())
        .and_then(|t| summarize(&t.samples));
    writeln!(
        out,
        "Cold start = process spawn -> response at the Runtime API stub; peak RSS = VmHWM."
    )?;
    writeln!(
        out,
        "{} runs per target after {} warm-up, interleaved; moto {}; {}; {}.",
        ctx.runs, ctx.warmup, ctx.moto, ctx.python, ctx.host
    )?;
    writeln!(
        out,
        "Ratios are baseline / target (2.0x = the target takes half the time or memory).\n"
    )?;
    let header = [
        "target", "request", "time med", "time p90", "init med", "RSS med", "RSS p90", "size",
        "time", "RSS",
    ];
    let mut rows: Vec<[String; 10]> = Vec::new();
    for t in targets {
        let request = format!("POST {}", t.path);
        let size = t.size_bytes.map_or_else(
            || "-".into(),
            |b| {
                let s = mib(b as f64);
                if t.kind == Kind::Python {
                    format!("{s} (deps)")
                } else {
                    s
                }
            },
        );
        match summarize(&t.samples).filter(|_| t.failure.is_none()) {
            Some(s) => {
                let (rt, rr) = match base {
                    Some(b) => (
                        ratio(b.time_median, s.time_median),
                        ratio(b.rss_median_kib, s.rss_median_kib),
                    ),
                    None => ("-".into(), "-".into()),
                };
                rows.push([
                    t.name.clone(),
                    request,
                    format!("{:.1} ms", s.time_median),
                    format!("{:.1} ms", s.time_p90),
                    s.init_median
                        .map_or_else(|| "-".into(), |i| format!("{i:.1} ms")),
                    mib(s.rss_median_kib * 1024.0),
                    mib(s.rss_p90_kib * 1024.0),
                    size,
                    rt,
                    rr,
                ]);
            }
            None => rows.push([
                t.name.clone(),
                request,
                "FAILED".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                size,
                "-".into(),
                "-".into(),
            ]),
        }
    }
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 2 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(
        out,
        "{:w$}  {:>r$}",
        "",
        "baseline/target",
        w = widths[..8].iter().sum::<usize>() + 2 * 7,
        r = widths[8] + widths[9] + 2
    )?;
    writeln!(out, "{}", line(header.to_vec()))?;
    for r in &rows {
        writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    writeln!(
        out,
        "\ninit = spawn -> first poll for an event. size = stripped release binary; for the \
         baseline, boto3 and its dependencies on disk (the Lambda Python runtime ships them)."
    )?;
    for t in targets {
        if let Some(f) = &t.failure {
            writeln!(out, "FAILED {}: {f}", t.name)?;
        }
    }
    Ok(())
}

fn json_report(ctx: &RunInfo, targets: &[Target]) -> Value {
    let base = targets
        .iter()
        .find(|t| t.kind == Kind::Python && t.failure.is_none())
        .and_then(|t| summarize(&t.samples));
    let items: Vec<Value> = targets
        .iter()
        .map(|t| {
            let s = summarize(&t.samples).filter(|_| t.failure.is_none());
            let ratios = match (base, s) {
                (Some(b), Some(s)) if s.time_median > 0.0 && s.rss_median_kib > 0.0 => json!({
                    "time": b.time_median / s.time_median,
                    "rss": b.rss_median_kib / s.rss_median_kib,
                }),
                _ => Value::Null,
            };
            json!({
                "name": t.name,
                "kind": match t.kind { Kind::Rust => "rust", Kind::Python => "python" },
                "request": format!("POST {}", t.path),
                "size_bytes": t.size_bytes,
                "failure": t.failure,
                "samples": t.samples.iter().map(|x| json!({
                    "total_ms": x.total_ms, "init_ms": x.init_ms, "peak_rss_kib": x.rss_kib,
                })).collect::<Vec<_>>(),
                "summary": s.map(|s| json!({
                    "time_ms": {"median": s.time_median, "p90": s.time_p90},
                    "init_ms_median": s.init_median,
                    "peak_rss_kib": {"median": s.rss_median_kib, "p90": s.rss_p90_kib},
                })),
                "ratio_baseline_over_target": ratios,
            })
        })
        .collect();
    json!({
        "runs": ctx.runs,
        "warmup": ctx.warmup,
        "moto": ctx.moto,
        "python": ctx.python,
        "host": ctx.host,
        "targets": items,
    })
}

// ------------------------------------------------------------------ main

#[tokio::main]
async fn main() -> Result<()> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        writeln!(std::io::stdout(), "{USAGE}")?;
        return Ok(());
    };
    let tpl = Template::workspace_default()?;
    let functions = tpl.functions()?;
    let known: Vec<String> = functions
        .iter()
        .filter(|f| Scenario::for_binary(&f.binary).is_some())
        .map(|f| f.binary.clone())
        .collect();
    let chosen = match &args.functions {
        Some(list) => {
            for name in list {
                ensure!(
                    known.contains(name),
                    "unknown function {name:?}; choose from {}",
                    known.join(", ")
                );
            }
            list.clone()
        }
        None => known,
    };
    if args.build {
        build(&chosen).await?;
    }
    let bin_dir = bin_dir(&args);

    let python = args
        .python
        .clone()
        .or_else(|| std::env::var("PYTHON").ok())
        .unwrap_or_else(|| "python3".into());
    let (python_exe, python_version, deps_bytes) = resolve_python(&python).await?;

    eprintln!("provisioning tables in moto...");
    let moto_url = tokio::task::spawn_blocking(moto::endpoint).await??;
    let sdk = moto::sdk_config(&moto_url).await;
    let admin_token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let params = BTreeMap::from([(
        "AdminTokenSha256".to_owned(),
        sha256_hex(admin_token.as_bytes()),
    )]);
    let prefix = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let stack = provision::provision(&tpl, &sdk, &prefix, &params).await?;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let fx = Fixture::setup(&ddb, &stack, admin_token).await?;
    let client_env = moto::client_env(&moto_url);

    let mut targets = Vec::new();
    {
        let f = function_by_binary(&functions, "start-session")?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline/handler.py");
        ensure!(script.is_file(), "{} is missing", script.display());
        let task_root = script.parent().unwrap_or(Path::new("."));
        let mut env = lambda_env(BASELINE, Kind::Python, task_root);
        env.extend(stack.function_env(f)?);
        env.extend(client_env.iter().cloned());
        targets.push(Target {
            name: BASELINE.into(),
            kind: Kind::Python,
            scenario: Scenario::StartSession,
            path: route_path(f)?,
            program: python_exe,
            args: vec![script.into_os_string()],
            env,
            size_bytes: Some(deps_bytes),
            samples: Vec::new(),
            failure: None,
        });
    }
    for name in &chosen {
        let f = function_by_binary(&functions, name)?;
        let scenario =
            Scenario::for_binary(name).ok_or_else(|| anyhow!("no scenario for {name}"))?;
        let program = bin_dir.join(name);
        let size = std::fs::metadata(&program)
            .with_context(|| format!("{} (build it or pass --bin-dir)", program.display()))?
            .len();
        let mut env = lambda_env(name, Kind::Rust, &bin_dir);
        env.extend(stack.function_env(f)?);
        env.extend(client_env.iter().cloned());
        targets.push(Target {
            name: name.clone(),
            kind: Kind::Rust,
            scenario,
            path: route_path(f)?,
            program,
            args: Vec::new(),
            env,
            size_bytes: Some(size),
            samples: Vec::new(),
            failure: None,
        });
    }

    let total = args.warmup + args.runs;
    for run in 0..total {
        let warm = run < args.warmup;
        eprintln!(
            "{} {}/{}",
            if warm { "warm-up" } else { "run" },
            if warm { run + 1 } else { run + 1 - args.warmup },
            if warm { args.warmup } else { args.runs }
        );
        for t in &mut targets {
            if t.failure.is_some() {
                continue;
            }
            match measure(t, &fx, args.timeout).await {
                Ok(sample) => {
                    eprintln!(
                        "  {:<20} {:>8.1} ms  {:>6} KiB",
                        t.name, sample.total_ms, sample.rss_kib
                    );
                    if !warm {
                        t.samples.push(sample);
                    }
                }
                Err(err) => {
                    eprintln!("  {:<20} FAILED: {err:#}", t.name);
                    t.failure = Some(format!("{err:#}"));
                }
            }
        }
    }

    let ctx = RunInfo {
        runs: args.runs,
        warmup: args.warmup,
        moto: moto_url,
        python: python_version,
        host: format!(
            "{} {}, {} CPUs",
            std::env::consts::ARCH,
            std::env::consts::OS,
            std::thread::available_parallelism().map_or(0, usize::from)
        ),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out)?;
    write_table(&mut out, &ctx, &targets)?;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&json_report(&ctx, &targets))?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "JSON written to {}", path.display())?;
    }
    let failed: Vec<&str> = targets
        .iter()
        .filter(|t| t.failure.is_some())
        .map(|t| t.name.as_str())
        .collect();
    ensure!(failed.is_empty(), "failed: {}", failed.join(", "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Option<Args>> {
        parse_args(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags_parse_with_defaults() {
        let a = args(&[]).unwrap().unwrap();
        assert_eq!((a.runs, a.warmup, a.build), (10, 1, true));
        assert!(a.functions.is_none());
        let a = args(&[
            "--runs",
            "5",
            "--functions=start-session, get-session",
            "--no-build",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(a.runs, 5);
        assert!(!a.build);
        assert_eq!(
            a.functions.unwrap(),
            vec!["start-session".to_owned(), "get-session".to_owned()]
        );
        assert!(args(&["--help"]).unwrap().is_none());
        assert!(args(&["--runs"]).is_err());
        assert!(args(&["--runs", "0"]).is_err());
        assert!(args(&["--runs", "x"]).is_err());
        assert!(args(&["--functions", ","]).is_err());
        assert!(args(&["--bogus"]).is_err());
    }

    #[test]
    fn vm_hwm_is_read_from_proc_status() {
        let status =
            "Name:\tbootstrap\nVmPeak:\t  20000 kB\nVmHWM:\t    8123 kB\nVmRSS:\t 8000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(8123));
        assert_eq!(parse_vm_hwm("VmRSS:\t 8000 kB\n"), None);
    }

    #[test]
    fn events_carry_the_request() {
        let call = Call {
            path: "/get_session".into(),
            headers: vec![("X-Api-Key".into(), "k".into())],
            body: json!({"sessionId": "s"}),
            expect: 200,
        };
        let ev = api_gateway_event(&call);
        assert_eq!(ev["rawPath"], "/get_session");
        assert_eq!(ev["routeKey"], "POST /get_session");
        assert_eq!(ev["headers"]["x-api-key"], "k");
        assert_eq!(ev["body"], r#"{"sessionId":"s"}"#);
    }
}
