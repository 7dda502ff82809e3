//! A delivery attempt's outcome, decided purely: sent, another try after a backoff, or failed
//! for good. The delivery use case (`deliver`) claims the delivery, sends through the
//! messenger port, asks [`RetryPolicy::step_on_receive`] and records what it says.

use std::time::Duration;

use rand::Rng;

use lookout_core::config::{self, names as env, ConfigError};

use crate::outbound::error::{Delivered, MessengerError};

/// How often and how fast a delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a transiently failing delivery is recorded as failed.
    pub max_attempts: u32,
    /// Delay after the first failed attempt; doubled after each further one.
    pub base: Duration,
    /// Longest delay.
    pub cap: Duration,
    /// How long a claimed attempt may take before another consumer treats it as interrupted.
    /// Longer than the function's timeout.
    pub lease: Duration,
    /// The queue's `maxReceiveCount`: on a job's last receive, a transient failure is recorded
    /// as failed instead of retried, so no delivery stays pending behind a dead-lettered job.
    pub max_receives: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base: Duration::from_secs(30),
            cap: Duration::from_secs(15 * 60),
            lease: Duration::from_secs(120),
            max_receives: 25,
        }
    }
}

/// What to record after attempt number `attempt` (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Accepted: `sent`.
    Sent { provider_id: Option<String> },
    /// Transient failure with attempts left: back to `pending`, tried again after `after`.
    Retry { after: Duration, error: String },
    /// Rejected, or the last attempt failed: `failed`, with the reason listed.
    Failed { reason: String },
}

impl RetryPolicy {
    /// `MESSENGER_MAX_ATTEMPTS` (1..=20, default 5), `MESSENGER_RETRY_BASE_SECONDS`
    /// (0..=900, default 30).
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut p = Self::default();
        p.max_attempts = config::int_in(env::MESSENGER_MAX_ATTEMPTS, 1..=20, p.max_attempts)?;
        p.base = Duration::from_secs(config::int_in(
            env::MESSENGER_RETRY_BASE_SECONDS,
            0..=900,
            p.base.as_secs(),
        )?);
        p.max_receives = config::int_in(env::MESSENGER_MAX_RECEIVES, 2..=1000, p.max_receives)?;
        Ok(p)
    }

    /// The step after attempt `attempt`, made on the job's `receives`-th receive: a retry on
    /// its last receive (the queue would dead-letter the job) is recorded as failed instead.
    pub(crate) fn step_on_receive(
        &self,
        attempt: u32,
        receives: u32,
        result: Result<Delivered, MessengerError>,
    ) -> Step {
        match self.step(attempt, result) {
            Step::Retry { error, .. } if receives >= self.max_receives => Step::Failed {
                reason: format!(
                    "{error} (gave up: its job was received {receives} times, the queue's limit)"
                ),
            },
            step => step,
        }
    }

    /// Backoff after failed attempt number `attempt` (1-based): `base × 2^(attempt-1)`, capped,
    /// with jitter in its upper half so retries of one outage spread out.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(1_u32 << attempt.saturating_sub(1).min(16))
            .min(self.cap);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(0);
        half + Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
    }

    /// The step after attempt `attempt` ended with `result`.
    pub(crate) fn step(&self, attempt: u32, result: Result<Delivered, MessengerError>) -> Step {
        match result {
            Ok(d) => Step::Sent {
                provider_id: d.provider_id,
            },
            Err(err) if err.is_transient() && attempt < self.max_attempts => Step::Retry {
                after: self.delay(attempt),
                error: err.to_string(),
            },
            Err(err) if err.is_transient() => Step::Failed {
                reason: format!("{err} (gave up after {attempt} attempts)"),
            },
            Err(err) => Step::Failed {
                reason: err.to_string(),
            },
        }
    }
}
