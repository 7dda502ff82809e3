//! A job's signals (`POST /api/apps/{signal}`: start, success, fail, exit, snooze; see
//! [`crate::runs`]): records the signal and the run it starts or finishes, registering an
//! unknown app with the defaults as a heartbeat would, and announces a transition it makes (a
//! failure beyond the tolerance takes the app down, a success brings it back).

use lookout_core::auth::Tenant;

use crate::announce::announce_written;
use crate::error::HeartbeatError;
use crate::input::{AdminAppIn, AppState, SignalIn, SignalKind};
use crate::limits::MAX_CAS_ATTEMPTS;
use crate::output::SignalReply;
use crate::ports::ApiPorts;
use crate::quota::admit_new_app;
use crate::record::app_pk;
use crate::state::{on_signal, signal_step};
use crate::store::Put;
use crate::time::from_millis;
use crate::update_app::changed;

/// A `kind` signal of `tenant`'s app.
#[derive(Debug, Clone)]
pub struct SignalCommand {
    pub tenant: Tenant,
    pub kind: SignalKind,
    pub input: SignalIn,
}

/// Records the signal at the clock's now, decided from the current item (`on_signal`) and
/// written conditioned on its version (re-decided on conflict); then announces the transition
/// it made, if any. The signal is recorded either way: an announcement that fails is retried
/// by the scanner after the mail's lease.
pub async fn signal(
    ports: &ApiPorts<'_>,
    cmd: SignalCommand,
) -> Result<SignalReply, HeartbeatError> {
    signal_with(ports, cmd, None).await
}

/// [`signal`], with the app's settings changed by `settings` first in the same write (a
/// check-in that carries its job's settings).
pub(crate) async fn signal_with(
    ports: &ApiPorts<'_>,
    cmd: SignalCommand,
    settings: Option<&AdminAppIn>,
) -> Result<SignalReply, HeartbeatError> {
    let now = ports.clock.now();
    cmd.input.validate(cmd.kind, now)?;
    if let Some(change) = settings {
        change.validate()?;
    }
    let pk = app_pk(cmd.tenant.as_str(), cmd.input.app_id.as_str());
    let mut current = ports.apps.get_for_write(&pk).await?.map(Box::new);
    // Whether the app's quota admitted it: asked before the first write that creates it.
    let mut admitted = false;
    for _ in 0..MAX_CAS_ATTEMPTS {
        if current.is_none() && !admitted {
            admit_new_app(ports.apps, &cmd.tenant).await?;
            admitted = true;
        }
        let step = match settings {
            None => on_signal(current.as_deref(), &cmd.tenant, cmd.kind, &cmd.input, now),
            Some(change) => {
                let (rec, expected) = changed(current.as_deref(), change, now)?;
                signal_step(rec, expected, cmd.kind, &cmd.input, now)
            }
        };
        match ports.apps.put_if(&step.rec, step.expected).await? {
            Put::Written => {
                let rec = &step.rec;
                announce_written(ports, rec, step.mailed).await;
                return Ok(SignalReply {
                    status: "ok".into(),
                    app_id: rec.app_id().to_json(),
                    signal: cmd.kind.as_str().to_owned(),
                    run_id: step.run_id.clone(),
                    run: step.run.clone(),
                    state: rec.state,
                    received_at: now,
                    due_by: (rec.state == AppState::Up).then(|| from_millis(rec.deadline)),
                    snoozed_until: rec.snoozed_until,
                });
            }
            Put::Conflict(now_stored) => current = now_stored,
        }
    }
    Err(HeartbeatError::Contention)
}
