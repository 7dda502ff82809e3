//! `POST /get_session`: a session of the tenant's with its events, a page at a time.

use lookout_core::auth::Tenant;
use serde_json::Value;

use crate::error::TrackerError;
use crate::input::{page_limit, GetSession};
use crate::output::SessionOut;
use crate::store::events::Events;
use crate::store::sessions::Sessions;

/// The session and its events sorted by `eventAt`, a page at a time: at most `limit` events
/// (default and most [`crate::limits::MAX_PAGE`]) and [`lookout_core::page::MAX_PAGE_BYTES`] of them.
/// Another tenant's session is not found.
pub async fn get_session(
    sessions: &dyn Sessions,
    events: &dyn Events,
    tenant: &Tenant,
    input: GetSession,
) -> Result<SessionOut, TrackerError> {
    let limit = page_limit(input.limit)?;
    let id = input.session_id.as_str();
    let page = events
        .of_session(id, limit, input.next_token.as_deref())
        .await?;
    // The page's Query reads the session's own item after its events; a page that ended
    // before it reads it on its own.
    let session = match page.session {
        Some(s) => Some(s),
        None => sessions.find(id).await?,
    };
    let session = session
        .filter(|s| s.tenant == tenant.as_str())
        .ok_or(TrackerError::SessionNotFound)?;
    Ok(SessionOut {
        session_id: session.session_id,
        user_id: session.user_id,
        machine_id: session.machine_id,
        org_id: serde_json::from_str(&session.org_id).unwrap_or(Value::Null),
        start_at: session.start_at,
        end_at: session.end_at,
        events: page.events,
        next_token: page.next_token,
    })
}
