//! The text report of a run: per function, against the floor, AWS requests per operation,
//! Rust against Python per family, then the costs (`cost_report`) and the failures.

use anyhow::Result;

use crate::coldstart::cost_report::{family_cost_section, function_cost_section, idle_section};
use crate::coldstart::summary::{
    by_service, cold_summary, init_ratio_spread, ok, warm_summary, RunInfo,
};
use crate::coldstart::table::{f1, f2, mib, ratio, table};
use crate::coldstart::target::{Kind, Target};
use crate::cost::Sizing;

/// Writes the whole report.
pub(crate) fn write_report(
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
    per_function_section(out, targets)?;
    floor_section(out, ctx, targets)?;
    operations_section(out, targets)?;
    baseline_section(out, targets)?;
    family_cost_section(out, targets)?;
    function_cost_section(out, targets)?;
    idle_section(out, targets, sizing)?;
    for t in targets {
        if let Some(f) = &t.failure {
            writeln!(out, "FAILED {}: {f}", t.name)?;
        }
    }
    Ok(())
}

/// Section 1, per function: size, cold start, init, RSS, warm duration, CPU and AWS requests.
fn per_function_section(out: &mut impl std::io::Write, targets: &[Target]) -> Result<()> {
    writeln!(
        out,
        "== Per function (cold = spawn -> response; init = spawn -> first poll; RSS = VmHWM of the \
         cold process; warm = event -> response in a live process; CPU = CPU time per warm \
         request; AWS = requests of one warm invocation; AWS RT = its sequential round trips to AWS, \
         requests in flight together counted once)\n"
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
        "AWS RT",
        "RCU",
        "WCU+idx",
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
                    t.round_trips.map_or_else(|| "-".into(), f1),
                    f2(ddb.rcu),
                    f2(ddb.wcu),
                    if other.is_empty() {
                        "-".into()
                    } else {
                        other.join(", ")
                    },
                ]);
            }
            None => row.extend(["-".into(), "-".into(), "-".into(), "-".into(), "-".into()]),
        }
        rows.push(row);
    }
    table(out, &header, &rows, 3)?;
    Ok(())
}

/// The size column: the binary, or the baseline's dependencies.
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
        let spread = init_ratio_spread(&t.cold, &t.floor_inits).map_or_else(
            || "-".into(),
            |(min, med, p90)| format!("{min:.2} / {med:.2} / {p90:.2}x"),
        );
        rows.push(vec![
            t.name.clone(),
            format!("{:.1} ms", c.init_median),
            format!("{:.2}x", c.init_median / floor.init_median),
            spread,
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
            "per run: min / med / p90",
            "cold med",
            "cold / floor",
            "RSS / floor",
        ],
        &rows,
        1,
    )
}

/// Section 2: AWS requests per operation of one warm invocation.
fn operations_section(out: &mut impl std::io::Write, targets: &[Target]) -> Result<()> {
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
    Ok(())
}

/// Section 3: Rust against Python/boto3 per family: the same request in the same run.
fn baseline_section(out: &mut impl std::io::Write, targets: &[Target]) -> Result<()> {
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
    Ok(())
}
