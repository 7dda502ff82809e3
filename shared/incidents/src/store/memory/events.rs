//! [`EventCounts`] in memory.

use lookout_core::BoxFuture;

use crate::error::IncidentError;
use crate::store::events::{EventCount, EventCounts};
use crate::store::memory::state::{lock, Shared};

/// The daily event counts in memory. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryEventCounts {
    state: Shared,
}

impl MemoryEventCounts {
    pub(crate) fn over(state: Shared) -> Self {
        Self { state }
    }
}

impl EventCounts for MemoryEventCounts {
    fn take<'a>(
        &'a self,
        app: &'a str,
        day: &'a str,
        limit: u32,
    ) -> BoxFuture<'a, Result<bool, IncidentError>> {
        Box::pin(async move {
            let mut state = lock(&self.state);
            let count = state
                .events
                .entry((app.to_owned(), day.to_owned()))
                .or_default();
            if count.accepted < u64::from(limit) {
                count.accepted += 1;
                Ok(true)
            } else {
                count.refused += 1;
                Ok(false)
            }
        })
    }

    fn count<'a>(
        &'a self,
        app: &'a str,
        day: &'a str,
    ) -> BoxFuture<'a, Result<EventCount, IncidentError>> {
        Box::pin(async move {
            Ok(lock(&self.state)
                .events
                .get(&(app.to_owned(), day.to_owned()))
                .copied()
                .unwrap_or_default())
        })
    }
}
