//! `POST /start_session`: a new session of the tenant's.

use lookout_core::{auth::Tenant, time::Timestamp};
use serde_json::Value;

use crate::error::TrackerError;
use crate::input::StartSession;
use crate::records::{session_pk, SessionRecord, META};
use crate::store::sessions::Sessions;

/// Opens a session for `tenant`: its new id.
pub async fn start_session(
    sessions: &dyn Sessions,
    tenant: &Tenant,
    input: StartSession,
) -> Result<String, TrackerError> {
    let id = uuid::Uuid::new_v4().to_string();
    let record = SessionRecord {
        pk: session_pk(&id),
        sk: META.into(),
        session_id: id.clone(),
        tenant: tenant.as_str().to_owned(),
        user_id: input.user_id.0,
        machine_id: input.machine_id.0,
        org_id: input.org_id.map_or(Value::Null, |o| o.0).to_string(),
        start_at: input.start_at,
        end_at: None,
        created_at: Timestamp::now(),
        expires_at: sessions.expires_at(),
    };
    sessions.insert(&record).await?;
    Ok(id)
}
