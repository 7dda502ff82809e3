//! What the in-memory adapters share: the incidents table's items, behind one lock, so a
//! write that spans aggregates (opening an incident) is all or nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::overview::DayVolume;
use crate::records::{App, Change, Group, Incident};
use crate::store::events::EventCount;

/// The table's items, by aggregate.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// By name.
    pub(crate) apps: BTreeMap<String, App>,
    /// By id.
    pub(crate) incidents: BTreeMap<String, Incident>,
    /// By incident id and the entry's sort key in DynamoDB
    /// ([`history_sk`](crate::store::incidents::history_sk)), so oldest first.
    pub(crate) history: BTreeMap<(String, String), Change>,
    /// By [`group_pk`](crate::grouping::group_pk).
    pub(crate) groups: BTreeMap<String, Group>,
    /// The volume counters, by UTC day (`YYYY-MM-DD`).
    pub(crate) volume: BTreeMap<String, DayVolume>,
    /// The daily Sentry event counts, by app and UTC day.
    pub(crate) events: BTreeMap<(String, String), EventCount>,
}

/// The state as the adapters hold it.
pub(crate) type Shared = Arc<Mutex<State>>;

/// The state, locked (a test that panicked while holding it leaves it as it was).
pub(crate) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}
