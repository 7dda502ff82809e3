//! The Lambda benchmark: every function of template.yaml, next to Python/boto3 baselines.
//!
//! ```text
//! cargo run --release -p lookout-bench --bin coldstart -- [--runs N] [--warm N] [--functions a,b]
//!                                                        [--json FILE]
//! ```
//!
//! Every function (its release binary) and one Python/boto3 baseline per endpoint family
//! (`bench/baseline/handler.py`, the family's representative operation written as a Python
//! Lambda: `import boto3`, client creation, the same DynamoDB calls) is measured three ways,
//! each process under a local Lambda Runtime API stub ([`lookout_bench::runtime_api`]) with
//! the environment Lambda would give it (template's variables resolved against a
//! uuid-prefixed copy of the stack in moto):
//!
//! 1. **Cold start** (`--runs`, interleaved: run 1 of every target, then run 2, … after
//!    unrecorded warm-ups): a fresh process gets one request from
//!    [`lookout_bench::scenarios`]; spawn → response at the stub is the cold start, spawn →
//!    first poll the init time, `VmHWM` of `/proc/<pid>/status` the peak RSS, the CPU time of
//!    its threads (`/proc/<pid>/task/*/schedstat`) the CPU it used.
//! 2. **Warm** (`--warm` invocations of one process after its first): event handed out →
//!    response is the warm duration; the process's CPU time over each of them (as above) is
//!    the handler CPU per request.
//! 3. **AWS requests** (`--metered` warm invocations of another process whose
//!    `AWS_ENDPOINT_URL` is a [`lookout_bench::ddb_meter`] in front of moto): requests per
//!    operation and DynamoDB capacity units computed from the wire bodies.
//!
//! Every answer is checked (status code, or an SQS batch response without failures); a wrong
//! one fails that target instead of being reported as fast. Then the cost model
//! ([`lookout_bench::cost`]) turns the figures into dollars per million operations per family,
//! and idle cost.
//!
//! Before measuring, the command runs `cargo build --release -p <function>…` (skip with
//! `--no-build`) and reads the binaries from `--bin-dir` (default `target/<host triple>/release`:
//! built with `--target <host>` and the deploy target's rustflags from .cargo/config.toml).
//!
//! Local numbers, not Lambda's: no TLS (moto speaks plain HTTP), no sandbox, a full CPU
//! instead of Lambda's share at 128 MB, and moto's own latency is part of every sample. The
//! ratios are the point.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use lookout_bench::cost::{self, Sizing, Usage};
use lookout_bench::ddb_meter::{Meter, OpStats, Tally};
use lookout_bench::runtime_api::{Invocation, Report, RuntimeApi};
use lookout_bench::scenarios::{Call, Expect, Family, Fixture, Request};
use lookout_bench::stats::{median, percentile};
use lookout_core::auth::sha256_hex;
use lookout_dev::emulator::Emulator;
use lookout_dev::moto;
use lookout_dev::provision::{self, LOCAL_ACCOUNT};
use lookout_dev::template::{workspace_root, Function, Template};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

const USAGE: &str = "\
usage: coldstart [--runs N] [--warmup N] [--warm N] [--metered N] [--functions a,b]
                 [--json FILE] [--bin-dir DIR] [--no-build] [--no-baseline]
                 [--python PATH] [--timeout SECS]

  --runs N          measured cold starts per target (default 10)
  --warmup N        unrecorded cold starts per target first (default 1)
  --warm N          warm invocations per target for duration and CPU (default 200)
  --metered N       warm invocations per target through the request meter (default 5)
  --functions a,b   only these functions (binary names; default: every function)
  --json FILE       also write every sample and summary as JSON
  --bin-dir DIR     where the release binaries are (default target/<host triple>/release)
  --no-build        do not run `cargo build --release -p <function>...` first
  --no-baseline     skip the Python baselines
  --python PATH     interpreter for the baselines (default $PYTHON or python3; shims are resolved)
  --timeout SECS    longest one invocation may take (default 30)";

const BASELINE: &str = "handler.py";
/// The floor (bench/floor): a minimal lambda_http binary answering 200, no AWS.
const FLOOR_PACKAGE: &str = "lookout-floor";
const FLOOR_BINARY: &str = "floor";
/// Linux's USER_HZ: the unit of utime/stime in /proc/<pid>/stat.
const CLOCK_TICKS_PER_S: f64 = 100.0;

#[derive(Debug)]
struct Args {
    runs: usize,
    warmup: usize,
    warm: usize,
    metered: usize,
    functions: Option<Vec<String>>,
    json: Option<PathBuf>,
    bin_dir: Option<PathBuf>,
    build: bool,
    baseline: bool,
    python: Option<String>,
    timeout: Duration,
}

/// `Ok(None)` for `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>> {
    let mut out = Args {
        runs: 10,
        warmup: 1,
        warm: 200,
        metered: 5,
        functions: None,
        json: None,
        bin_dir: None,
        build: true,
        baseline: true,
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
            "--warm" => out.warm = value()?.parse().context("--warm")?,
            "--metered" => out.metered = value()?.parse().context("--metered")?,
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
            "--no-baseline" => out.baseline = false,
            "--python" => out.python = Some(value()?),
            "--timeout" => {
                out.timeout = Duration::from_secs(value()?.parse().context("--timeout")?)
            }
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    ensure!(out.runs > 0, "--runs must be at least 1");
    ensure!(out.warm > 0, "--warm must be at least 1");
    ensure!(out.metered > 0, "--metered must be at least 1");
    Ok(Some(out))
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
    family: Family,
    /// The function whose request (scenario) this target answers.
    function: Function,
    program: PathBuf,
    args: Vec<OsString>,
    /// Without the endpoint (added per process: moto, or the meter).
    env: BTreeMap<String, String>,
    /// Release binary, or the baseline's dependencies on disk.
    size_bytes: Option<u64>,
    memory_mb: u32,
    request: String,
    cold: Vec<Sample>,
    warm: Option<Warm>,
    /// Per warm invocation (averaged over `--metered`).
    aws: Option<Tally>,
    failure: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Spawn → response at the Runtime API.
    total_ms: f64,
    /// Spawn → first poll for an event (initialisation).
    init_ms: Option<f64>,
    rss_kib: u64,
    /// CPU time at the response.
    cpu_ms: f64,
}

#[derive(Debug, Clone)]
struct Warm {
    /// Event handed out → response, per invocation.
    wall_ms: Vec<f64>,
    /// CPU per warm invocation (all of them / their number).
    cpu_ms: f64,
    /// VmHWM after all of them.
    rss_kib: u64,
    /// stdout + stderr per invocation (the function's own log lines).
    log_bytes: f64,
}

/// What Lambda puts in every function's environment (besides the template's variables).
fn lambda_env(
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

fn function_by_binary<'a>(functions: &'a [Function], binary: &str) -> Result<&'a Function> {
    functions
        .iter()
        .find(|f| f.binary == binary)
        .ok_or_else(|| anyhow!("no function with binary {binary} in template.yaml"))
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

/// This machine's target triple (Linux, glibc: what the bench runs on).
fn host_triple() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    }
}

/// The deploy target's rustflags (`[target.aarch64-unknown-linux-gnu]` in .cargo/config.toml:
/// non-PIE executables). The bench builds its host binaries with the same flags, so it
/// measures the start-up of what deploys.
fn deploy_rustflags() -> Result<String> {
    let path = workspace_root().join(".cargo/config.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path:?}"))?;
    let config: toml::Value = toml::from_str(&text).with_context(|| format!("parsing {path:?}"))?;
    let flags = config
        .get("target")
        .and_then(|t| t.get("aarch64-unknown-linux-gnu"))
        .and_then(|t| t.get("rustflags"))
        .and_then(toml::Value::as_array)
        .ok_or_else(|| anyhow!("{path:?} has no rustflags for aarch64-unknown-linux-gnu"))?;
    Ok(flags
        .iter()
        .filter_map(toml::Value::as_str)
        .collect::<Vec<_>>()
        .join(" "))
}

async fn build(binaries: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    let flags = deploy_rustflags()?;
    let triple = host_triple();
    cmd.current_dir(workspace_root())
        .args(["build", "--release", "--target", triple])
        .env(
            format!(
                "CARGO_TARGET_{}_RUSTFLAGS",
                triple.to_uppercase().replace('-', "_")
            ),
            &flags,
        );
    for b in binaries {
        cmd.args(["-p", b]);
    }
    eprintln!(
        "building: cargo build --release --target {triple} -p {} (rustflags {flags:?}, as the deploy target)",
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
            .join(host_triple())
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

// ------------------------------------------------------------------ one process

/// CPU time of a live process, in ms: the sum over its threads of the first field of
/// `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on a CPU), falling back to utime + stime of
/// `/proc/<pid>/stat` (10 ms ticks) where schedstat is missing. Threads that already exited
/// are not counted by the former; the runtimes measured keep their threads.
fn cpu_ms(pid: u32) -> Result<f64> {
    if let Some(ns) = schedstat_ns(pid) {
        return Ok(ns as f64 / 1e6);
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat)
        .map(|ticks| ticks as f64 * 1000.0 / CLOCK_TICKS_PER_S)
        .ok_or_else(|| anyhow!("malformed /proc/{pid}/stat"))
}

fn schedstat_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = task.ok()?.path().join("schedstat");
        // A thread may exit between listing and reading: skip it.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line, in clock ticks.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) may hold spaces; fields after it start past the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): utime is field 14 → index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A target's process under its own Runtime API stub.
struct Process {
    child: Child,
    pid: u32,
    api: RuntimeApi,
    spawned: Instant,
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<Vec<u8>>,
    arn: String,
    timeout: Duration,
}

/// One invocation's outcome.
struct Answer {
    /// When the event was handed out.
    delivered: Instant,
    answered: Instant,
}

fn invocation(arn: &str, call: &Call) -> Invocation {
    Invocation {
        request_id: uuid::Uuid::new_v4().to_string(),
        function_arn: arn.to_owned(),
        event: call.event().to_string().into_bytes(),
        timeout_ms: 30_000,
    }
}

impl Process {
    /// Spawns `t` with `endpoint` as its AWS endpoint; its first poll gets `first`.
    async fn spawn(t: &Target, endpoint: &str, first: &Call, timeout: Duration) -> Result<Self> {
        let arn = format!(
            "arn:aws:lambda:{}:{LOCAL_ACCOUNT}:function:{}",
            moto::REGION,
            t.name
        );
        let api = RuntimeApi::start(invocation(&arn, first)).await?;
        let mut cmd = Command::new(&t.program);
        cmd.args(&t.args)
            .env_clear()
            .envs(&t.env)
            .envs(moto::client_env(endpoint))
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
        Ok(Self {
            child,
            pid,
            api,
            spawned,
            stdout,
            stderr,
            arn,
            timeout,
        })
    }

    /// Waits for the answer to the invocation handed out next (queue it first with `push`).
    async fn answer(&mut self, call: &Call) -> Result<Answer> {
        let deadline = tokio::time::sleep(self.timeout);
        tokio::pin!(deadline);
        let mut delivered = None;
        let (answered, body) = loop {
            tokio::select! {
                report = self.api.next_report() => match report? {
                    Report::Polled(at) => delivered = Some(at),
                    Report::Response { at, body } => break (at, body),
                    Report::InvocationError { body, .. } => {
                        bail!("invocation error: {}", String::from_utf8_lossy(&body))
                    }
                    Report::InitError { body, .. } => {
                        bail!("init error: {}", String::from_utf8_lossy(&body))
                    }
                    Report::Protocol(msg) => bail!("Runtime API: {msg}"),
                },
                status = self.child.wait() => {
                    bail!("exited ({}) before answering", status.map_or_else(|e| e.to_string(), |s| s.to_string()));
                }
                () = &mut deadline => bail!("no answer within {:?}", self.timeout),
            }
        };
        let response: Value = serde_json::from_slice(&body)
            .with_context(|| format!("response is not JSON: {}", tail(&body, 500)))?;
        call.check(&response)?;
        Ok(Answer {
            delivered: delivered.unwrap_or(answered),
            answered,
        })
    }

    /// Invokes the (warm) process once more.
    async fn invoke(&mut self, call: &Call) -> Result<Answer> {
        self.api.push(invocation(&self.arn, call))?;
        self.answer(call).await
    }

    /// Kills it; returns what it wrote to stdout and stderr.
    async fn kill(mut self) -> Vec<u8> {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        [
            self.stdout.await.unwrap_or_default(),
            self.stderr.await.unwrap_or_default(),
        ]
        .concat()
    }
}

/// Adds the process's output to an error.
async fn with_output<T>(p: Process, err: anyhow::Error) -> Result<T> {
    let logs = p.kill().await;
    let output = tail(&logs, 2000);
    if output.is_empty() {
        Err(err)
    } else {
        Err(anyhow!("{err:#}; its output: {output}"))
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One cold start.
async fn cold_run(t: &Target, fx: &Fixture, moto_url: &str, timeout: Duration) -> Result<Sample> {
    let call = fx.call(&t.function).await?;
    cold_with(t, &call, moto_url, timeout).await
}

/// The floor's request: any API Gateway request, answered 200.
fn floor_call() -> Call {
    Call {
        request: Request::Http {
            method: "GET".into(),
            path: "/".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        },
        expect: Expect::Status(200),
    }
}

/// One cold start of `t` answering `call`.
async fn cold_with(t: &Target, call: &Call, moto_url: &str, timeout: Duration) -> Result<Sample> {
    let mut p = Process::spawn(t, moto_url, call, timeout).await?;
    let answer = match p.answer(call).await {
        Ok(a) => a,
        Err(err) => return with_output(p, err).await,
    };
    // Read while it is still alive (parked in its next poll), then kill it.
    let rss = peak_rss_kib(p.pid);
    let cpu = cpu_ms(p.pid);
    let spawned = p.spawned;
    let _ = p.kill().await;
    Ok(Sample {
        total_ms: ms(answer.answered.duration_since(spawned)),
        init_ms: Some(ms(answer.delivered.duration_since(spawned))),
        rss_kib: rss?,
        cpu_ms: cpu?,
    })
}

/// One process, its first invocation, then `n` warm ones.
async fn warm_runs(
    t: &Target,
    fx: &Fixture,
    moto_url: &str,
    n: usize,
    timeout: Duration,
) -> Result<Warm> {
    let call = fx.call(&t.function).await?;
    let mut p = Process::spawn(t, moto_url, &call, timeout).await?;
    if let Err(err) = p.answer(&call).await {
        return with_output(p, err).await;
    }
    let mut calls = Vec::with_capacity(n);
    for _ in 0..n {
        calls.push(fx.call(&t.function).await?);
    }
    let mut wall_ms = Vec::with_capacity(n);
    let mut cpu = 0.0;
    for call in &calls {
        let before = cpu_ms(p.pid)?;
        match p.invoke(call).await {
            Ok(a) => wall_ms.push(ms(a.answered.duration_since(a.delivered))),
            Err(err) => return with_output(p, err).await,
        }
        cpu += cpu_ms(p.pid)? - before;
    }
    let rss_kib = peak_rss_kib(p.pid)?;
    let logs = p.kill().await;
    Ok(Warm {
        wall_ms,
        cpu_ms: cpu / n as f64,
        rss_kib,
        log_bytes: logs.len() as f64 / (n + 1) as f64,
    })
}

/// AWS requests of one warm invocation (mean of `n`), through the meter.
async fn metered_runs(
    t: &Target,
    fx: &Fixture,
    meter: &Meter,
    n: usize,
    timeout: Duration,
) -> Result<Tally> {
    let call = fx.call(&t.function).await?;
    let mut p = Process::spawn(t, &meter.url(), &call, timeout).await?;
    if let Err(err) = p.answer(&call).await {
        return with_output(p, err).await;
    }
    let mut calls = Vec::with_capacity(n);
    for _ in 0..n {
        calls.push(fx.call(&t.function).await?);
    }
    let _ = meter.take();
    for call in &calls {
        if let Err(err) = p.invoke(call).await {
            return with_output(p, err).await;
        }
    }
    let tally = meter.take();
    let _ = p.kill().await;
    let n = n as f64;
    Ok(tally
        .into_iter()
        .map(|(op, s)| {
            (
                op,
                OpStats {
                    requests: s.requests / n,
                    rcu: s.rcu / n,
                    wcu: s.wcu / n,
                },
            )
        })
        .collect())
}

// ------------------------------------------------------------------ report

#[derive(Debug, Clone, Copy, Default)]
struct ColdSummary {
    time_median: f64,
    time_p90: f64,
    init_median: f64,
    rss_median_kib: f64,
    cpu_median: f64,
}

fn cold_summary(samples: &[Sample]) -> Option<ColdSummary> {
    let times: Vec<f64> = samples.iter().map(|s| s.total_ms).collect();
    let inits: Vec<f64> = samples.iter().filter_map(|s| s.init_ms).collect();
    let rss: Vec<f64> = samples.iter().map(|s| s.rss_kib as f64).collect();
    let cpu: Vec<f64> = samples.iter().map(|s| s.cpu_ms).collect();
    Some(ColdSummary {
        time_median: median(&times)?,
        time_p90: percentile(&times, 90.0)?,
        init_median: median(&inits).unwrap_or_default(),
        rss_median_kib: median(&rss)?,
        cpu_median: median(&cpu)?,
    })
}

#[derive(Debug, Clone, Copy, Default)]
struct WarmSummary {
    median: f64,
    p90: f64,
    mean: f64,
    cpu_ms: f64,
    rss_kib: f64,
    log_bytes: f64,
}

fn warm_summary(w: &Warm) -> Option<WarmSummary> {
    Some(WarmSummary {
        median: median(&w.wall_ms)?,
        p90: percentile(&w.wall_ms, 90.0)?,
        mean: w.wall_ms.iter().sum::<f64>() / w.wall_ms.len() as f64,
        cpu_ms: w.cpu_ms,
        rss_kib: w.rss_kib as f64,
        log_bytes: w.log_bytes,
    })
}

/// Per service: requests, RCU, WCU of one invocation.
fn by_service(tally: &Tally) -> BTreeMap<String, OpStats> {
    let mut out: BTreeMap<String, OpStats> = BTreeMap::new();
    for (op, s) in tally {
        let service = op.split(':').next().unwrap_or_default().to_owned();
        out.entry(service).or_default().add(s);
    }
    out
}

fn usage(t: &Target) -> Option<Usage> {
    let w = warm_summary(t.warm.as_ref()?)?;
    let services = by_service(t.aws.as_ref()?);
    let get = |s: &str| services.get(s).copied().unwrap_or_default();
    let ddb = get("dynamodb");
    Some(Usage {
        http: !t.function.routes.is_empty(),
        memory_mb: t.memory_mb,
        duration_ms: w.mean,
        rcu: ddb.rcu,
        wcu: ddb.wcu,
        sqs_requests: get("sqs").requests,
        mails: get("ses").requests,
        scheduler_requests: get("scheduler").requests,
    })
}

fn ok(t: &Target) -> bool {
    t.failure.is_none()
}

fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

fn ratio(base: f64, x: f64) -> String {
    if x > 0.0 && base > 0.0 {
        format!("{:.1}x", base / x)
    } else {
        "-".into()
    }
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

fn f2(x: f64) -> String {
    format!("{x:.2}")
}

fn usd(x: f64) -> String {
    if x >= 100.0 {
        format!("${x:.0}")
    } else {
        format!("${x:.2}")
    }
}

/// Writes an aligned table; the first `left` columns are left-aligned.
fn table(
    out: &mut impl std::io::Write,
    header: &[&str],
    rows: &[Vec<String>],
    left: usize,
) -> Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < left {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for r in rows {
        writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    writeln!(out)?;
    Ok(())
}

struct RunInfo {
    runs: usize,
    warmup: usize,
    warm: usize,
    metered: usize,
    moto: String,
    python: String,
    host: String,
    /// The floor's cold starts (bench/floor), measured in the same loop as the functions.
    floor: Option<ColdSummary>,
    floor_size: Option<u64>,
}

fn size_cell(t: &Target) -> String {
    t.size_bytes.map_or_else(
        || "-".into(),
        |b| {
            let s = mib(b as f64 / 1024.0);
            if t.kind == Kind::Python {
                format!("{s} (deps)")
            } else {
                s
            }
        },
    )
}

/// Every function's init and cold start as a multiple of the floor's (bench/floor: lambda_http
/// answering 200, no AWS client, no logging), all from the same interleaved cold loop.
fn floor_section(out: &mut impl std::io::Write, ctx: &RunInfo, targets: &[Target]) -> Result<()> {
    let Some(floor) = ctx.floor else {
        writeln!(out, "== Against the floor: the floor failed, no ratios\n")?;
        return Ok(());
    };
    writeln!(
        out,
        "== Against the floor (bench/floor: lambda_http answering 200, no AWS; {} binary; init \
         {:.1} ms, cold {:.1} ms, RSS {}; ratio = function / floor)\n",
        ctx.floor_size
            .map_or_else(|| "-".into(), |b| mib(b as f64 / 1024.0)),
        floor.init_median,
        floor.time_median,
        mib(floor.rss_median_kib)
    )?;
    let mut rows = Vec::new();
    for t in targets.iter().filter(|t| t.kind == Kind::Rust && ok(t)) {
        let Some(c) = cold_summary(&t.cold) else {
            continue;
        };
        rows.push(vec![
            t.name.clone(),
            format!("{:.1} ms", c.init_median),
            format!("{:.2}x", c.init_median / floor.init_median),
            format!("{:.1} ms", c.time_median),
            format!("{:.2}x", c.time_median / floor.time_median),
            format!("{:.2}x", c.rss_median_kib / floor.rss_median_kib),
        ]);
    }
    table(
        out,
        &[
            "target",
            "init med",
            "init / floor",
            "cold med",
            "cold / floor",
            "RSS / floor",
        ],
        &rows,
        1,
    )
}

fn write_report(
    out: &mut impl std::io::Write,
    ctx: &RunInfo,
    targets: &[Target],
    sizing: &Sizing,
) -> Result<()> {
    writeln!(
        out,
        "Lookout Lambda benchmark: {} cold starts per target after {} warm-up (interleaved), {} warm \
         invocations, {} metered; moto {}; {}; {}.\n",
        ctx.runs, ctx.warmup, ctx.warm, ctx.metered, ctx.moto, ctx.python, ctx.host
    )?;

    // 1. per function
    writeln!(
        out,
        "== Per function (cold = spawn -> response; init = spawn -> first poll; RSS = VmHWM of the \
         cold process; warm = event -> response in a live process; CPU = CPU time per warm \
         request; AWS = requests of one warm invocation)\n"
    )?;
    let header = [
        "target",
        "family",
        "request",
        "size",
        "MB",
        "cold med",
        "cold p90",
        "init med",
        "RSS med",
        "warm med",
        "warm p90",
        "CPU/req",
        "DDB req",
        "RCU",
        "WCU",
        "other AWS",
    ];
    let mut rows = Vec::new();
    for t in targets {
        let mut row = vec![
            t.name.clone(),
            t.family.name().to_owned(),
            t.request.clone(),
            size_cell(t),
            t.memory_mb.to_string(),
        ];
        match (ok(t), cold_summary(&t.cold)) {
            (true, Some(c)) => row.extend([
                format!("{:.1} ms", c.time_median),
                format!("{:.1} ms", c.time_p90),
                format!("{:.1} ms", c.init_median),
                mib(c.rss_median_kib),
            ]),
            _ => row.extend(["FAILED".into(), "-".into(), "-".into(), "-".into()]),
        }
        match t.warm.as_ref().and_then(warm_summary).filter(|_| ok(t)) {
            Some(w) => row.extend([
                format!("{:.2} ms", w.median),
                format!("{:.2} ms", w.p90),
                format!("{:.2} ms", w.cpu_ms),
            ]),
            None => row.extend(["-".into(), "-".into(), "-".into()]),
        }
        match t.aws.as_ref().filter(|_| ok(t)) {
            Some(tally) => {
                let s = by_service(tally);
                let ddb = s.get("dynamodb").copied().unwrap_or_default();
                let other: Vec<String> = s
                    .iter()
                    .filter(|(k, _)| k.as_str() != "dynamodb")
                    .map(|(k, v)| format!("{k} {}", f1(v.requests)))
                    .collect();
                row.extend([
                    f1(ddb.requests),
                    f2(ddb.rcu),
                    f2(ddb.wcu),
                    if other.is_empty() {
                        "-".into()
                    } else {
                        other.join(", ")
                    },
                ]);
            }
            None => row.extend(["-".into(), "-".into(), "-".into(), "-".into()]),
        }
        rows.push(row);
    }
    table(out, &header, &rows, 3)?;
    floor_section(out, ctx, targets)?;

    // 2. AWS requests per operation
    writeln!(
        out,
        "== AWS requests per operation (one warm invocation; RCU/WCU by DynamoDB's sizing rules \
         from the wire bodies)\n"
    )?;
    let mut rows = Vec::new();
    for t in targets.iter().filter(|t| ok(t)) {
        for (op, s) in t.aws.iter().flatten() {
            rows.push(vec![
                t.name.clone(),
                op.clone(),
                f1(s.requests),
                f2(s.rcu),
                f2(s.wcu),
            ]);
        }
    }
    table(
        out,
        &["target", "operation", "requests", "RCU", "WCU"],
        &rows,
        2,
    )?;

    // 3. Rust vs Python per family
    writeln!(
        out,
        "== Rust vs Python/boto3 per family (same request, same moto, same run; ratio = Python / Rust)\n"
    )?;
    let mut rows = Vec::new();
    for t in targets.iter().filter(|t| t.kind == Kind::Python) {
        let Some(rust) = targets
            .iter()
            .find(|r| r.kind == Kind::Rust && r.name == t.function.binary)
        else {
            continue;
        };
        if !ok(t) || !ok(rust) {
            continue;
        }
        let (Some(pc), Some(rc)) = (cold_summary(&t.cold), cold_summary(&rust.cold)) else {
            continue;
        };
        let pw = t.warm.as_ref().and_then(warm_summary).unwrap_or_default();
        let rw = rust
            .warm
            .as_ref()
            .and_then(warm_summary)
            .unwrap_or_default();
        let ddb = |x: &Target| {
            x.aws
                .as_ref()
                .map(|a| by_service(a).get("dynamodb").copied().unwrap_or_default())
                .unwrap_or_default()
        };
        let (pd, rd) = (ddb(t), ddb(rust));
        rows.push(vec![
            t.family.name().to_owned(),
            rust.request.clone(),
            format!("{:.1} / {:.1} ms", rc.time_median, pc.time_median),
            ratio(pc.time_median, rc.time_median),
            format!("{} / {}", mib(rc.rss_median_kib), mib(pc.rss_median_kib)),
            ratio(pc.rss_median_kib, rc.rss_median_kib),
            format!("{:.2} / {:.2} ms", rw.median, pw.median),
            ratio(pw.median, rw.median),
            format!("{:.2} / {:.2} ms", rw.cpu_ms, pw.cpu_ms),
            ratio(pw.cpu_ms, rw.cpu_ms),
            format!("{:.1} / {:.1} ms", rc.cpu_median, pc.cpu_median),
            format!("{} / {}", f1(rd.requests), f1(pd.requests)),
        ]);
    }
    table(
        out,
        &[
            "family",
            "request",
            "cold Rust / Py",
            "x",
            "RSS Rust / Py",
            "x",
            "warm Rust / Py",
            "x",
            "CPU/req Rust / Py",
            "x",
            "cold CPU Rust / Py",
            "DDB req Rust / Py",
        ],
        &rows,
        2,
    )?;

    // 4. cost per family
    writeln!(
        out,
        "== Cost per 1M operations (us-east-1 list prices, no free tier; see docs/cost.md). \
         Lambda billed at the mean measured warm duration rounded up to 1 ms at the template's \
         MemorySize; \"at 128 MB CPU\" also scales the measured CPU to Lambda's CPU share\n"
    )?;
    let mut rows = Vec::new();
    for t in targets.iter().filter(|t| ok(t)) {
        let is_rep = t.function.binary == t.family.representative();
        if !is_rep {
            continue;
        }
        let Some(u) = usage(t) else { continue };
        let c = cost::per_million(&u);
        let cpu = t.warm.as_ref().map_or(0.0, |w| w.cpu_ms);
        let throttled = cost::per_million(&Usage {
            duration_ms: cost::throttled_ms(u.duration_ms, cpu, u.memory_mb),
            ..u
        });
        let cold = cold_summary(&t.cold).unwrap_or_default();
        rows.push(vec![
            t.family.name().to_owned(),
            t.name.clone(),
            u.memory_mb.to_string(),
            format!("{:.0} ms", cost::billed_ms(u.duration_ms)),
            usd(c.apigw),
            usd(c.lambda),
            usd(c.dynamodb),
            usd(c.other),
            usd(c.total()),
            usd(throttled.total()),
            usd(1e6 * cost::lambda_duration_dollars(cold.time_median, u.memory_mb)),
        ]);
    }
    table(
        out,
        &[
            "family",
            "target",
            "MB",
            "billed",
            "API GW",
            "Lambda",
            "DynamoDB",
            "SQS/SES/Sched",
            "total",
            "at 128 MB CPU",
            "per 1M cold starts",
        ],
        &rows,
        2,
    )?;

    // 5. every function's cost
    writeln!(
        out,
        "== Cost per 1M requests of every function (same model)\n"
    )?;
    let mut rows = Vec::new();
    for t in targets.iter().filter(|t| ok(t) && t.kind == Kind::Rust) {
        let Some(u) = usage(t) else { continue };
        let c = cost::per_million(&u);
        rows.push(vec![
            t.name.clone(),
            format!("{:.0} ms", cost::billed_ms(u.duration_ms)),
            usd(c.apigw),
            usd(c.lambda),
            usd(c.dynamodb),
            usd(c.other),
            usd(c.total()),
        ]);
    }
    table(
        out,
        &[
            "function",
            "billed",
            "API GW",
            "Lambda",
            "DynamoDB",
            "SQS/SES/Sched",
            "total",
        ],
        &rows,
        1,
    )?;

    // 6. idle
    writeln!(out, "== Idle cost per month (zero traffic)\n")?;
    let mut rows = Vec::new();
    for (binary, per_month) in &sizing.scheduled_per_month {
        let Some(t) = targets
            .iter()
            .find(|t| ok(t) && t.kind == Kind::Rust && &t.name == binary)
        else {
            rows.push(vec![
                binary.clone(),
                format!("{per_month:.0}"),
                "not measured".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
            continue;
        };
        let Some(u) = usage(t) else { continue };
        let c = cost::per_million(&Usage { http: false, ..u });
        let logs_gb = per_month
            * (t.warm.as_ref().map_or(0.0, |w| w.log_bytes) + cost::PLATFORM_LOG_BYTES)
            / 1e9;
        rows.push(vec![
            binary.clone(),
            format!("{per_month:.0}"),
            usd(per_month / 1e6 * c.lambda),
            usd(per_month / 1e6 * c.dynamodb),
            usd(logs_gb * cost::CW_LOGS_PER_GB),
            usd((per_month / 1e6).mul_add(c.total(), logs_gb * cost::CW_LOGS_PER_GB)),
        ]);
    }
    table(
        out,
        &[
            "scheduled",
            "runs/month",
            "Lambda",
            "DynamoDB",
            "CW Logs",
            "total",
        ],
        &rows,
        1,
    )?;
    writeln!(
        out,
        "Everything else is $0 at zero traffic (Lambda, API Gateway, DynamoDB on-demand, SQS, \
         SES, Scheduler are per request) except DynamoDB storage (${}/GB-month) and the SQS \
         event source's long polls (see docs/cost.md).\n",
        cost::DDB_STORAGE_GB_MONTH
    )?;

    for t in targets {
        if let Some(f) = &t.failure {
            writeln!(out, "FAILED {}: {f}", t.name)?;
        }
    }
    Ok(())
}

fn json_report(ctx: &RunInfo, targets: &[Target]) -> Value {
    let items: Vec<Value> = targets
        .iter()
        .map(|t| {
            let cold = cold_summary(&t.cold);
            let warm = t.warm.as_ref().and_then(warm_summary);
            let cost = usage(t).map(|u| {
                let c = cost::per_million(&u);
                json!({"apigw": c.apigw, "lambda": c.lambda, "dynamodb": c.dynamodb, "other": c.other, "total": c.total()})
            });
            json!({
                "name": t.name,
                "kind": match t.kind { Kind::Rust => "rust", Kind::Python => "python" },
                "family": t.family.name(),
                "function": t.function.binary,
                "request": t.request,
                "size_bytes": t.size_bytes,
                "memory_mb": t.memory_mb,
                "failure": t.failure,
                "cold_samples": t.cold.iter().map(|x| json!({
                    "total_ms": x.total_ms, "init_ms": x.init_ms, "peak_rss_kib": x.rss_kib, "cpu_ms": x.cpu_ms,
                })).collect::<Vec<_>>(),
                "cold": cold.map(|s| json!({
                    "time_ms": {"median": s.time_median, "p90": s.time_p90},
                    "init_ms_median": s.init_median,
                    "peak_rss_kib_median": s.rss_median_kib,
                    "cpu_ms_median": s.cpu_median,
                })),
                "warm": warm.map(|w| json!({
                    "wall_ms": {"median": w.median, "p90": w.p90, "mean": w.mean},
                    "cpu_ms_per_request": w.cpu_ms,
                    "peak_rss_kib": w.rss_kib,
                    "log_bytes_per_request": w.log_bytes,
                })),
                "aws_per_request": t.aws.as_ref().map(|a| a.iter().map(|(k, s)| (k.clone(), json!({
                    "requests": s.requests, "rcu": s.rcu, "wcu": s.wcu,
                }))).collect::<serde_json::Map<_, _>>()),
                "cost_per_million": cost,
            })
        })
        .collect();
    json!({
        "runs": ctx.runs,
        "warmup": ctx.warmup,
        "warm": ctx.warm,
        "metered": ctx.metered,
        "moto": ctx.moto,
        "python": ctx.python,
        "host": ctx.host,
        "floor": ctx.floor.map(|f| json!({
            "size_bytes": ctx.floor_size,
            "time_median_ms": f.time_median,
            "init_median_ms": f.init_median,
            "rss_median_kib": f.rss_median_kib,
        })),
        "targets": items,
    })
}

// ------------------------------------------------------------------ main

fn record<T>(t: &mut Target, label: &str, result: Result<T>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(err) => {
            eprintln!("  {:<28} {label} FAILED: {err:#}", t.name);
            t.failure = Some(format!("{label}: {err:#}"));
            None
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        writeln!(std::io::stdout(), "{USAGE}")?;
        return Ok(());
    };
    let tpl = Template::workspace_default()?;
    let functions = tpl.functions()?;
    let sizing = cost::sizing(&workspace_root().join("template.yaml"))?;
    let known: Vec<String> = functions.iter().map(|f| f.binary.clone()).collect();
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
        let mut packages: Vec<String> = functions
            .iter()
            .filter(|f| chosen.contains(&f.binary))
            .map(|f| f.bootstrap.clone())
            .collect();
        packages.sort();
        packages.dedup();
        packages.push(FLOOR_PACKAGE.to_owned());
        build(&packages).await?;
    }
    let bin_dir = bin_dir(&args);

    eprintln!("provisioning the stack in moto...");
    let moto_url = tokio::task::spawn_blocking(moto::endpoint).await??;
    let sdk = moto::sdk_config(&moto_url).await;
    let emulator = Emulator::start("127.0.0.1:0")?;
    let admin_token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let params =
        lookout_bench::scenarios::stack_params(sha256_hex(admin_token.as_bytes()), emulator.url());
    let prefix = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let stack = provision::provision(&tpl, &sdk, &prefix, &params).await?;
    provision::put_secret(
        &sdk,
        &stack,
        "MessengerSecret",
        lookout_bench::scenarios::BENCH_TOKENS,
    )
    .await?;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let badge_secret = provision::secret_value(&sdk, &stack, "BadgeSigningSecret").await?;
    let fx = Fixture::setup(&ddb, &stack, admin_token, badge_secret).await?;
    let meter = Meter::start(&moto_url).await?;

    let memory = |binary: &str| sizing.memory_mb.get(binary).copied().unwrap_or(128);
    let mut targets = Vec::new();
    let mut python_version = "no baseline".to_owned();
    if args.baseline {
        let python = args
            .python
            .clone()
            .or_else(|| std::env::var("PYTHON").ok())
            .unwrap_or_else(|| "python3".into());
        let (python_exe, version, deps_bytes) = resolve_python(&python).await?;
        python_version = version;
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("baseline")
            .join(BASELINE);
        ensure!(script.is_file(), "{} is missing", script.display());
        let task_root = script.parent().unwrap_or(Path::new("."));
        for family in Family::ALL {
            let binary = family.representative();
            if family == Family::Console || !chosen.iter().any(|c| c == binary) {
                continue;
            }
            let f = function_by_binary(&functions, binary)?;
            let name = format!("python-{}", family.name());
            let mut env = lambda_env(&name, Kind::Python, memory(binary), task_root, "");
            env.extend(stack.function_env(f)?);
            env.insert("BASELINE_OP".into(), binary.to_owned());
            let request = fx.call(f).await?.label();
            targets.push(Target {
                name,
                kind: Kind::Python,
                family,
                function: f.clone(),
                program: python_exe.clone(),
                args: vec![script.clone().into_os_string()],
                env,
                size_bytes: Some(deps_bytes),
                memory_mb: memory(binary),
                request,
                cold: Vec::new(),
                warm: None,
                aws: None,
                failure: None,
            });
        }
    }
    for name in &chosen {
        let f = function_by_binary(&functions, name)?;
        let family = Family::of(name).ok_or_else(|| anyhow!("no family for {name}"))?;
        // What deploys: the domain's bootstrap binary, told its handler by `_HANDLER`.
        let program = bin_dir.join(&f.bootstrap);
        let size = std::fs::metadata(&program)
            .with_context(|| format!("{} (build it or pass --bin-dir)", program.display()))?
            .len();
        let mut env = lambda_env(name, Kind::Rust, memory(name), &bin_dir, name);
        env.extend(stack.function_env(f)?);
        let request = fx.call(f).await?.label();
        targets.push(Target {
            name: name.clone(),
            kind: Kind::Rust,
            family,
            function: f.clone(),
            program,
            args: Vec::new(),
            env,
            size_bytes: Some(size),
            memory_mb: memory(name),
            request,
            cold: Vec::new(),
            warm: None,
            aws: None,
            failure: None,
        });
    }
    // Rust first within a family, its baseline next to it.
    targets.sort_by_key(|t| (t.family, t.kind == Kind::Python, t.name.clone()));
    // The floor, cold-started in the same loop as the functions (not a function: no scenario,
    // no warm or metered runs, no cost).
    let mut floor = {
        let program = bin_dir.join(FLOOR_BINARY);
        let size = std::fs::metadata(&program)
            .with_context(|| format!("{} (build it or pass --bin-dir)", program.display()))?
            .len();
        let f = functions
            .first()
            .ok_or_else(|| anyhow!("template.yaml has no function"))?;
        Target {
            name: FLOOR_BINARY.to_owned(),
            kind: Kind::Rust,
            family: Family::Admin,
            function: f.clone(),
            program,
            args: Vec::new(),
            env: lambda_env(FLOOR_BINARY, Kind::Rust, 128, &bin_dir, "bootstrap"),
            size_bytes: Some(size),
            memory_mb: 128,
            request: floor_call().label(),
            cold: Vec::new(),
            warm: None,
            aws: None,
            failure: None,
        }
    };

    // 1. cold starts, interleaved
    let total = args.warmup + args.runs;
    for run in 0..total {
        let warm_up = run < args.warmup;
        eprintln!(
            "cold {} {}/{}",
            if warm_up { "warm-up" } else { "run" },
            if warm_up {
                run + 1
            } else {
                run + 1 - args.warmup
            },
            if warm_up { args.warmup } else { args.runs }
        );
        let result = cold_with(&floor, &floor_call(), &moto_url, args.timeout).await;
        if let Some(sample) = record(&mut floor, "cold start", result) {
            eprintln!("  {:<28} {:>8.1} ms (floor)", floor.name, sample.total_ms);
            if !warm_up {
                floor.cold.push(sample);
            }
        }
        for t in &mut targets {
            if t.failure.is_some() {
                continue;
            }
            let result = cold_run(t, &fx, &moto_url, args.timeout).await;
            if let Some(sample) = record(t, "cold start", result) {
                eprintln!(
                    "  {:<28} {:>8.1} ms  {:>6} KiB",
                    t.name, sample.total_ms, sample.rss_kib
                );
                if !warm_up {
                    t.cold.push(sample);
                }
            }
        }
    }
    // 2. warm invocations, 3. metered
    for t in &mut targets {
        if t.failure.is_some() {
            continue;
        }
        let result = warm_runs(t, &fx, &moto_url, args.warm, args.timeout).await;
        if let Some(w) = record(t, "warm", result) {
            if let Some(s) = warm_summary(&w) {
                eprintln!(
                    "  {:<28} warm {:>6.2} ms  CPU {:>5.2} ms/req",
                    t.name, s.median, s.cpu_ms
                );
            }
            t.warm = Some(w);
        }
        if t.failure.is_some() {
            continue;
        }
        let result = metered_runs(t, &fx, &meter, args.metered, args.timeout).await;
        if let Some(tally) = record(t, "metered", result) {
            t.aws = Some(tally);
        }
    }

    let ctx = RunInfo {
        runs: args.runs,
        warmup: args.warmup,
        warm: args.warm,
        metered: args.metered,
        moto: moto_url,
        python: python_version,
        floor: cold_summary(&floor.cold).filter(|_| floor.failure.is_none()),
        floor_size: floor.size_bytes,
        host: format!(
            "{} {}, {} CPUs",
            std::env::consts::ARCH,
            std::env::consts::OS,
            std::thread::available_parallelism().map_or(0, usize::from)
        ),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out)?;
    write_report(&mut out, &ctx, &targets, &sizing)?;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&json_report(&ctx, &targets))?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "JSON written to {}", path.display())?;
    }
    let failed: Vec<&str> = targets
        .iter()
        .chain(std::iter::once(&floor))
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
        assert_eq!(
            (a.runs, a.warmup, a.warm, a.metered, a.build),
            (10, 1, 200, 5, true)
        );
        assert!(a.functions.is_none());
        let a = args(&[
            "--runs",
            "5",
            "--warm=50",
            "--functions=start-session, get-session",
            "--no-build",
            "--no-baseline",
        ])
        .unwrap()
        .unwrap();
        assert_eq!((a.runs, a.warm), (5, 50));
        assert!(!a.build && !a.baseline);
        assert_eq!(
            a.functions.unwrap(),
            vec!["start-session".to_owned(), "get-session".to_owned()]
        );
        assert!(args(&["--help"]).unwrap().is_none());
        assert!(args(&["--runs"]).is_err());
        assert!(args(&["--runs", "0"]).is_err());
        assert!(args(&["--warm", "0"]).is_err());
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
    fn cpu_ticks_are_read_from_proc_stat() {
        let stat = "1234 (boot strap) S 1 1234 1234 0 -1 4194560 500 0 0 0 17 5 0 0 20 0 3 0 100 \
                    1000000 2000 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Some(22));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }
}
