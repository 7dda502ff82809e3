//! Holding alerts back (see `crate::deliver`): a maintenance window's (`crate::window`), a
//! down parent's (the routes' `dependencies`) and quiet hours' (`crate::quiet`), and releasing
//! what is still wrong when the window ends or the parent is back, or what the quiet hours
//! held as one digest at their end.

use lookout_core::auth::sha256_hex;
use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};
use lookout_core::time::Timestamp;

use crate::deliver::{deliver, DeliverOutcome, DeliverPorts, MIN_SCHEDULE_AHEAD_MS};
use crate::error::AlertError;
use crate::routes::Routes;
use crate::window::window_for;

/// Whether `alert` is held back (see [`Routes::dependencies`]): a heartbeat alert first
/// records its app down (an outage) or back (a recovery); then an alert that needs someone is
/// held while one of its app's parents is down, and the recovery of an app whose outage was
/// held is not news.
pub(crate) async fn hold(
    ports: &DeliverPorts<'_>,
    routes: &Routes,
    alert: &TenantAlert,
) -> Result<bool, AlertError> {
    let (Some(app), tenant) = (alert.app.as_deref(), alert.tenant.as_str()) else {
        return Ok(false);
    };
    let parents = routes.parents_of(app);
    if alert.kind == TenantAlertKind::Heartbeat {
        if alert.ack_incident.is_some() {
            ports.store.set_down(tenant, app, Some(alert.at)).await?;
        } else {
            ports.store.set_down(tenant, app, None).await?;
            let mut was_held = false;
            for parent in parents {
                was_held |= ports.store.unhold(tenant, parent, app).await?;
            }
            if was_held {
                tracing::info!(
                    tenant,
                    app,
                    "recovered while its outage was held: not announced"
                );
                return Ok(true);
            }
        }
    }
    if alert.ack_incident.is_some() {
        for parent in parents {
            if ports.store.is_down(tenant, parent).await? {
                ports.store.hold(parent, app, alert).await?;
                tracing::info!(tenant, app, parent = %parent, alert_id = %alert.alert_id, "held: a parent is down");
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Whether a maintenance window holds `alert` (see `crate::window`): an alert that needs
/// someone is held under the window's occurrence, whose end is scheduled to release it; the
/// recovery of an app whose outage the window holds is not news. A heartbeat alert still
/// records its app down or back.
pub(crate) async fn in_window(
    ports: &DeliverPorts<'_>,
    routes: &Routes,
    alert: &TenantAlert,
) -> Result<bool, AlertError> {
    let Some((window, until)) = window_for(&routes.windows, alert, ports.clock.now()) else {
        return Ok(false);
    };
    let tenant = alert.tenant.as_str();
    let key = format!("window:{}:{}", window.name, until.unix_seconds());
    let child = alert.app.clone().unwrap_or_else(|| alert.alert_id.clone());
    if alert.kind == TenantAlertKind::Heartbeat {
        let down = alert.ack_incident.is_some().then_some(alert.at);
        ports.store.set_down(tenant, &child, down).await?;
    }
    if alert.ack_incident.is_none() {
        let quiet = alert.kind == TenantAlertKind::Heartbeat
            && ports.store.unhold(tenant, &key, &child).await?;
        if quiet {
            tracing::info!(tenant, app = %child, window = %window.name, "recovered within the window: not announced");
        }
        return Ok(quiet);
    }
    ports.store.hold(&key, &child, alert).await?;
    let end = TenantAlert {
        release: Some(key.clone()),
        ..notice(
            tenant,
            format!("release-{key}"),
            alert.kind,
            TenantAlertLevel::Info,
            format!("maintenance window {} ends", window.name),
            until,
        )
    };
    let seed = format!("{tenant}\n{key}");
    if !schedule_once(ports, "window", &seed, &end, until).await? {
        tracing::warn!(tenant, window = %window.name, "no scheduler: held until a later release")
    }
    tracing::info!(tenant, app = %child, window = %window.name, %until, "held: maintenance window");
    Ok(true)
}

/// The prefix of what quiet hours hold: `quiet:<end, unix seconds>`.
pub(crate) const QUIET_PREFIX: &str = "quiet:";
/// Lines of a digest (the rest are counted).
const DIGEST_LINES: usize = 50;

/// Whether quiet hours hold `alert`: an alert below `critical` (a digest itself never) is held
/// under the night's key, whose end is scheduled to send the digest.
pub(crate) async fn in_quiet_hours(
    ports: &DeliverPorts<'_>,
    routes: &Routes,
    alert: &TenantAlert,
) -> Result<bool, AlertError> {
    if alert.level >= TenantAlertLevel::Critical || alert.kind == TenantAlertKind::Digest {
        return Ok(false);
    }
    let Some(until) = routes
        .quiet_hours
        .as_ref()
        .and_then(|q| q.active_until(ports.clock.now()))
    else {
        return Ok(false);
    };
    let tenant = alert.tenant.as_str();
    let key = format!("{QUIET_PREFIX}{}", until.unix_seconds());
    ports.store.hold(&key, &alert.alert_id, alert).await?;
    let end = TenantAlert {
        release: Some(key.clone()),
        ..notice(
            tenant,
            format!("digest-{key}"),
            TenantAlertKind::Digest,
            TenantAlertLevel::Info,
            "quiet hours end".to_owned(),
            until,
        )
    };
    let seed = format!("{tenant}\n{key}");
    if !schedule_once(ports, "quiet", &seed, &end, until).await? {
        tracing::warn!(tenant, "no scheduler: held until a later digest");
    }
    tracing::info!(tenant, alert_id = %alert.alert_id, %until, "held: quiet hours");
    Ok(true)
}

/// Sends what the quiet hours `key` held as one digest (kind `digest`, routed as any alert of
/// that kind): each held alert on a line, with whether its incident is still open; then
/// nothing is held under `key` any more.
pub(crate) async fn send_digest(
    ports: &DeliverPorts<'_>,
    tenant: &str,
    key: &str,
) -> Result<DeliverOutcome, AlertError> {
    let mut held: Vec<_> = ports
        .store
        .held(tenant)
        .await?
        .into_iter()
        .filter(|h| h.parent == key)
        .collect();
    if held.is_empty() {
        return Ok(DeliverOutcome::Done);
    }
    let mut alerts = Vec::with_capacity(held.len());
    for h in &held {
        alerts.push(h.alert()?);
    }
    alerts.sort_by(|a, b| (a.at, &a.alert_id).cmp(&(b.at, &b.alert_id)));
    let mut lines = Vec::new();
    for a in alerts.iter().take(DIGEST_LINES) {
        let state = match (a.ack_incident.as_deref(), ports.incidents) {
            (Some(incident), Some(state)) => {
                if state.is_open(incident).await? {
                    " (still open)"
                } else {
                    " (acknowledged or resolved since)"
                }
            }
            _ => "",
        };
        let level = format!("{:?}", a.level).to_lowercase();
        lines.push(format!(
            "{} UTC · {level} · {}{state}",
            a.at.datetime().format("%H:%M"),
            a.title
        ));
    }
    if alerts.len() > DIGEST_LINES {
        lines.push(format!("… and {} more", alerts.len() - DIGEST_LINES));
    }
    let n = alerts.len();
    // Named by the night and what it holds: a redelivered release sends it once, and what a
    // release fired early (before the night's end) left held goes out in a digest of its own.
    let ids: Vec<&str> = alerts.iter().map(|a| a.alert_id.as_str()).collect();
    let set = &sha256_hex(ids.join("\n").as_bytes())[..12];
    let digest = TenantAlert {
        text: lines.join("\n"),
        ..notice(
            tenant,
            format!("digest-{key}-{set}"),
            TenantAlertKind::Digest,
            alerts
                .iter()
                .map(|a| a.level)
                .max()
                .unwrap_or(TenantAlertLevel::Info),
            format!(
                "Quiet hours digest: {n} alert{} held overnight",
                if n == 1 { "" } else { "s" }
            ),
            ports.clock.now(),
        )
    };
    let outcome = Box::pin(deliver(ports, &digest)).await?;
    if outcome == DeliverOutcome::Done {
        for h in held.drain(..) {
            ports.store.unhold(tenant, &h.parent, &h.child).await?;
        }
        tracing::info!(tenant, held = n, "quiet hours digest sent");
    }
    Ok(outcome)
}

/// Releases what is held under `key` (a recovered parent app, an ended window's occurrence):
/// each alert still wrong (its app still down, its incident still open) is put back on the
/// queue, as a repeat is, and alerts as usual; then nothing is held under `key` any more.
pub(crate) async fn release_held(
    ports: &DeliverPorts<'_>,
    tenant: &str,
    key: &str,
) -> Result<(), AlertError> {
    let held = ports.store.held(tenant).await?;
    for h in held.into_iter().filter(|h| h.parent == key) {
        let child = h.alert()?;
        let still_wrong = match (
            child.kind,
            child.app.as_deref(),
            child.ack_incident.as_deref(),
        ) {
            (TenantAlertKind::Heartbeat, Some(app), _) => ports.store.is_down(tenant, app).await?,
            (_, _, Some(incident)) => match ports.incidents {
                Some(state) => state.is_open(incident).await?,
                None => true,
            },
            _ => false,
        };
        if still_wrong {
            let seed = format!("{tenant}\n{key}\n{}", child.alert_id);
            let at = ports
                .clock
                .now()
                .plus_millis(MIN_SCHEDULE_AHEAD_MS)
                .unwrap_or(child.at);
            if !schedule_once(ports, "held", &seed, &child, at).await? {
                Box::pin(deliver(ports, &child)).await?;
            }
            tracing::info!(tenant, app = %h.child, held_by = key, "held alert released: still wrong");
        }
        ports.store.unhold(tenant, &h.parent, &h.child).await?;
    }
    Ok(())
}

/// Puts `alert` on the alerts queue at `at`, once per `seed` (the schedule is named
/// `<prefix>-<hash of seed>`; a second call is a no-op): `false` without a scheduler.
async fn schedule_once(
    ports: &DeliverPorts<'_>,
    prefix: &str,
    seed: &str,
    alert: &TenantAlert,
    at: Timestamp,
) -> Result<bool, AlertError> {
    let Some(follow_ups) = ports.follow_ups else {
        return Ok(false);
    };
    let name = &sha256_hex(seed.as_bytes())[..24];
    follow_ups
        .schedule(&format!("{prefix}-{name}"), alert, at)
        .await?;
    Ok(true)
}

/// A tenant-wide alert about the holds themselves (a window's or the night's end, a digest):
/// no app, tags, link or incident; no text.
fn notice(
    tenant: &str,
    alert_id: String,
    kind: TenantAlertKind,
    level: TenantAlertLevel,
    title: String,
    at: Timestamp,
) -> TenantAlert {
    TenantAlert {
        tenant: tenant.to_owned(),
        alert_id,
        kind,
        level,
        title,
        text: String::new(),
        app: None,
        tags: Vec::new(),
        url: None,
        at,
        ack_incident: None,
        round: None,
        release: None,
    }
}
