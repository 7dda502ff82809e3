//! The cost sections of the report: per 1M operations per family, per 1M requests of every
//! function, and the idle cost per month.

use anyhow::Result;

use crate::coldstart::summary::{cold_summary, ok, usage};
use crate::coldstart::table::{table, usd};
use crate::coldstart::target::{Kind, Target};
use crate::cost::{self, Sizing, Usage};

/// Section 4: Cost per 1M operations of each family's representative function.
pub(crate) fn family_cost_section(out: &mut impl std::io::Write, targets: &[Target]) -> Result<()> {
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
    Ok(())
}

/// Section 5: Cost per 1M requests of every function.
pub(crate) fn function_cost_section(
    out: &mut impl std::io::Write,
    targets: &[Target],
) -> Result<()> {
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
    Ok(())
}

/// Section 6: Idle cost per month of the scheduled functions (zero traffic).
pub(crate) fn idle_section(
    out: &mut impl std::io::Write,
    targets: &[Target],
    sizing: &Sizing,
) -> Result<()> {
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
    Ok(())
}
