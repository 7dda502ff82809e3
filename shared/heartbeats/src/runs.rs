//! The runs a job's signals make (start, success, fail, exit code, snooze: see
//! [`on_signal`](crate::state::on_signal)), as they are stored and listed.
//!
//! A job reports `start` when it begins and `success` or `fail` when it ends; an optional
//! `run_id` pairs the end with its start when runs overlap (without one, an end pairs with the
//! latest open start). Each finished run is kept with its duration (the last `MAX_RUNS`).
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

use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::limits::MAX_RUNS;

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
}
