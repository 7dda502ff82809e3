//! The cost model: measured figures → dollars per million operations, and idle cost.
//!
//! Prices are AWS's published on-demand list prices for us-east-1 as of November 2026
//! (unchanged since 2023 for these items), without free tiers:
//!
//! | item | price |
//! |---|---|
//! | API Gateway HTTP API | $1.00 per million requests (first 300 M/month) |
//! | Lambda arm64 | $0.0000133334 per GB-s, $0.20 per million requests; duration billed per 1 ms |
//! | DynamoDB on-demand | $0.625 per million write request units, $0.125 per million read request units (since 1 Nov 2024); storage $0.25/GB-month |
//! | SQS standard | $0.40 per million requests |
//! | SES | $0.10 per 1,000 mails |
//! | EventBridge Scheduler | $1.00 per million invocations |
//! | CloudWatch Logs | $0.50 per GB ingested |
//!
//! Billed duration is the measured warm duration rounded up to 1 ms at the function's
//! `MemorySize` from template.yaml. An init phase (cold start) is billed too: always on
//! `provided.al2023`, and for managed runtimes (Python) since 1 August 2025.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use yaml_serde::Value;

pub const APIGW_HTTP_PER_M: f64 = 1.00;
pub const LAMBDA_GB_S: f64 = 0.000_013_333_4;
pub const LAMBDA_REQ_PER_M: f64 = 0.20;
pub const DDB_WRU_PER_M: f64 = 0.625;
pub const DDB_RRU_PER_M: f64 = 0.125;
pub const DDB_STORAGE_GB_MONTH: f64 = 0.25;
pub const SQS_PER_M: f64 = 0.40;
pub const SES_PER_MAIL: f64 = 0.10 / 1000.0;
pub const SCHEDULER_PER_M: f64 = 1.00;
pub const CW_LOGS_PER_GB: f64 = 0.50;
/// Memory at which a Lambda function gets one full vCPU.
pub const MB_PER_VCPU: f64 = 1769.0;
/// Bytes of Lambda's own START/END/REPORT lines per invocation (JSON log format, approx.).
pub const PLATFORM_LOG_BYTES: f64 = 700.0;
pub const MINUTES_PER_MONTH: f64 = 30.0 * 24.0 * 60.0;

/// What one operation uses, per invocation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Through API Gateway (HTTP API)?
    pub http: bool,
    pub memory_mb: u32,
    /// Measured duration of one warm invocation, ms.
    pub duration_ms: f64,
    pub rcu: f64,
    pub wcu: f64,
    pub sqs_requests: f64,
    pub mails: f64,
    pub scheduler_requests: f64,
}

/// Dollars per million operations, by item.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub apigw: f64,
    pub lambda: f64,
    pub dynamodb: f64,
    pub other: f64,
}

impl Cost {
    pub fn total(&self) -> f64 {
        self.apigw + self.lambda + self.dynamodb + self.other
    }
}

/// Billed duration: rounded up to the next 1 ms.
pub fn billed_ms(duration_ms: f64) -> f64 {
    duration_ms.max(0.0).ceil().max(1.0)
}

/// Lambda dollars for one invocation of `duration_ms` at `memory_mb` (duration only).
pub fn lambda_duration_dollars(duration_ms: f64, memory_mb: u32) -> f64 {
    billed_ms(duration_ms) / 1000.0 * f64::from(memory_mb) / 1024.0 * LAMBDA_GB_S
}

/// Dollars per million operations.
pub fn per_million(u: &Usage) -> Cost {
    let m: f64 = 1e6;
    Cost {
        apigw: if u.http { APIGW_HTTP_PER_M } else { 0.0 },
        lambda: m.mul_add(
            lambda_duration_dollars(u.duration_ms, u.memory_mb),
            LAMBDA_REQ_PER_M,
        ),
        dynamodb: u.wcu.mul_add(DDB_WRU_PER_M, u.rcu * DDB_RRU_PER_M),
        other: u.sqs_requests.mul_add(
            SQS_PER_M,
            (m * u.mails).mul_add(SES_PER_MAIL, u.scheduler_requests * SCHEDULER_PER_M),
        ),
    }
}

/// The local wall time scaled for Lambda's CPU share at `memory_mb`: CPU work runs at
/// `memory_mb / 1769` of a core, waiting does not slow down.
pub fn throttled_ms(wall_ms: f64, cpu_ms: f64, memory_mb: u32) -> f64 {
    let share = (f64::from(memory_mb) / MB_PER_VCPU).min(1.0);
    cpu_ms.mul_add(1.0 / share - 1.0, wall_ms)
}

/// What template.yaml says about functions' sizing and schedules.
#[derive(Debug, Clone, Default)]
pub struct Sizing {
    /// MemorySize per binary (Globals applied).
    pub memory_mb: BTreeMap<String, u32>,
    /// Invocations per month of each scheduled binary.
    pub scheduled_per_month: BTreeMap<String, f64>,
}

/// Reads `MemorySize` (function's own, else Globals, else 128) and `Schedule` rates.
pub fn sizing(template: &Path) -> Result<Sizing> {
    let text = std::fs::read_to_string(template)
        .with_context(|| format!("reading {}", template.display()))?;
    let root: Value = yaml_serde::from_str(&text).context("parsing template.yaml")?;
    let global = root["Globals"]["Function"]["MemorySize"]
        .as_u64()
        .unwrap_or(128);
    let mut out = Sizing::default();
    let Some(resources) = root["Resources"].as_mapping() else {
        return Ok(out);
    };
    for (_, r) in resources {
        if r["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let props = &r["Properties"];
        // Keyed by the function's name, its `Handler` (the deploy binary, Metadata's
        // `Binary`, is shared by a domain's functions).
        let Some(binary) = props["Handler"].as_str() else {
            continue;
        };
        let mem = props["MemorySize"].as_u64().unwrap_or(global);
        out.memory_mb
            .insert(binary.to_owned(), u32::try_from(mem).unwrap_or(128));
        if let Some(events) = props["Events"].as_mapping() {
            for (_, e) in events {
                let kind = e["Type"].as_str().unwrap_or_default();
                if kind != "Schedule" && kind != "ScheduleV2" {
                    continue;
                }
                let expr = e["Properties"]["Schedule"]
                    .as_str()
                    .or_else(|| e["Properties"]["ScheduleExpression"].as_str())
                    .unwrap_or_default();
                if let Some(per_minute) = rate_per_minute(expr) {
                    *out.scheduled_per_month
                        .entry(binary.to_owned())
                        .or_default() += per_minute * MINUTES_PER_MONTH;
                }
            }
        }
    }
    Ok(out)
}

/// `rate(1 minute)` → 1.0, `rate(5 minutes)` → 0.2, `rate(1 hour)` → 1/60.
pub fn rate_per_minute(expr: &str) -> Option<f64> {
    let inner = expr.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: f64 = n.parse().ok()?;
    let minutes = match unit.trim().trim_end_matches('s') {
        "minute" => 1.0,
        "hour" => 60.0,
        "day" => 1440.0,
        _ => return None,
    };
    (n > 0.0).then(|| 1.0 / (n * minutes))
}

#[cfg(test)]
mod tests {
    use super::{billed_ms, per_million, rate_per_minute, throttled_ms, Usage, LAMBDA_GB_S};

    #[test]
    fn prices_add_up() {
        let u = Usage {
            http: true,
            memory_mb: 128,
            duration_ms: 4.2,
            rcu: 0.5,
            wcu: 1.0,
            ..Usage::default()
        };
        let c = per_million(&u);
        assert!((c.apigw - 1.0).abs() < 1e-9);
        // 5 ms at 0.125 GB: 0.000625 GB-s * 1e6 * price + 0.20
        assert!((c.lambda - 625.0_f64.mul_add(LAMBDA_GB_S, 0.20)).abs() < 1e-9);
        assert!((c.dynamodb - (0.625 + 0.0625)).abs() < 1e-9);
        assert_eq!(billed_ms(0.2), 1.0);
        assert_eq!(billed_ms(3.0), 3.0);
    }

    #[test]
    fn schedule_rates() {
        assert_eq!(rate_per_minute("rate(1 minute)"), Some(1.0));
        assert_eq!(rate_per_minute("rate(5 minutes)"), Some(0.2));
        assert_eq!(rate_per_minute("rate(2 hours)"), Some(1.0 / 120.0));
        assert_eq!(rate_per_minute("cron(0 * * * ? *)"), None);
    }

    #[test]
    fn throttling_scales_cpu_only() {
        let t = throttled_ms(10.0, 1.0, 1769);
        assert!((t - 10.0).abs() < 1e-9);
        let t = throttled_ms(10.0, 1.0, 128);
        assert!(t > 10.0 + 12.0 && t < 10.0 + 13.0);
    }
}
