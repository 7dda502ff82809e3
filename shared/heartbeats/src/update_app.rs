//! The admin's change of one app (`POST /admin/heartbeat_apps`): registers it, changes its
//! settings, or pauses, resumes or retires it.

use lookout_core::time::Timestamp;

use crate::error::HeartbeatError;
use crate::input::AdminAppIn;
use crate::limits::{DEFAULT_GRACE_SECONDS, DEFAULT_PERIOD_SECONDS, MAX_CAS_ATTEMPTS};
use crate::output::AppView;
use crate::record::{app_pk, AppRecord};
use crate::state::{apply_admin, apply_settings};
use crate::store::apps::Apps;
use crate::store::Put;

/// Registers an app (no action: created with the given or default settings when missing) or
/// changes its settings and state (`apply_admin`); an action on an app never registered is
/// refused. Written conditioned on the version read, re-decided on conflict. Returns the app
/// and whether it was created.
pub async fn update_app(
    apps: &dyn Apps,
    input: &AdminAppIn,
    now: Timestamp,
) -> Result<(AppView, bool), HeartbeatError> {
    input.validate()?;
    let pk = app_pk(input.tenant.as_str(), input.app_id.as_str());
    let mut current = apps.get(&pk).await?.map(Box::new);
    for _ in 0..MAX_CAS_ATTEMPTS {
        let (rec, expected) = changed(current.as_deref(), input, now)?;
        match apps.put_if(&rec, expected).await? {
            Put::Written => return Ok((rec.view(), expected.is_none())),
            Put::Conflict(now_stored) => current = now_stored,
        }
    }
    Err(HeartbeatError::Contention)
}

/// The app `current` (`None`: not registered) changed by `input` at `now`, and the version the
/// change is derived from (`None`: it creates the app).
pub(crate) fn changed(
    current: Option<&AppRecord>,
    input: &AdminAppIn,
    now: Timestamp,
) -> Result<(AppRecord, Option<u64>), HeartbeatError> {
    match current {
        None if input.action.is_some() => Err(HeartbeatError::NotRegistered {
            tenant: input.tenant.as_str().to_owned(),
            app_id: input.app_id.to_string(),
        }),
        None => {
            let mut rec = AppRecord::new(
                &input.tenant,
                &input.app_id,
                now,
                input.period_seconds.unwrap_or(DEFAULT_PERIOD_SECONDS),
                input.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS),
            );
            apply_settings(&mut rec, input)?;
            rec.deadline = rec.next_deadline(now);
            rec.refresh_due();
            Ok((rec, None))
        }
        Some(old) => {
            let mut rec = old.clone();
            rec.version += 1;
            apply_admin(&mut rec, input, now)?;
            rec.refresh_due();
            Ok((rec, Some(old.version)))
        }
    }
}
