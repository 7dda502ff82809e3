//! The app's state machine, pure: what a beat, a job's signal, a due time or an admin action
//! does to the record. The store reads the item, asks these functions and writes the result conditioned on
//! the version it read; the unit tests drive them with a manual clock and the in-memory mailer.
//!
//! ```text
//!          beat (deadline moves)          silent past period + grace
//!   ┌──────────── up ──────────────────────────────────────┐
//!   │              ▲ beat (recovery mail)                   ▼
//!   │              └──────────────────────────────────── down (down mail)
//!   └── pause / retire (admin) → paused / retired → resume → up
//! ```
//! An app is *late* between its period and period + grace: still `up`, not yet due.

use lookout_core::{auth::Tenant, time::Timestamp};

use crate::error::HeartbeatError;
use crate::input::{AdminAction, AdminAppIn, AppState, HeartbeatIn, RunId, SignalIn, SignalKind};
use crate::limits::{
    DEFAULT_GRACE_SECONDS, DEFAULT_PERIOD_SECONDS, MAIL_LEASE_MS, MAX_MAIL_ATTEMPTS, MAX_OPEN_RUNS,
    RETIRED_RETENTION_DAYS,
};
use crate::record::{new_ping_id, window_ms, AppRecord, MailKind, SILENT};
use crate::runs::{OpenRun, Run, RunOutcome};
use crate::time::{from_millis, millis};
use lookout_core::cron::CronSpec;

/// What a beat makes of the app: the record to write, the version it must still have
/// (`None`: create it), and whether the beat ended an outage.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BeatStep {
    pub(crate) rec: AppRecord,
    pub(crate) expected: Option<u64>,
    pub(crate) recovered: bool,
}

/// A beat of `tenant`'s app at `now`, given the stored record (`None`: first beat).
pub(crate) fn on_beat(
    old: Option<&AppRecord>,
    tenant: &Tenant,
    beat: &HeartbeatIn,
    now: Timestamp,
) -> BeatStep {
    let Some(old) = old else {
        let mut rec = AppRecord::new(
            tenant,
            &beat.app_id,
            now,
            DEFAULT_PERIOD_SECONDS,
            DEFAULT_GRACE_SECONDS,
        );
        rec.record_beat(beat, now);
        rec.refresh_due();
        return BeatStep {
            rec,
            expected: None,
            recovered: false,
        };
    };
    let mut rec = old.clone();
    rec.version += 1;
    let mut recovered = false;
    if rec.snoozed_until.is_some_and(|u| u <= now) {
        rec.snoozed_until = None;
    }
    if old.state == AppState::Down {
        rec.end_outage(now);
        rec.state = AppState::Up;
        rec.state_changed_at = now;
        rec.down_since = None;
        rec.down_reason = None;
        rec.record_beat(beat, now);
        let (subject, body) = rec.up_mail(old.down_since, now);
        recovered = rec.announce(MailKind::Up, subject, body, now);
    } else {
        rec.record_beat(beat, now);
    }
    rec.refresh_due();
    BeatStep {
        rec,
        expected: Some(old.version),
        recovered,
    }
}

/// What the scanner does with an app found due.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DueStep {
    /// Not due any more (a beat arrived, or the index lagged behind the item).
    Nothing,
    /// Silent past its deadline, or a run past its maximum runtime: `down`, with the down
    /// mail in the outbox.
    WentDown(Box<AppRecord>),
    /// An unsent mail whose lease ended: sent again under a new lease.
    RetryMail(Box<AppRecord>),
    /// An unsent mail tried [`MAX_MAIL_ATTEMPTS`] times: given up.
    DropMail(Box<AppRecord>),
    /// A snooze ended before the deadline: written without it, due at the deadline.
    Rearm(Box<AppRecord>),
    /// A cooldown ended: the held transitions summed up in one mail, if the state is news.
    Settle(Box<AppRecord>),
}

/// The scanner's decision for `old` at `now`; the record returned has the next version.
pub(crate) fn on_due(old: &AppRecord, now: Timestamp) -> DueStep {
    let now_ms = millis(now);
    let mut rec = old.clone();
    rec.version += 1;
    let snoozed = old.snoozed_until.is_some_and(|u| millis(u) > now_ms);
    let timed_out = old
        .run_timeout()
        .filter(|(t, _)| *t < now_ms)
        .map(|(_, run)| run.clone());
    let step = if old.state == AppState::Up && !snoozed && timed_out.is_some() {
        if let Some(open) = timed_out {
            rec.open_runs.retain(|r| r.run_id != open.run_id);
            let max = old.max_runtime_seconds.unwrap_or(0);
            let reason = format!(
                "run {} started at {} did not finish within {max} s",
                open.run_id, open.started_at
            );
            rec.push_run(Run {
                run_id: Some(open.run_id),
                started_at: Some(open.started_at),
                finished_at: now,
                duration_ms: None,
                outcome: RunOutcome::Timeout,
                exit_code: None,
                reason: Some(reason.clone()),
            });
            rec.go_down(now, now, reason);
        }
        DueStep::WentDown
    } else if old.state == AppState::Up && !snoozed && old.deadline < now_ms {
        let deadline = from_millis(old.deadline);
        rec.go_down(now, deadline, format!("{SILENT}: overdue since {deadline}"));
        DueStep::WentDown
    } else if old.outbox.is_some() && old.lease_until.is_some_and(|l| l <= now_ms) {
        let attempts = old.outbox.as_ref().map_or(0, |o| o.attempts);
        if attempts >= MAX_MAIL_ATTEMPTS {
            rec.outbox = None;
            rec.lease_until = None;
            DueStep::DropMail
        } else {
            if let Some(o) = rec.outbox.as_mut() {
                o.attempts += 1;
            }
            rec.lease_until = Some(now_ms + MAIL_LEASE_MS);
            DueStep::RetryMail
        }
    } else if old.hold_until.is_some_and(|h| h <= now_ms) {
        // A flapping app's cooldown ended: announce where it is now, if news.
        rec.settle(now);
        DueStep::Settle
    } else if old.snoozed_until.is_some_and(|u| millis(u) <= now_ms) {
        // A snooze ended before the deadline: due again at the deadline.
        rec.snoozed_until = None;
        DueStep::Rearm
    } else {
        return DueStep::Nothing;
    };
    rec.refresh_due();
    step(Box::new(rec))
}

/// The record once `mail` was sent: its outbox cleared (`None` when a newer transition
/// replaced it, or it is cleared already: nothing to write).
pub(crate) fn mail_sent(current: &AppRecord, mail_seq: u64) -> Option<AppRecord> {
    if current.outbox.as_ref().map(|o| o.seq) != Some(mail_seq) {
        return None;
    }
    let mut rec = current.clone();
    rec.version += 1;
    rec.outbox = None;
    rec.lease_until = None;
    rec.refresh_due();
    Some(rec)
}

/// An admin action or settings change on `rec` at `now` (the version is the caller's).
pub(crate) fn apply_admin(
    rec: &mut AppRecord,
    input: &AdminAppIn,
    now: Timestamp,
) -> Result<(), HeartbeatError> {
    if rec.ping_id.is_none() {
        // An app from before ping URLs gets its check UUID now.
        rec.ping_id = Some(new_ping_id());
    }
    if input.period_seconds.is_some() || input.grace_seconds.is_some() {
        rec.period_seconds = input.period_seconds.unwrap_or(rec.period_seconds);
        rec.grace_seconds = input.grace_seconds.unwrap_or(rec.grace_seconds);
        rec.window_ms = window_ms(rec.period_seconds, rec.grace_seconds);
    }
    apply_settings(rec, input)?;
    if rec.state == AppState::Up {
        rec.deadline = rec.next_deadline(from_millis(rec.watch_start()));
    }
    // An admin's change starts the app's announcements afresh.
    let changed = |rec: &mut AppRecord, state: AppState| {
        rec.end_outage(now);
        rec.state = state;
        rec.state_changed_at = now;
        rec.down_since = None;
        rec.down_reason = None;
        rec.announced = None;
        rec.last_alert_at = None;
        rec.held = 0;
        rec.hold_until = None;
    };
    match (input.action, rec.state) {
        (None, _)
        | (Some(AdminAction::Pause), AppState::Paused)
        | (Some(AdminAction::Resume), AppState::Up | AppState::Down)
        | (Some(AdminAction::Retire), AppState::Retired) => {}
        (Some(AdminAction::Pause), AppState::Retired) => {
            return Err(HeartbeatError::StateConflict(
                "app is retired; resume it before pausing".into(),
            ))
        }
        (Some(AdminAction::Pause), AppState::Up | AppState::Down) => {
            changed(rec, AppState::Paused);
        }
        (Some(AdminAction::Resume), AppState::Paused | AppState::Retired) => {
            changed(rec, AppState::Up);
            rec.expires_at = None;
            rec.deadline = rec.next_deadline(now);
        }
        (Some(AdminAction::Retire), AppState::Up | AppState::Down | AppState::Paused) => {
            changed(rec, AppState::Retired);
            rec.expires_at = Some(now.unix_seconds() + RETIRED_RETENTION_DAYS * 86_400);
        }
    }
    Ok(())
}

/// Applies an admin's schedule and run settings to `rec` (validated first).
pub(crate) fn apply_settings(
    rec: &mut AppRecord,
    input: &AdminAppIn,
) -> Result<(), HeartbeatError> {
    input.validate()?;
    if let Some(expr) = &input.schedule {
        rec.cron = match expr.as_str() {
            "" => None,
            e => Some(CronSpec::parse(e, input.tz.as_deref()).map_err(HeartbeatError::Invalid)?),
        };
    }
    let set = |slot: &mut Option<u32>, value: Option<u32>| {
        if let Some(v) = value {
            *slot = (v > 0).then_some(v);
        }
    };
    set(&mut rec.max_runtime_seconds, input.max_runtime_seconds);
    set(&mut rec.min_runtime_seconds, input.min_runtime_seconds);
    set(&mut rec.min_interval_seconds, input.min_interval_seconds);
    if let Some(t) = input.fail_tolerance {
        rec.fail_tolerance = Some(t);
    }
    Ok(())
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
    match old {
        Some(old) => {
            let mut rec = old.clone();
            rec.version += 1;
            signal_step(rec, Some(old.version), kind, input, now)
        }
        None => {
            let rec = AppRecord::new(
                tenant,
                &input.app_id,
                now,
                DEFAULT_PERIOD_SECONDS,
                DEFAULT_GRACE_SECONDS,
            );
            signal_step(rec, None, kind, input, now)
        }
    }
}

/// A `kind` signal applied to `rec` (the next version of the stored item, or a new one when
/// `expected` is `None`).
pub(crate) fn signal_step(
    mut rec: AppRecord,
    expected: Option<u64>,
    kind: SignalKind,
    input: &SignalIn,
    now: Timestamp,
) -> SignalStep {
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
    use crate::input::AppId;

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
