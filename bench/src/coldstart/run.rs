//! One run of the benchmark, start to end: build, provision the stack in moto, line up the
//! targets, measure them (cold starts interleaved, then warm and metered), and report.

use std::io::Write as _;

use anyhow::{ensure, Context, Result};
use lookout_core::auth::sha256_hex;
use lookout_dev::emulator::Emulator;
use lookout_dev::moto;
use lookout_dev::provision;
use lookout_dev::template::{workspace_root, Function, Template};

use crate::coldstart::args::Args;
use crate::coldstart::json::json_report;
use crate::coldstart::lineup::{floor_call, Lineup};
use crate::coldstart::measure::{cold_run, cold_with, metered_runs, warm_runs};
use crate::coldstart::report::write_report;
use crate::coldstart::summary::{cold_summary, warm_summary, RunInfo};
use crate::coldstart::target::{Kind, Target, FLOOR_PACKAGE};
use crate::coldstart::toolchain::{bin_dir, build, resolve_python};
use crate::cost;
use crate::ddb_meter::Meter;
use crate::scenarios::{stack_params, Family, Fixture, BENCH_TOKENS};

/// Runs the benchmark with `args`: the report goes to stdout (and `--json`), progress to
/// stderr. Fails when any target failed.
pub async fn run(args: Args) -> Result<()> {
    let tpl = Template::workspace_default()?;
    let functions = tpl.functions()?;
    let sizing = cost::sizing(&workspace_root().join("template.yaml"))?;
    let (chosen, unbenched) = chosen(&args, &functions)?;
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
    let params = stack_params(sha256_hex(admin_token.as_bytes()), emulator.url());
    let prefix = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let stack = provision::provision(&tpl, &sdk, &prefix, &params).await?;
    provision::put_secret(&sdk, &stack, "MessengerSecret", BENCH_TOKENS).await?;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let badge_secret = provision::secret_value(&sdk, &stack, "BadgeSigningSecret").await?;
    let fx = Fixture::setup(&ddb, &stack, admin_token, badge_secret).await?;
    let meter = Meter::start(&moto_url).await?;

    let lineup = Lineup {
        functions: &functions,
        stack: &stack,
        fx: &fx,
        sizing: &sizing,
    };
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
        targets.extend(
            lineup
                .python_targets(&chosen, &python_exe, deps_bytes)
                .await?,
        );
    }
    targets.extend(lineup.rust_targets(&chosen, &bin_dir).await?);
    // Rust first within a family, its baseline next to it.
    targets.sort_by_key(|t| (t.family, t.kind == Kind::Python, t.name.clone()));
    let mut floor = lineup.floor(&bin_dir)?;

    cold_starts(&args, &mut floor, &mut targets, &fx, &moto_url).await;
    warm_and_metered(&args, &mut targets, &fx, &moto_url, &meter).await;

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
    if !unbenched.is_empty() {
        writeln!(
            out,
            "\nNot in this benchmark (no scenario: their work is outbound calls to third-party services, or admin reads of alert state): {}",
            unbenched.join(", ")
        )?;
    }
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

/// The binaries `--functions` names (each must be a function of the template), else every
/// function with a scenario (a [`Family`]) and, to name in the report, the template's functions
/// left out (none when `--functions` chose).
fn chosen(args: &Args, functions: &[Function]) -> Result<(Vec<String>, Vec<String>)> {
    let known: Vec<String> = functions.iter().map(|f| f.binary.clone()).collect();
    match &args.functions {
        Some(list) => {
            for name in list {
                ensure!(
                    known.contains(name),
                    "unknown function {name:?}; choose from {}",
                    known.join(", ")
                );
            }
            Ok((list.clone(), Vec::new()))
        }
        None => Ok(known
            .into_iter()
            .partition(|name| Family::of(name).is_some())),
    }
}

/// Cold starts, interleaved: run 1 of the floor and every target, then run 2, ... after the
/// unrecorded warm-ups. A target that fails is not started again.
async fn cold_starts(
    args: &Args,
    floor: &mut Target,
    targets: &mut [Target],
    fx: &Fixture,
    moto_url: &str,
) {
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
        for t in targets.iter_mut() {
            if t.failure.is_some() {
                continue;
            }
            // The floor right before each target: the ratio's two inits ran back to back (one
            // floor per run, 37 targets before the last, let the machine's state drift
            // between them).
            let result = cold_with(floor, &floor_call(), moto_url, args.timeout).await;
            let floor_init = record(floor, "cold start", result).and_then(|sample| {
                if !warm_up {
                    floor.cold.push(sample);
                }
                sample.init_ms
            });
            let result = cold_run(t, fx, moto_url, args.timeout).await;
            if let Some(sample) = record(t, "cold start", result) {
                eprintln!(
                    "  {:<28} {:>8.1} ms  {:>6} KiB  (floor init {})",
                    t.name,
                    sample.total_ms,
                    sample.rss_kib,
                    floor_init.map_or_else(|| "-".to_owned(), |f| format!("{f:.2} ms"))
                );
                if !warm_up {
                    t.cold.push(sample);
                    t.floor_inits.push(floor_init);
                }
            }
        }
    }
}

/// Warm invocations, then metered ones, target after target (those that did not fail).
async fn warm_and_metered(
    args: &Args,
    targets: &mut [Target],
    fx: &Fixture,
    moto_url: &str,
    meter: &Meter,
) {
    for t in targets.iter_mut() {
        if t.failure.is_some() {
            continue;
        }
        let result = warm_runs(t, fx, moto_url, args.warm, args.timeout).await;
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
        let result = metered_runs(t, fx, meter, args.metered, args.timeout).await;
        if let Some((tally, trips)) = record(t, "metered", result) {
            t.aws = Some(tally);
            t.round_trips = Some(trips);
        }
    }
}

/// The value of `result`, or `None` with the failure logged and kept on `t` (`label` says
/// which measurement failed).
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
