//! A monitored job's check-in (what a Sentry SDK's cron monitor sends): the job's settings when
//! it sends them (upserted as the admin's change would) and the signal it is (start, success
//! or failure of the run it names), in one write, on the one state machine every signal goes
//! through.

use lookout_core::auth::Tenant;

use crate::error::HeartbeatError;
use crate::input::{AdminAppIn, AppId, RunId, SignalIn, SignalKind};
use crate::limits::{MAX_GRACE_SECONDS, MAX_PERIOD_SECONDS, MAX_RUNS, MIN_PERIOD_SECONDS};
use crate::output::SignalReply;
use crate::ports::ApiPorts;
use crate::runs::Tolerance;
use crate::signal::{signal_with, SignalCommand};

/// When a monitored job is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// A five-field crontab in an IANA zone (UTC when none).
    Cron { expr: String, tz: Option<String> },
    /// Every so many seconds.
    Every { seconds: u64 },
}

/// A monitored job's settings, as its check-in carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorSettings {
    pub expected: Expected,
    /// How late a check-in may be before the job counts as missed.
    pub grace_seconds: Option<u64>,
    /// How long a started run may take.
    pub max_runtime_seconds: Option<u64>,
    /// Failures in a row that take the job down (1 when not given).
    pub failures_in_a_row: Option<u64>,
}

/// One check-in of `tenant`'s job `job`.
#[derive(Debug, Clone)]
pub struct CheckInCommand {
    pub tenant: Tenant,
    pub job: AppId,
    /// [`SignalKind::Start`], [`SignalKind::Success`] or [`SignalKind::Fail`].
    pub kind: SignalKind,
    /// Pairs a run's end with its start.
    pub run_id: Option<String>,
    pub settings: Option<MonitorSettings>,
}

/// Applies the settings the check-in carries (registering the job with them when it is new,
/// within the tenant's app quota) and records its signal, in one write. Settings out of Lookout's bounds are fitted to them (a check-in is
/// never refused for them): a period of 10 s to 7 days, a grace up to a day, a tolerance of at
/// most `MAX_RUNS` failures in a row.
pub async fn check_in(
    ports: &ApiPorts<'_>,
    cmd: CheckInCommand,
) -> Result<SignalReply, HeartbeatError> {
    if !matches!(
        cmd.kind,
        SignalKind::Start | SignalKind::Success | SignalKind::Fail
    ) {
        return Err(HeartbeatError::Invalid(format!(
            "a check-in is a start, a success or a failure, not {}",
            cmd.kind.as_str()
        )));
    }
    let run_id = cmd
        .run_id
        .as_deref()
        .map(RunId::parse)
        .transpose()
        .map_err(HeartbeatError::Invalid)?;
    let change = cmd
        .settings
        .as_ref()
        .map(|settings| settings_change(&cmd.tenant, &cmd.job, settings));
    let input = SignalIn {
        app_id: cmd.job,
        run_id,
        exit_code: None,
        message: None,
        until: None,
    };
    signal_with(
        ports,
        SignalCommand {
            tenant: cmd.tenant,
            kind: cmd.kind,
            input,
        },
        change.as_ref(),
    )
    .await
}

/// The admin change that gives `job` these settings.
pub(crate) fn settings_change(
    tenant: &Tenant,
    job: &AppId,
    settings: &MonitorSettings,
) -> AdminAppIn {
    let seconds = |v: u64, max: u32| u32::try_from(v).unwrap_or(u32::MAX).min(max);
    let (period_seconds, schedule, tz) = match &settings.expected {
        Expected::Cron { expr, tz } => (None, Some(expr.clone()), tz.clone()),
        Expected::Every { seconds: s } => (
            Some(seconds(*s, MAX_PERIOD_SECONDS).max(MIN_PERIOD_SECONDS)),
            // Back to the period, from a crontab given before.
            Some(String::new()),
            None,
        ),
    };
    let max_runs = u32::try_from(MAX_RUNS).unwrap_or(u32::MAX);
    AdminAppIn {
        tenant: tenant.clone(),
        app_id: job.clone(),
        action: None,
        period_seconds,
        grace_seconds: settings
            .grace_seconds
            .map(|g| seconds(g, MAX_GRACE_SECONDS)),
        schedule,
        tz,
        max_runtime_seconds: settings
            .max_runtime_seconds
            .map(|m| seconds(m, MAX_PERIOD_SECONDS)),
        min_runtime_seconds: None,
        min_interval_seconds: None,
        fail_tolerance: settings.failures_in_a_row.map(|n| {
            let n = u32::try_from(n).unwrap_or(max_runs).clamp(1, max_runs);
            Tolerance {
                failures: n,
                runs: n,
            }
        }),
    }
}
