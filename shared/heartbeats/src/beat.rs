//! The heartbeat (`POST /api/apps {"app_id": 23, "message": "OK:200"}`, and the seed's
//! `POST /api/apps/`): records a beat of the caller's app, registering an unknown app with the
//! default period and grace (the seed accepted any id), and announces a recovery when the beat
//! ended an outage.

use lookout_core::{auth::Tenant, error::error_chain, time::Timestamp};

use crate::announce::deliver;
use crate::error::HeartbeatError;
use crate::input::{AppState, HeartbeatIn};
use crate::limits::MAX_CAS_ATTEMPTS;
use crate::mail::PendingMail;
use crate::output::HeartbeatReply;
use crate::ports::ApiPorts;
use crate::quota::admit_new_app;
use crate::record::app_pk;
use crate::state::{on_beat, BeatStep};
use crate::store::apps::{Apps, FastBeat};
use crate::store::Put;

/// A heartbeat of `tenant`'s app.
#[derive(Debug, Clone)]
pub struct BeatCommand {
    pub tenant: Tenant,
    pub input: HeartbeatIn,
}

/// What recording a heartbeat did.
#[derive(Debug, Clone)]
pub(crate) struct Beaten {
    pub(crate) reply: HeartbeatReply,
    /// The recovery mail when this beat ended an outage (down → up).
    pub(crate) mail: Option<PendingMail>,
}

/// Records the beat at the clock's now (`record_beat`) and, when it ended an outage,
/// announces the recovery. The beat is recorded either way: an announcement that fails is
/// retried by the scanner after the mail's lease.
pub async fn beat(
    ports: &ApiPorts<'_>,
    cmd: BeatCommand,
) -> Result<HeartbeatReply, HeartbeatError> {
    let now = ports.clock.now();
    let beaten = record_beat(ports.apps, &cmd.tenant, &cmd.input, now).await?;
    if let Some(mail) = &beaten.mail {
        if let Err(err) = deliver(ports.apps, ports.budgets, ports.notify, mail).await {
            tracing::error!(error = %error_chain(&err), "recovery mail not sent yet");
        }
    }
    Ok(beaten.reply)
}

/// Records a heartbeat of `tenant`'s app at `now`, registering an unknown app with the
/// defaults (within the tenant's app quota).
///
/// The common case (an `up` app without an unsent mail) is one UpdateItem. Anything else (new
/// app, recovery, paused/retired, unsent mail) is decided from the current item that the failed
/// condition returns ([`on_beat`]), and written with a versioned put, re-decided on conflict.
pub(crate) async fn record_beat(
    apps: &dyn Apps,
    tenant: &Tenant,
    beat: &HeartbeatIn,
    now: Timestamp,
) -> Result<Beaten, HeartbeatError> {
    let pk = app_pk(tenant.as_str(), beat.app_id.as_str());
    let mut current = match apps.fast_beat(&pk, beat, now).await? {
        // The condition held: the app is `up`.
        FastBeat::Done { deadline } => {
            return Ok(Beaten {
                reply: HeartbeatReply::new(&beat.app_id, AppState::Up, now, deadline),
                mail: None,
            })
        }
        FastBeat::NotApplicable(current) => current,
    };
    if current.is_none() {
        admit_new_app(apps, tenant).await?;
    }
    for _ in 0..MAX_CAS_ATTEMPTS {
        let BeatStep {
            rec: new,
            expected,
            recovered,
        } = on_beat(current.as_deref(), tenant, beat, now);
        match apps.put_if(&new, expected).await? {
            Put::Written => {
                return Ok(Beaten {
                    reply: new.heartbeat_reply(now),
                    mail: if recovered {
                        PendingMail::of(&new)
                    } else {
                        None
                    },
                })
            }
            Put::Conflict(now_stored) => current = now_stored,
        }
    }
    Err(HeartbeatError::Contention)
}
