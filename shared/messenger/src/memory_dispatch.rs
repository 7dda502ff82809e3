//! The in-memory queue and scheduler ([`JobQueue`], [`JobScheduler`]): every call recorded,
//! for unit tests to read back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::dispatch::{JobQueue, JobScheduler};
use crate::error::BroadcastError;
use crate::ids::Job;

/// What a [`MemoryDispatch`] was asked to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Dispatched {
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
pub(crate) struct MemoryDispatch {
    log: Arc<Mutex<Vec<Dispatched>>>,
}

impl MemoryDispatch {
    pub fn log(&self) -> Vec<Dispatched> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn push(&self, d: Dispatched) -> Result<(), BroadcastError> {
        self.log
            .lock()
            .map_err(|_| BroadcastError::fault("the in-memory dispatch is poisoned"))?
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
