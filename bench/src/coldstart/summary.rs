//! Summaries of what was measured: medians and percentiles of the cold starts and warm
//! invocations, AWS requests per service, a target's usage for the cost model, and what the
//! run was ([`RunInfo`]).

use std::collections::BTreeMap;

use crate::coldstart::target::{Sample, Target, Warm};
use crate::cost::Usage;
use crate::ddb_meter::{OpStats, Tally};
use crate::stats::{median, percentile};

/// Medians (and the 90th percentile of the time) of a target's cold starts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ColdSummary {
    pub(crate) time_median: f64,
    pub(crate) time_p90: f64,
    pub(crate) init_median: f64,
    pub(crate) rss_median_kib: f64,
    pub(crate) cpu_median: f64,
}

/// The summary of these cold starts; `None` without any.
pub(crate) fn cold_summary(samples: &[Sample]) -> Option<ColdSummary> {
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

/// A target's warm invocations: wall time (median, 90th percentile, mean), CPU, RSS and log
/// bytes per request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WarmSummary {
    pub(crate) median: f64,
    pub(crate) p90: f64,
    pub(crate) mean: f64,
    pub(crate) cpu_ms: f64,
    pub(crate) rss_kib: f64,
    pub(crate) log_bytes: f64,
}

/// The summary of these warm invocations; `None` without any.
pub(crate) fn warm_summary(w: &Warm) -> Option<WarmSummary> {
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
pub(crate) fn by_service(tally: &Tally) -> BTreeMap<String, OpStats> {
    let mut out: BTreeMap<String, OpStats> = BTreeMap::new();
    for (op, s) in tally {
        let service = op.split(':').next().unwrap_or_default().to_owned();
        out.entry(service).or_default().add(s);
    }
    out
}

/// What one warm request of `t` uses, for the cost model; `None` until it was measured warm
/// and metered.
pub(crate) fn usage(t: &Target) -> Option<Usage> {
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

/// Whether nothing of `t` failed.
pub(crate) fn ok(t: &Target) -> bool {
    t.failure.is_none()
}

/// What a run was: its flags, moto, the Python baseline, the host, and the floor.
pub(crate) struct RunInfo {
    pub(crate) runs: usize,
    pub(crate) warmup: usize,
    pub(crate) warm: usize,
    pub(crate) metered: usize,
    pub(crate) moto: String,
    pub(crate) python: String,
    pub(crate) host: String,
    /// The floor's cold starts (bench/floor), measured in the same loop as the functions.
    pub(crate) floor: Option<ColdSummary>,
    pub(crate) floor_size: Option<u64>,
}

/// `(min, median, p90)` of a target's init time over the floor's, each cold start over the
/// floor's measured just before it (`Target::floor_inits`); `None` without a paired run.
pub(crate) fn init_ratio_spread(
    samples: &[Sample],
    floor_inits: &[Option<f64>],
) -> Option<(f64, f64, f64)> {
    let mut ratios: Vec<f64> = samples
        .iter()
        .zip(floor_inits)
        .filter_map(|(s, f)| Some(s.init_ms? / (*f)?))
        .filter(|r| r.is_finite())
        .collect();
    ratios.sort_by(f64::total_cmp);
    Some((
        *ratios.first()?,
        median(&ratios)?,
        percentile(&ratios, 90.0)?,
    ))
}
