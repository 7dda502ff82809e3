//! Job signals (start, success, fail, exit code, snooze) and the runs they make, pure.
//!
//! A job reports `start` when it begins and `success` or `fail` when it ends; an optional
//! `run_id` pairs the end with its start when runs overlap (without one, an end pairs with the
//! latest open start). Each finished run is kept with its duration (the last [`MAX_RUNS`]).
//!
//! What the settings assert about runs:
//! - `max_runtime_seconds`: a run started but not finished in time makes the app `down` (the
//!   scanner finds it: the app is due when its oldest open run times out);
//! - `min_runtime_seconds`: a success faster than this counts as a failure;
//! - `min_interval_seconds`: a success sooner than this after the previous one counts as a
//!   failure ("runs too often");
//! - `fail_tolerance`: the app goes `down` when `failures` of the last `runs` runs failed
//!   (default 1 of 1: any failure).
//!
//! A success counts as a heartbeat: it moves the deadline and ends an outage. A failure within
//! the tolerance shows the job ran: it moves the deadline too. While an app is snoozed no
//! signal or silence makes it `down`; everything is still recorded.

use super::*;

/// Finished runs kept per app (newest last); also the largest tolerance window.
pub const MAX_RUNS: usize = 20;
/// Started, unfinished runs kept per app; a start beyond this drops the oldest.
pub const MAX_OPEN_RUNS: usize = 10;
/// Longest run id.
pub const MAX_RUN_ID_CHARS: usize = 64;
/// Furthest a snooze may reach.
pub const MAX_SNOOZE_DAYS: i64 = 30;

/// A client's run id: 1–64 letters, digits and `_ . : -` (a UUID fits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RunId(pub(crate) String);

impl RunId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_id_text(s, MAX_RUN_ID_CHARS) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "run_id must be 1-{MAX_RUN_ID_CHARS} letters, digits, '_', '.', ':' or '-'"
            ))
        }
    }

    pub(crate) fn generated() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl<'de> Deserialize<'de> for RunId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Which signal a route received (`POST /api/apps/{signal}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalKind {
    Start,
    Success,
    Fail,
    /// The job's exit code decides: 0 is a success, anything else a failure.
    Exit,
    /// Silence alerts until `until` (`null` or a past time ends the snooze).
    Snooze,
}

impl SignalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Success => "success",
            Self::Fail => "fail",
            Self::Exit => "exit",
            Self::Snooze => "snooze",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "start" => Ok(Self::Start),
            "success" => Ok(Self::Success),
            "fail" => Ok(Self::Fail),
            "exit" => Ok(Self::Exit),
            "snooze" => Ok(Self::Snooze),
            _ => Err(format!(
                "signal {s:?} must be one of start, success, fail, exit, snooze"
            )),
        }
    }
}

/// `POST /api/apps/{signal}` body. Unknown fields are ignored, as for heartbeats.
#[derive(Debug, Clone, Deserialize)]
pub struct SignalIn {
    pub app_id: AppId,
    #[serde(default)]
    pub run_id: Option<RunId>,
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub exit_code: Option<i32>,
    #[serde(default, deserialize_with = "lenient_message")]
    pub message: Option<BeatMessage>,
    /// Snooze only: until when (any accepted timestamp form; `null` ends it).
    #[serde(default)]
    pub until: Option<Timestamp>,
}

impl SignalIn {
    /// Rules that depend on the signal: `exit` needs `exit_code`, a snooze reaches at most
    /// [`MAX_SNOOZE_DAYS`] ahead.
    pub fn validate(&self, kind: SignalKind, now: Timestamp) -> Result<(), HeartbeatError> {
        match kind {
            SignalKind::Exit if self.exit_code.is_none() => Err(HeartbeatError::Invalid(
                "exit needs exit_code (0 for success)".into(),
            )),
            SignalKind::Snooze
                if self
                    .until
                    .is_some_and(|u| millis(u) > millis(now) + MAX_SNOOZE_DAYS * 86_400_000) =>
            {
                Err(HeartbeatError::Invalid(format!(
                    "until must be at most {MAX_SNOOZE_DAYS} days ahead"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunOutcome {
    Success,
    Fail,
    /// Started, not finished within `max_runtime_seconds`.
    Timeout,
}

/// A run that started and has not ended. (Runs keep the API's snake_case names in the item
/// too: they are stored and listed as they are.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenRun {
    pub run_id: String,
    pub started_at: Timestamp,
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    pub finished_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    pub outcome: RunOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why a run that reported success counts as failed, or why it timed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `fail_tolerance`: down when `failures` of the last `runs` runs failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    #[serde(deserialize_with = "lookout_core::whole::required")]
    pub failures: u32,
    #[serde(deserialize_with = "lookout_core::whole::required")]
    pub runs: u32,
}

impl Tolerance {
    pub fn validate(&self) -> Result<(), String> {
        let max = u32::try_from(MAX_RUNS).unwrap_or(u32::MAX);
        if self.failures == 0 || self.failures > self.runs || self.runs > max {
            return Err(format!(
                "fail_tolerance needs 1 <= failures <= runs <= {MAX_RUNS}"
            ));
        }
        Ok(())
    }

    /// Whether the newest `runs` of `history` hold `failures` failures.
    pub(crate) fn exceeded(&self, history: &[Run]) -> bool {
        let window = usize::try_from(self.runs).unwrap_or(MAX_RUNS);
        let failed = history
            .iter()
            .rev()
            .take(window)
            .filter(|r| r.outcome != RunOutcome::Success)
            .count();
        failed >= usize::try_from(self.failures).unwrap_or(usize::MAX)
    }
}

/// What a signal makes of the app: the record to write, the version it must still have
/// (`None`: create it), the run it finished, and whether a transition mail is in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SignalStep {
    pub(crate) rec: AppRecord,
    pub(crate) expected: Option<u64>,
    pub(crate) run_id: Option<String>,
    pub(crate) run: Option<Run>,
    pub(crate) mailed: bool,
}

/// A `kind` signal of `tenant`'s app at `now`, given the stored record (`None`: unknown app,
/// registered with the defaults as a heartbeat would).
pub(crate) fn on_signal(
    old: Option<&AppRecord>,
    tenant: &Tenant,
    kind: SignalKind,
    input: &SignalIn,
    now: Timestamp,
) -> SignalStep {
    let (mut rec, expected) = match old {
        Some(old) => {
            let mut rec = old.clone();
            rec.version += 1;
            (rec, Some(old.version))
        }
        None => (
            AppRecord::new(
                tenant,
                &input.app_id,
                now,
                DEFAULT_PERIOD_SECONDS,
                DEFAULT_GRACE_SECONDS,
            ),
            None,
        ),
    };
    if rec.snoozed_until.is_some_and(|u| u <= now) {
        rec.snoozed_until = None;
    }
    let mut step_run_id = None;
    let mut run = None;
    let mut mailed = false;
    match kind {
        SignalKind::Snooze => {
            rec.snoozed_until = input.until.filter(|u| *u > now);
        }
        SignalKind::Start => {
            let id = input.run_id.clone().unwrap_or_else(RunId::generated).0;
            rec.open_runs.retain(|r| r.run_id != id);
            rec.open_runs.push(OpenRun {
                run_id: id.clone(),
                started_at: now,
            });
            if rec.open_runs.len() > MAX_OPEN_RUNS {
                rec.open_runs.remove(0);
            }
            rec.last_message = input.message.as_ref().map(|m| m.0.clone());
            step_run_id = Some(id);
        }
        SignalKind::Success | SignalKind::Fail | SignalKind::Exit => {
            let finished = finish_run(&mut rec, kind, input, now);
            step_run_id.clone_from(&finished.run_id);
            mailed = after_run(&mut rec, &finished, input, now);
            run = Some(finished);
        }
    }
    rec.refresh_due();
    SignalStep {
        rec,
        expected,
        run_id: step_run_id,
        run,
        mailed,
    }
}

/// Pairs the end with its start (by run id, else the latest open run) and judges it against
/// the runtime and interval assertions.
fn finish_run(rec: &mut AppRecord, kind: SignalKind, input: &SignalIn, now: Timestamp) -> Run {
    let open = match &input.run_id {
        Some(id) => rec.open_runs.iter().position(|r| r.run_id == id.0),
        None => rec.open_runs.len().checked_sub(1),
    }
    .map(|i| rec.open_runs.remove(i));
    let started_at = open.as_ref().map(|o| o.started_at);
    let duration_ms = started_at.map(|s| millis(now) - millis(s));
    let reported_success = match kind {
        SignalKind::Exit => input.exit_code == Some(0),
        _ => kind == SignalKind::Success,
    };
    let mut reason = None;
    if reported_success {
        if let (Some(min), Some(d)) = (rec.min_runtime_seconds, duration_ms) {
            if d < i64::from(min) * 1000 {
                reason = Some(format!(
                    "finished in {:.1} s, faster than the minimum runtime of {min} s",
                    d as f64 / 1000.0
                ));
            }
        }
        if let (None, Some(min)) = (&reason, rec.min_interval_seconds) {
            let previous = rec
                .runs
                .iter()
                .rev()
                .find(|r| r.outcome == RunOutcome::Success)
                .map(|r| r.finished_at);
            if let Some(prev) = previous {
                let gap = millis(now) - millis(prev);
                if gap < i64::from(min) * 1000 {
                    reason = Some(format!(
                        "ran {:.1} s after the previous run; expected at least {min} s between runs",
                        gap as f64 / 1000.0
                    ));
                }
            }
        }
    }
    let outcome = if reported_success && reason.is_none() {
        RunOutcome::Success
    } else {
        RunOutcome::Fail
    };
    Run {
        run_id: open
            .map(|o| o.run_id)
            .or_else(|| input.run_id.as_ref().map(|r| r.0.clone())),
        started_at,
        finished_at: now,
        duration_ms,
        outcome,
        exit_code: input.exit_code,
        reason,
    }
}

/// Keeps `run` and applies it to the state; true when it put a transition mail in the outbox.
fn after_run(rec: &mut AppRecord, run: &Run, input: &SignalIn, now: Timestamp) -> bool {
    rec.push_run(run.clone());
    let failed = run.outcome != RunOutcome::Success;
    let down = failed && rec.tolerance().exceeded(&rec.runs);
    let beat = HeartbeatIn {
        app_id: rec.app_id(),
        message: input.message.clone(),
    };
    match rec.state {
        AppState::Down if !failed => {
            let down_since = rec.down_since;
            rec.end_outage(now);
            rec.state = AppState::Up;
            rec.state_changed_at = now;
            rec.down_since = None;
            rec.down_reason = None;
            rec.record_beat(&beat, now);
            let (subject, body) = rec.up_mail(down_since, now);
            rec.announce(MailKind::Up, subject, body, now)
        }
        AppState::Up if down && rec.snoozed_until.is_none() => {
            rec.record_beat(&beat, now);
            let reason = match &run.reason {
                Some(r) => format!("run failed: {r}"),
                None => match run.exit_code {
                    Some(code) => format!("run failed with exit code {code}"),
                    None => "run failed".to_owned(),
                },
            };
            rec.go_down(now, now, reason)
        }
        AppState::Up => {
            rec.record_beat(&beat, now);
            false
        }
        _ => {
            rec.last_message = beat.message.map(|m| m.0);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcome: RunOutcome) -> Run {
        Run {
            run_id: None,
            started_at: None,
            finished_at: Timestamp::now(),
            duration_ms: None,
            outcome,
            exit_code: None,
            reason: None,
        }
    }

    #[test]
    fn tolerance_counts_failures_in_the_newest_runs() {
        use RunOutcome::{Fail, Success, Timeout};
        let t = Tolerance {
            failures: 2,
            runs: 3,
        };
        let history = |o: &[RunOutcome]| o.iter().map(|&x| run(x)).collect::<Vec<_>>();
        assert!(!t.exceeded(&history(&[Fail, Success, Success, Fail])));
        assert!(t.exceeded(&history(&[Success, Fail, Timeout])));
        assert!(!t.exceeded(&history(&[Fail, Fail, Success, Success, Success])));
        assert!(Tolerance {
            failures: 0,
            runs: 1
        }
        .validate()
        .is_err());
        assert!(Tolerance {
            failures: 2,
            runs: 21
        }
        .validate()
        .is_err());
    }

    #[test]
    fn ends_pair_with_their_starts() {
        let tenant = Tenant::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        let t0 = Timestamp::parse_str("2030-01-01T00:00:00Z").unwrap_or_else(|e| panic!("{e}"));
        let at = |s: i64| from_millis(millis(t0) + s * 1000);
        let input = |run: Option<&str>| SignalIn {
            app_id: AppId("1".into()),
            run_id: run.map(|r| RunId(r.into())),
            exit_code: None,
            message: None,
            until: None,
        };
        let mut rec = None;
        let mut signal = |kind, run, secs| {
            let step = on_signal(rec.as_ref(), &tenant, kind, &input(run), at(secs));
            rec = Some(step.rec);
            step.run
        };
        signal(SignalKind::Start, Some("a"), 0);
        signal(SignalKind::Start, Some("b"), 5);
        signal(SignalKind::Start, None, 7);
        let b = signal(SignalKind::Success, Some("b"), 9).unwrap_or_else(|| panic!("b"));
        assert_eq!(
            (b.run_id.as_deref(), b.duration_ms),
            (Some("b"), Some(4_000))
        );
        // Without a run id: the latest open start (the generated one at 7 s).
        let latest = signal(SignalKind::Fail, None, 10).unwrap_or_else(|| panic!("latest"));
        assert_eq!(latest.duration_ms, Some(3_000));
        let a = signal(SignalKind::Success, Some("a"), 12).unwrap_or_else(|| panic!("a"));
        assert_eq!(a.duration_ms, Some(12_000));
        // An end whose start is unknown is kept without a duration.
        let lone = signal(SignalKind::Success, Some("zz"), 13).unwrap_or_else(|| panic!("zz"));
        assert_eq!(
            (lone.run_id.as_deref(), lone.duration_ms),
            (Some("zz"), None)
        );
    }
}
