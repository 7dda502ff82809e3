//! The app's state machine, pure: what a beat, a due time or an admin action does to the
//! record. The store reads the item, asks these functions and writes the result conditioned on
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

use super::*;

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
    if input.period_seconds.is_some() || input.grace_seconds.is_some() {
        rec.period_seconds = input.period_seconds.unwrap_or(rec.period_seconds);
        rec.grace_seconds = input.grace_seconds.unwrap_or(rec.grace_seconds);
        rec.window_ms = window_ms(rec.period_seconds, rec.grace_seconds);
    }
    input.apply_settings(rec)?;
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
