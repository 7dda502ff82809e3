//! `POST /end_session`: ends a session of the tenant's.

use lookout_core::auth::Tenant;

use crate::error::TrackerError;
use crate::input::EndSession;
use crate::store::sessions::Sessions;

/// Ends `tenant`'s session: [`TrackerError::SessionNotFound`] for an unknown one,
/// [`TrackerError::AlreadyEnded`] once it has ended, [`TrackerError::Invalid`] when `endAt`
/// precedes its `startAt`.
pub async fn end_session(
    sessions: &dyn Sessions,
    tenant: &Tenant,
    input: EndSession,
) -> Result<(), TrackerError> {
    let id = input.session_id.as_str();
    if sessions.end(tenant, id, input.end_at).await? {
        return Ok(());
    }
    // Refused: read the session to say why.
    let current = sessions.load(tenant, id).await?;
    if current.end_at.is_some() {
        Err(TrackerError::AlreadyEnded)
    } else {
        Err(TrackerError::Invalid(format!(
            "endAt must not precede the session's startAt {}",
            current.start_at
        )))
    }
}
