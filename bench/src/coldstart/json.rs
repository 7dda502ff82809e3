//! The JSON report of a run (`--json FILE`): every sample and summary of every target.

use serde_json::{json, Value};

use crate::coldstart::summary::{cold_summary, usage, warm_summary, RunInfo};
use crate::coldstart::target::{Kind, Target};
use crate::cost;

/// The whole run as JSON.
pub(crate) fn json_report(ctx: &RunInfo, targets: &[Target]) -> Value {
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
                "aws_round_trips_per_request": t.round_trips,
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
