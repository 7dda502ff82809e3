//! `POST /get_machine_events`: a machine's events across its sessions, a page at a time.

use lookout_core::auth::Tenant;

use crate::error::TrackerError;
use crate::input::{page_limit, GetMachineEvents};
use crate::output::MachineEventsOut;
use crate::store::events::Events;

/// Events of every session of `tenant`'s machine, oldest first, a page at a time: at most
/// `limit` events (default and most [`crate::limits::MAX_PAGE`]) and
/// [`lookout_core::page::MAX_PAGE_BYTES`] of them.
pub async fn get_machine_events(
    events: &dyn Events,
    tenant: &Tenant,
    input: GetMachineEvents,
) -> Result<MachineEventsOut, TrackerError> {
    let limit = page_limit(input.limit)?;
    let page = events
        .of_machine(
            tenant,
            input.machine_id.as_str(),
            limit,
            input.next_token.as_deref(),
        )
        .await?;
    Ok(MachineEventsOut {
        machine_id: input.machine_id.0,
        events: page.events,
        next_token: page.next_token,
    })
}
