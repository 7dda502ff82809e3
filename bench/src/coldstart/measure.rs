//! The three ways a target is measured: cold starts (a fresh process per request), warm
//! invocations of one live process, and metered invocations whose AWS requests are counted.

use std::time::Duration;

use anyhow::Result;

use crate::coldstart::process::{with_output, Process};
use crate::coldstart::procfs::{cpu_ms, peak_rss_kib};
use crate::coldstart::target::{Sample, Target, Warm};
use crate::ddb_meter::{Meter, OpStats, Tally};
use crate::scenarios::{Call, Fixture};

/// A duration in milliseconds.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One cold start.
pub(crate) async fn cold_run(
    t: &Target,
    fx: &Fixture,
    moto_url: &str,
    timeout: Duration,
) -> Result<Sample> {
    let call = fx.call(&t.function).await?;
    cold_with(t, &call, moto_url, timeout).await
}

/// One cold start of `t` answering `call`.
pub(crate) async fn cold_with(
    t: &Target,
    call: &Call,
    moto_url: &str,
    timeout: Duration,
) -> Result<Sample> {
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
pub(crate) async fn warm_runs(
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

/// AWS requests of one warm invocation (mean of `n`), through the meter, and its sequential
/// round trips (mean).
pub(crate) async fn metered_runs(
    t: &Target,
    fx: &Fixture,
    meter: &Meter,
    n: usize,
    timeout: Duration,
) -> Result<(Tally, f64)> {
    let call = fx.call(&t.function).await?;
    let mut p = Process::spawn(t, &meter.url(), &call, timeout).await?;
    if let Err(err) = p.answer(&call).await {
        return with_output(p, err).await;
    }
    // Warm as in service: the process has seen what it is asked (record-ping: every check once,
    // the first ping of a check in a process finding it through the `ping` index).
    for _ in 1..fx.rounds(&t.function) {
        let call = fx.call(&t.function).await?;
        if let Err(err) = p.invoke(&call).await {
            return with_output(p, err).await;
        }
    }
    let mut calls = Vec::with_capacity(n);
    for _ in 0..n {
        calls.push(fx.call(&t.function).await?);
    }
    let _ = meter.take();
    let _ = meter.take_round_trips();
    let mut trips = 0;
    for call in &calls {
        if let Err(err) = p.invoke(call).await {
            return with_output(p, err).await;
        }
        trips += meter.take_round_trips();
    }
    let tally = meter.take();
    let _ = p.kill().await;
    let n = n as f64;
    let tally = tally
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
        .collect();
    Ok((tally, trips as f64 / n))
}
