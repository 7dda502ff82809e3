//! A Healthchecks ping (`/ping/<uuid>[/start|/fail|/log|/<exit status>]`, or by a tenant's ping
//! key and the check's slug): the same signals a job sends to `POST /api/apps/{signal}`, on
//! the one state machine (success = a heartbeat that ends a run, start, fail, an exit status),
//! plus `log`, which changes nothing but keeps its body. A body is kept as the run's output:
//! its own item, written in one transaction with the app, which keeps the reference. Each
//! check takes [`PINGS_PER_MINUTE`](crate::limits::PINGS_PER_MINUTE) a minute; a ping beyond
//! it is not recorded ([`PingOutcome::Throttled`]: the caller answers as Healthchecks.io does).
//! An unknown slug is registered on its ping when asked (`?create=1`), with Healthchecks'
//! auto-provisioning defaults (a period of a day, an hour of grace) and within the tenant's
//! app quota.

use lookout_core::{auth::Tenant, time::Timestamp};

use crate::announce::announce_written;
use crate::error::HeartbeatError;
use crate::input::{AppId, RunId, SignalIn, SignalKind};
use crate::limits::{
    CREATED_GRACE_SECONDS, CREATED_PERIOD_SECONDS, MAX_CAS_ATTEMPTS, PING_OUTPUT_DAYS,
};
use crate::ports::ApiPorts;
use crate::quota::admit_new_app;
use crate::record::{app_pk, AppRecord, OutputRef};
use crate::state::signal_step;
use crate::store::pings::{output_pk, PingOutput, Pings};
use crate::store::Put;

/// What a ping says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingKind {
    Success,
    Start,
    Fail,
    /// Recorded with its body; no state change.
    Log,
    /// The job's exit status: 0 success, 1–255 failure.
    Exit(u8),
}

impl PingKind {
    /// The last segment of a ping URL after the check (`start`, `fail`, `log`, `0`–`255`):
    /// `Ok(None)` for another word (no such URL), `Err` for a number above 255 (Healthchecks'
    /// "invalid url format").
    pub fn parse(segment: &str) -> Result<Option<Self>, String> {
        Ok(Some(match segment {
            "start" => Self::Start,
            "fail" => Self::Fail,
            "log" => Self::Log,
            s if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()) => {
                match s.parse::<u32>().ok().and_then(|n| u8::try_from(n).ok()) {
                    Some(n) => Self::Exit(n),
                    None => return Err("invalid url format".into()),
                }
            }
            _ => return Ok(None),
        }))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Start => "start",
            Self::Fail => "fail",
            Self::Log => "log",
            Self::Exit(_) => "exit",
        }
    }
}

/// One ping of `tenant`'s check `app_id`.
#[derive(Debug, Clone)]
pub struct PingCommand {
    pub tenant: Tenant,
    pub app_id: AppId,
    /// The check UUID the ping URL named (`None`: a slug URL). An app found with another UUID
    /// (deleted, and its id registered again since the UUID was looked up) is not this check.
    pub ping_id: Option<String>,
    pub kind: PingKind,
    /// `?rid=<uuid>`: pairs a run's end with its start.
    pub run_id: Option<String>,
    /// `?create=1` (slug URLs): register the check if it is unknown.
    pub create: bool,
    /// The request body, already cut to [`PING_BODY_LIMIT`](crate::limits::PING_BODY_LIMIT)
    /// bytes (empty: none), and whether it was longer.
    pub body: Vec<u8>,
    pub truncated: bool,
}

/// What became of a ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingOutcome {
    Recorded,
    /// Recorded, and the check was registered by it (`?create=1`).
    Created,
    /// No such check (and no `?create=1`).
    NotFound,
    /// Over [`PINGS_PER_MINUTE`](crate::limits::PINGS_PER_MINUTE): nothing recorded.
    Throttled,
}

/// Records the ping at the clock's now (see the module docs); a transition it makes is
/// announced as a signal's is.
pub async fn ping(
    ports: &ApiPorts<'_>,
    pings: &dyn Pings,
    cmd: PingCommand,
) -> Result<PingOutcome, HeartbeatError> {
    let now = ports.clock.now();
    let run_id = cmd
        .run_id
        .as_deref()
        .map(RunId::parse)
        .transpose()
        .map_err(HeartbeatError::Invalid)?;
    let pk = app_pk(cmd.tenant.as_str(), cmd.app_id.as_str());
    let mut current = ports.apps.get_for_write(&pk).await?.map(Box::new);
    // Whether the app's quota admitted it: asked before the first write that creates it.
    let mut admitted = false;
    let output = (!cmd.body.is_empty()).then(|| output_of(&cmd, run_id.as_ref(), now));
    let input = SignalIn {
        app_id: cmd.app_id.clone(),
        run_id,
        exit_code: match cmd.kind {
            PingKind::Exit(n) => Some(i32::from(n)),
            _ => None,
        },
        message: None,
        until: None,
    };
    for _ in 0..MAX_CAS_ATTEMPTS {
        let (base, expected) = match current.as_deref() {
            Some(old) if cmd.ping_id.is_some() && old.ping_id != cmd.ping_id => {
                return Ok(PingOutcome::NotFound)
            }
            Some(old) if old.ping_throttled(now) => return Ok(PingOutcome::Throttled),
            Some(old) => {
                let mut rec = old.clone();
                rec.version += 1;
                (rec, Some(old.version))
            }
            None if !cmd.create => return Ok(PingOutcome::NotFound),
            None => {
                if !admitted {
                    admit_new_app(ports.apps, &cmd.tenant).await?;
                    admitted = true;
                }
                (
                    AppRecord::new(
                        &cmd.tenant,
                        &cmd.app_id,
                        now,
                        CREATED_PERIOD_SECONDS,
                        CREATED_GRACE_SECONDS,
                    ),
                    None,
                )
            }
        };
        let (mut rec, mailed, step_run) = match signal_kind(cmd.kind) {
            Some(kind) => {
                let step = signal_step(base, expected, kind, &input, now);
                (step.rec, step.mailed, step.run_id)
            }
            None => {
                let mut rec = base;
                rec.refresh_due();
                (rec, false, input.run_id.as_ref().map(|r| r.0.clone()))
            }
        };
        let kept = output.clone().map(|(mut item, mut reference)| {
            reference.run_id = reference.run_id.or_else(|| step_run.clone());
            item.run_id.clone_from(&reference.run_id);
            (item, reference)
        });
        rec.count_ping(now, kept.as_ref().map(|(_, r)| r.clone()));
        let put = match &kept {
            Some((item, _)) => {
                let put = pings.put_with_output(&rec, expected, item).await?;
                ports.apps.remember(&rec, &put);
                put
            }
            None => ports.apps.put_if(&rec, expected).await?,
        };
        match put {
            Put::Written => {
                announce_written(ports, &rec, mailed).await;
                return Ok(if expected.is_none() {
                    PingOutcome::Created
                } else {
                    PingOutcome::Recorded
                });
            }
            Put::Conflict(now_stored) => current = now_stored,
        }
    }
    Err(HeartbeatError::Contention)
}

/// The signal a ping is (`None`: a log ping, which is none).
fn signal_kind(kind: PingKind) -> Option<SignalKind> {
    match kind {
        PingKind::Success => Some(SignalKind::Success),
        PingKind::Start => Some(SignalKind::Start),
        PingKind::Fail => Some(SignalKind::Fail),
        PingKind::Exit(_) => Some(SignalKind::Exit),
        PingKind::Log => None,
    }
}

/// A ping's body as its output item, and the app's reference to it (written together).
fn output_of(cmd: &PingCommand, run_id: Option<&RunId>, now: Timestamp) -> (PingOutput, OutputRef) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let item = PingOutput {
        pk: output_pk(&id),
        tenant: cmd.tenant.as_str().to_owned(),
        app_id: cmd.app_id.as_str().to_owned(),
        at: now,
        kind: cmd.kind.as_str().to_owned(),
        run_id: run_id.map(|r| r.0.clone()),
        body: String::from_utf8_lossy(&cmd.body).into_owned(),
        expires_at: now.unix_seconds() + PING_OUTPUT_DAYS * 86_400,
    };
    let reference = OutputRef {
        id,
        at: now,
        kind: item.kind.clone(),
        run_id: item.run_id.clone(),
        exit_code: match cmd.kind {
            PingKind::Exit(n) => Some(i32::from(n)),
            _ => None,
        },
        bytes: cmd.body.len(),
        truncated: cmd.truncated,
    };
    (item, reference)
}

/// The output `id` of `tenant`'s app `app_id` (`None`: unknown, expired, or another app's).
pub async fn ping_output(
    pings: &dyn Pings,
    tenant: &Tenant,
    app_id: &AppId,
    id: &str,
) -> Result<Option<PingOutput>, HeartbeatError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    Ok(pings
        .output(id)
        .await?
        .filter(|o| o.tenant == tenant.as_str() && o.app_id == app_id.as_str()))
}
