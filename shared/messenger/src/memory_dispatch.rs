//! The in-memory queue and scheduler ([`JobQueue`], [`JobScheduler`]): every call recorded,
//! for unit tests to read back; a call can be made to fail ([`MemoryDispatch::fail_next`]).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::dispatch::{JobQueue, JobScheduler};
use crate::error::BroadcastError;
use crate::ids::Job;

/// What a [`MemoryDispatch`] was asked to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Dispatched {
    Enqueued(Job),
    /// Enqueued with a message timer.
    Delayed {
        job: Job,
        after: Duration,
    },
    Scheduled {
        name: String,
        job: Job,
        at: Timestamp,
    },
    RetryAfter {
        receipt_handle: String,
        after: Duration,
    },
}

/// The in-memory queue and scheduler: records every call; clones share the record.
#[derive(Debug, Clone, Default)]
pub struct MemoryDispatch {
    log: Arc<Mutex<Vec<Dispatched>>>,
    /// Calls still to fail (each fails instead of being recorded).
    failures: Arc<Mutex<u32>>,
}

impl MemoryDispatch {
    /// Every call that succeeded, in order.
    pub fn log(&self) -> Vec<Dispatched> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The next call fails (a queue or scheduler out of reach), recording nothing; each call
    /// to this fails one more.
    pub fn fail_next(&self) {
        *self.failures.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    }

    fn push(&self, d: Dispatched) -> Result<(), BroadcastError> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if *failures > 0 {
            *failures -= 1;
            return Err(BroadcastError::fault("the in-memory queue is unavailable"));
        }
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(d);
        Ok(())
    }
}

impl JobQueue for MemoryDispatch {
    fn enqueue<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(async move { self.push(Dispatched::Enqueued(job.clone())) })
    }
    fn enqueue_in<'a>(
        &'a self,
        job: &'a Job,
        delay: Duration,
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(async move {
            self.push(Dispatched::Delayed {
                job: job.clone(),
                after: delay,
            })
        })
    }
    fn enqueue_all<'a>(&'a self, jobs: &'a [Job]) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(async move {
            jobs.iter()
                .try_for_each(|j| self.push(Dispatched::Enqueued(j.clone())))
        })
    }
    fn retry_after<'a>(
        &'a self,
        receipt_handle: &'a str,
        after: Duration,
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(async move {
            self.push(Dispatched::RetryAfter {
                receipt_handle: receipt_handle.to_owned(),
                after,
            })
        })
    }
}

impl JobScheduler for MemoryDispatch {
    fn schedule<'a>(
        &'a self,
        name: &'a str,
        job: &'a Job,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(async move {
            self.push(Dispatched::Scheduled {
                name: name.to_owned(),
                job: job.clone(),
                at,
            })
        })
    }
}
