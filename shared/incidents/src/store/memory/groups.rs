//! [`Groups`] in memory (a group is pointed at a new incident by
//! [`MemoryIncidents::create`](crate::store::memory::incidents::MemoryIncidents)).

use lookout_core::BoxFuture;

use crate::error::IncidentError;
use crate::records::Group;
use crate::store::groups::Groups;
use crate::store::memory::state::{lock, Shared};

/// The incident groups in memory. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryGroups {
    state: Shared,
}

impl MemoryGroups {
    pub(crate) fn over(state: Shared) -> Self {
        Self { state }
    }
}

impl Groups for MemoryGroups {
    fn get<'a>(&'a self, gpk: &'a str) -> BoxFuture<'a, Result<Option<Group>, IncidentError>> {
        Box::pin(async move { Ok(lock(&self.state).groups.get(gpk).cloned()) })
    }

    fn mark_applied<'a>(
        &'a self,
        gpk: &'a str,
        seq: u64,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(async move {
            let mut state = lock(&self.state);
            let group = state.groups.entry(gpk.to_owned()).or_default();
            if group.applied_seq.is_none_or(|applied| applied < seq) {
                group.applied_seq = Some(seq);
            }
            Ok(())
        })
    }
}
