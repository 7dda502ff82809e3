//! [`IncidentTable`] in memory: one adapter per port over one shared state.

use crate::store::apps::Apps;
use crate::store::events::EventCounts;
use crate::store::groups::Groups;
use crate::store::incidents::Incidents;
use crate::store::memory::apps::MemoryApps;
use crate::store::memory::events::MemoryEventCounts;
use crate::store::memory::groups::MemoryGroups;
use crate::store::memory::incidents::MemoryIncidents;
use crate::store::memory::overview::MemoryOverview;
use crate::store::memory::state::Shared;
use crate::store::table::IncidentTable;

/// The incidents table in memory, as [`crate::store::table::IncidentStore`] is in DynamoDB:
/// its stores see one another's writes. Clones share the state.
#[derive(Debug, Clone)]
pub struct MemoryIncidentStore {
    pub apps: MemoryApps,
    pub incidents: MemoryIncidents,
    pub groups: MemoryGroups,
    pub overview: MemoryOverview,
    pub events: MemoryEventCounts,
}

impl Default for MemoryIncidentStore {
    fn default() -> Self {
        let state = Shared::default();
        Self {
            apps: MemoryApps::over(state.clone()),
            incidents: MemoryIncidents::over(state.clone()),
            groups: MemoryGroups::over(state.clone()),
            overview: MemoryOverview::over(state.clone()),
            events: MemoryEventCounts::over(state),
        }
    }
}

impl IncidentTable for MemoryIncidentStore {
    fn apps(&self) -> &dyn Apps {
        &self.apps
    }

    fn incidents(&self) -> &dyn Incidents {
        &self.incidents
    }

    fn groups(&self) -> &dyn Groups {
        &self.groups
    }

    fn events(&self) -> &dyn EventCounts {
        &self.events
    }
}
