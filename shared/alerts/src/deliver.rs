//! Delivering one tenant alert along its chain (the alerts queue's consumer runs this per
//! message; a redelivered message runs it again and picks up where the last run stopped).
//!
//! Step `n` goes to the chain's `n`-th channel. Each step is created once (a conditional
//! put), claimed before its send (`pending → sending` with a lease, a conditional put), and
//! sent at most once per claim:
//! - delivered → `sent`: the alert is done;
//! - rate limited (429, Discord's `retry_after`) or failing for now (5xx, timeout) with
//!   attempts left → back to `pending`, and the message comes back after the service's
//!   `Retry-After` or an exponential backoff;
//! - failed for good (a deleted webhook's 404, a refused URL, a deleted channel, the last
//!   attempt) → `failed`, a line in the tenant's failed list naming the channel that takes
//!   over, and step `n + 1` on the chain's next channel, at once;
//! - a claim whose lease ran out (the consumer died mid-send) → `failed` without a resend
//!   (the service may have it), and the next channel takes over.
//!
//! When the chain is used up (or empty: no route), the alert is done.
//!
//! An alert that needs someone (`ack_incident`) carries a signed acknowledgement link, and,
//! when its rule repeats or escalates ([`Rule::follow_up`]), its next repeat is scheduled once
//! it is done: a repeat is the same alert with `round` set, delivered under its own id
//! (`<alert id>-r<round>`) to the chain of the escalation step it reached, if its incident is
//! still open when it fires (else nothing, and nothing more is scheduled).

use std::time::Duration;

use lookout_core::auth::sha256_hex;
use lookout_core::events::{TenantAlert, TenantAlertKind};
use lookout_core::time::{Clock, Timestamp};
use lookout_webhooks::{Alert, ChannelKind, Outcome};

use crate::channel::{ChannelId, ChannelRecord};
use crate::delivery::{FailureRecord, StepRecord, StepStatus, RETENTION_DAYS};
use crate::error::AlertError;
use crate::followup::{FollowUps, IncidentState};
use crate::holds::{hold, in_quiet_hours, in_window, release_held, send_digest, QUIET_PREFIX};
use crate::render::render;
use crate::routes::Rule;
use crate::seal::Sealer;
use crate::sender::ChannelSender;
use crate::store::AlertStore;

/// Attempts per channel before it is failed and the next one takes over.
pub const MAX_ATTEMPTS: u32 = 5;
/// How long a claim holds a step (well over the sender's 10 s timeout).
const LEASE_MS: i64 = 60_000;
/// First retry delay, doubled per attempt.
const BACKOFF_BASE: Duration = Duration::from_secs(30);
/// Longest retry delay (the service's `Retry-After` included).
const MAX_DELAY: Duration = Duration::from_secs(900);
/// How long an acknowledgement link works.
pub const ACK_LINK_DAYS: i64 = 7;
/// The earliest a repeat is scheduled from now (one already due goes out this soon).
pub(crate) const MIN_SCHEDULE_AHEAD_MS: i64 = 60_000;

/// What [`deliver`] reads and writes through.
#[derive(Debug, Clone, Copy)]
pub struct DeliverPorts<'a> {
    pub store: &'a dyn AlertStore,
    pub sender: &'a dyn ChannelSender,
    pub sealer: &'a Sealer,
    pub clock: &'a dyn Clock,
    /// Where repeats are scheduled; `None`: alerts never repeat.
    pub follow_ups: Option<&'a dyn FollowUps>,
    /// Whether an alert's incident still needs someone; `None`: repeats are dropped.
    pub incidents: Option<&'a dyn IncidentState>,
    /// The API's public base URL (`https://…`, no trailing slash) the acknowledgement links
    /// go to (`<base>/ack/<token>`); `None`: no links.
    pub ack_base: Option<&'a str>,
}

/// What becomes of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverOutcome {
    /// Delivered, or failed on every channel of the chain: acknowledge.
    Done,
    /// Run it again after this delay.
    RetryAfter(Duration),
}

/// Delivers `alert` along its tenant's chain, then schedules its next repeat (see the module
/// docs).
pub async fn deliver(
    ports: &DeliverPorts<'_>,
    alert: &TenantAlert,
) -> Result<DeliverOutcome, AlertError> {
    if let Some(key) = alert.release.as_deref() {
        if key.starts_with(QUIET_PREFIX) {
            return send_digest(ports, &alert.tenant, key).await;
        }
        release_held(ports, &alert.tenant, key).await?;
        return Ok(DeliverOutcome::Done);
    }
    let routes = ports.store.routes(&alert.tenant).await?;
    let rule = routes.rule_for(alert);
    let round = alert.round.unwrap_or(0);
    if round == 0
        && (in_window(ports, &routes, alert).await?
            || hold(ports, &routes, alert).await?
            || in_quiet_hours(ports, &routes, alert).await?)
    {
        return Ok(DeliverOutcome::Done);
    }
    let mut sent = alert.clone();
    let chain = if round == 0 {
        routes.chain_for(alert).to_vec()
    } else {
        // A repeat: only while its incident still needs someone, and its rule still repeats.
        let (Some(incident), Some(state)) = (alert.ack_incident.as_deref(), ports.incidents) else {
            return Ok(DeliverOutcome::Done);
        };
        let Some(next) = rule.and_then(|r| r.follow_up(round)) else {
            return Ok(DeliverOutcome::Done);
        };
        if !state.is_open(incident).await? {
            tracing::info!(tenant = %alert.tenant, alert_id = %alert.alert_id, round, "acknowledged or resolved: no more repeats");
            return Ok(DeliverOutcome::Done);
        }
        sent.alert_id = format!("{}-r{round}", alert.alert_id);
        sent.title = if next.step > 0 {
            format!("Escalated (step {}): {}", next.step, alert.title)
        } else {
            format!("Repeat {round}: {}", alert.title)
        };
        rule.map(|r| r.chain_at(next.step).to_vec())
            .unwrap_or_default()
    };
    let mut rendered = render(&sent);
    rendered.ack_url = ack_url(ports, alert);
    let outcome = deliver_chain(ports, &sent, &chain, &rendered).await?;
    if outcome == DeliverOutcome::Done {
        schedule_next(ports, alert, rule, round).await?;
        if round == 0 && alert.kind == TenantAlertKind::Heartbeat && alert.ack_incident.is_none() {
            if let Some(app) = alert.app.as_deref() {
                release_held(ports, &alert.tenant, app).await?;
            }
        }
    }
    Ok(outcome)
}

/// The signed link that acknowledges `alert`'s incident, for an alert that needs someone, on
/// the stack's public base URL (else each channel's origin, [`send_step`]).
fn ack_url(ports: &DeliverPorts<'_>, alert: &TenantAlert) -> Option<String> {
    let (base, incident) = (ports.ack_base?, alert.ack_incident.as_deref()?);
    Some(ack_link(ports, base, &alert.tenant, incident))
}

fn ack_link(ports: &DeliverPorts<'_>, base: &str, tenant: &str, incident: &str) -> String {
    let expires = ports.clock.now().unix_seconds() + ACK_LINK_DAYS * 86_400;
    let token = ports.sealer.ack_token(tenant, incident, expires);
    format!("{}/ack/{token}", base.trim_end_matches('/'))
}

/// Schedules the repeat after `round` of `alert`, if it needs someone and its rule repeats.
async fn schedule_next(
    ports: &DeliverPorts<'_>,
    alert: &TenantAlert,
    rule: Option<&Rule>,
    round: u32,
) -> Result<(), AlertError> {
    let (Some(follow_ups), Some(_), Some(rule)) =
        (ports.follow_ups, alert.ack_incident.as_deref(), rule)
    else {
        return Ok(());
    };
    let Some(next) = rule.follow_up(round + 1) else {
        return Ok(());
    };
    let due = alert
        .at
        .plus_millis(i64::from(next.after_minutes) * 60_000)
        .ok_or_else(|| AlertError::Invalid("repeat beyond the year 9999".into()))?;
    let earliest = ports
        .clock
        .now()
        .plus_millis(MIN_SCHEDULE_AHEAD_MS)
        .unwrap_or(due);
    let at = due.max(earliest);
    let mut repeat = alert.clone();
    repeat.round = Some(next.round);
    let key = &sha256_hex(format!("{}\n{}", alert.tenant, alert.alert_id).as_bytes())[..24];
    let name = format!("alert-{key}-r{}", next.round);
    follow_ups.schedule(&name, &repeat, at).await?;
    tracing::info!(tenant = %alert.tenant, alert_id = %alert.alert_id, round = next.round, step = next.step, %at, "repeat scheduled");
    Ok(())
}

/// Delivers `alert` (its id and title as sent) along `chain`.
async fn deliver_chain(
    ports: &DeliverPorts<'_>,
    alert: &TenantAlert,
    chain: &[ChannelId],
    rendered: &Alert,
) -> Result<DeliverOutcome, AlertError> {
    let (tenant, id) = (alert.tenant.as_str(), alert.alert_id.as_str());
    let mut n: u32 = 0;
    // Each pass either moves to the next step or re-reads one another consumer changed; a
    // step changes a bounded number of times, so this ends.
    for _ in 0..(4 * (MAX_ATTEMPTS as usize + 2) * (chain.len() + 1)) {
        let now = ports.clock.now();
        let next = chain.get(n as usize + 1).cloned();
        let step = match ports.store.step(tenant, id, n).await? {
            Some(s) => s,
            None => {
                let Some(channel) = chain.get(n as usize) else {
                    return Ok(DeliverOutcome::Done);
                };
                let rec = StepRecord::new(tenant, id, n, channel.clone(), now);
                if !ports.store.create_step(&rec).await? {
                    continue;
                }
                rec
            }
        };
        match step.status {
            StepStatus::Sent => return Ok(DeliverOutcome::Done),
            StepStatus::Failed => {
                n += 1;
                continue;
            }
            StepStatus::Sending => {
                if let Some(until) = step.lease_until.filter(|u| *u > now) {
                    return Ok(DeliverOutcome::RetryAfter(between(now, until)));
                }
                let reason = "an earlier attempt was interrupted: not sent again";
                if fail(ports, alert, &step, StepStatus::Sending, reason, next, None).await? {
                    tracing::warn!(tenant, alert_id = id, step = n, "{reason}");
                    n += 1;
                }
                continue;
            }
            StepStatus::Pending => {}
        }
        let mut claimed = step.clone();
        claimed.status = StepStatus::Sending;
        claimed.lease_until = now.plus_millis(LEASE_MS);
        claimed.updated_at = now;
        if !ports
            .store
            .replace_step(&claimed, StepStatus::Pending, step.attempts)
            .await?
        {
            continue;
        }
        let attempt = step.attempts + 1;
        let ack = alert.ack_incident.as_deref();
        let (outcome, label) = send_step(ports, tenant, &step.channel_id, rendered, ack).await;
        let now = ports.clock.now();
        let mut done = claimed.clone();
        done.attempts = attempt;
        done.lease_until = None;
        done.updated_at = now;
        match outcome {
            Outcome::Delivered => {
                done.status = StepStatus::Sent;
                done.error = None;
                if !ports
                    .store
                    .replace_step(&done, StepStatus::Sending, step.attempts)
                    .await?
                {
                    tracing::warn!(
                        tenant,
                        alert_id = id,
                        step = n,
                        "sent after its lease ran out"
                    );
                }
                tracing::info!(tenant, alert_id = id, step = n, channel = %label, attempt, "alert delivered");
                return Ok(DeliverOutcome::Done);
            }
            Outcome::Retry { after } if attempt < MAX_ATTEMPTS => {
                done.status = StepStatus::Pending;
                done.error = Some("rate limited or unavailable: tried again".to_owned());
                ports
                    .store
                    .replace_step(&done, StepStatus::Sending, step.attempts)
                    .await?;
                let delay = after.unwrap_or_else(|| backoff(attempt)).min(MAX_DELAY);
                tracing::info!(tenant, alert_id = id, step = n, channel = %label, attempt, delay_s = delay.as_secs(), "alert delivery retried later");
                return Ok(DeliverOutcome::RetryAfter(delay));
            }
            given_up => {
                let reason = match given_up {
                    Outcome::Permanent { status, reason } => permanent_reason(status, reason),
                    _ => format!("still rate limited or unavailable after {attempt} attempts"),
                };
                let failed = fail(
                    ports,
                    alert,
                    &claimed,
                    StepStatus::Sending,
                    &reason,
                    next,
                    Some((attempt, &label)),
                )
                .await?;
                if failed {
                    n += 1;
                }
            }
        }
    }
    Err(AlertError::Store(lookout_core::StoreError::invariant(
        "alert delivery did not settle",
    )))
}

/// Sends to the step's channel: the outcome and the channel's label for logs and the failed
/// list (`deleted` when it is gone).
async fn send_step(
    ports: &DeliverPorts<'_>,
    tenant: &str,
    id: &ChannelId,
    alert: &Alert,
    ack_incident: Option<&str>,
) -> (Outcome, String) {
    let channel = match ports.store.channel(tenant, id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return (
                Outcome::Permanent {
                    status: None,
                    reason: "the channel was deleted".to_owned(),
                },
                "deleted".to_owned(),
            )
        }
        Err(err) => {
            tracing::warn!(tenant, channel = %id, error = %lookout_core::error::error_chain(&err), "channel not read");
            return (Outcome::Retry { after: None }, id.to_string());
        }
    };
    let label = format!("{} ({})", channel.name, channel.kind);
    let opened = open_channel(ports.sealer, &channel);
    let (kind, url, secret) = match opened {
        Ok(o) => o,
        Err(reason) => {
            return (
                Outcome::Permanent {
                    status: None,
                    reason,
                },
                label,
            )
        }
    };
    let mut alert = alert.clone();
    if let (None, Some(incident), Some(origin)) =
        (&alert.ack_url, ack_incident, channel.origin.as_deref())
    {
        alert.ack_url = Some(ack_link(ports, origin, tenant, incident));
    }
    if let (ChannelKind::Telegram, Some(incident)) = (kind, ack_incident) {
        alert.ack_callback = ports.sealer.telegram_callback(tenant, incident);
    }
    let outcome = ports
        .sender
        .send(kind, &url, &alert, secret.as_deref())
        .await;
    (outcome, label)
}

/// A channel's kind, URL and signing secret, opened.
pub(crate) fn open_channel(
    sealer: &Sealer,
    channel: &ChannelRecord,
) -> Result<(lookout_webhooks::ChannelKind, String, Option<Vec<u8>>), String> {
    let kind = channel.kind().map_err(|e| e.to_string())?;
    let context = ChannelRecord::context(&channel.tenant, &channel.channel_id);
    let url = sealer
        .open(&channel.url_sealed, &context)
        .ok()
        .and_then(|u| String::from_utf8(u).ok())
        .ok_or_else(|| "the channel's URL cannot be opened (another key?)".to_owned())?;
    let secret = match &channel.secret_sealed {
        Some(s) => Some(
            sealer
                .open(s, &context)
                .map_err(|_| "the channel's signing secret cannot be opened".to_owned())?,
        ),
        None => None,
    };
    Ok((kind, url, secret))
}

/// Marks `step` failed (if it still has `status`) and lists it in the failed list. `false`
/// when another consumer changed the step first.
async fn fail(
    ports: &DeliverPorts<'_>,
    alert: &TenantAlert,
    step: &StepRecord,
    status: StepStatus,
    reason: &str,
    next: Option<ChannelId>,
    sent: Option<(u32, &str)>,
) -> Result<bool, AlertError> {
    let now = ports.clock.now();
    let mut failed = step.clone();
    failed.status = StepStatus::Failed;
    failed.lease_until = None;
    failed.error = Some(reason.to_owned());
    failed.updated_at = now;
    let (attempts_before, label) = match sent {
        Some((attempt, label)) => {
            failed.attempts = attempt;
            (attempt - 1, label.to_owned())
        }
        None => (step.attempts, step.channel_id.to_string()),
    };
    if !ports
        .store
        .replace_step(&failed, status, attempts_before)
        .await?
    {
        return Ok(false);
    }
    let line = FailureRecord {
        pk: ChannelRecord::pk(&alert.tenant),
        sk: FailureRecord::sk(now, &alert.alert_id, step.step),
        tenant: alert.tenant.clone(),
        alert_id: alert.alert_id.clone(),
        title: alert.title.clone(),
        step: step.step,
        channel_id: step.channel_id.clone(),
        channel: label,
        error: reason.to_owned(),
        fell_back_to: next,
        at: now,
        expires_at: now.unix_seconds() + RETENTION_DAYS * 86_400,
    };
    ports.store.record_failure(&line).await?;
    tracing::warn!(tenant = %alert.tenant, alert_id = %alert.alert_id, step = step.step, error = reason, fell_back_to = ?line.fell_back_to, "alert delivery failed on a channel");
    Ok(true)
}

/// A permanent failure as the failed list and the test alert say it: the service's status
/// first (`HTTP 404: …`), once.
pub(crate) fn permanent_reason(status: Option<u16>, reason: String) -> String {
    match status {
        Some(s) if !reason.starts_with("HTTP ") => format!("HTTP {s}: {reason}"),
        _ => reason,
    }
}

fn backoff(attempt: u32) -> Duration {
    BACKOFF_BASE.saturating_mul(1 << attempt.saturating_sub(1).min(10))
}

fn between(from: Timestamp, to: Timestamp) -> Duration {
    Duration::from_millis(u64::try_from(to.unix_millis() - from.unix_millis()).unwrap_or(0))
}
