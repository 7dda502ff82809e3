//! Holding alerts back (see `crate::deliver`): a maintenance window's (`crate::window`) and a
//! down parent's (the routes' `dependencies`), and releasing what is still wrong when the
//! window ends or the parent is back.

use lookout_core::auth::sha256_hex;
use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};

use crate::deliver::{deliver, DeliverPorts, MIN_SCHEDULE_AHEAD_MS};
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
        tenant: tenant.to_owned(),
        alert_id: format!("release-{key}"),
        kind: alert.kind,
        level: TenantAlertLevel::Info,
        title: format!("maintenance window {} ends", window.name),
        text: String::new(),
        app: None,
        tags: Vec::new(),
        url: None,
        at: until,
        ack_incident: None,
        round: None,
        release: Some(key.clone()),
    };
    match ports.follow_ups {
        Some(follow_ups) => {
            let name = &sha256_hex(format!("{tenant}\n{key}").as_bytes())[..24];
            follow_ups
                .schedule(&format!("window-{name}"), &end, until)
                .await?;
        }
        None => {
            tracing::warn!(tenant, window = %window.name, "no scheduler: held until a later release")
        }
    }
    tracing::info!(tenant, app = %child, window = %window.name, %until, "held: maintenance window");
    Ok(true)
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
            match ports.follow_ups {
                Some(follow_ups) => {
                    let name =
                        &sha256_hex(format!("{tenant}\n{key}\n{}", child.alert_id).as_bytes())
                            [..24];
                    let at = ports
                        .clock
                        .now()
                        .plus_millis(MIN_SCHEDULE_AHEAD_MS)
                        .unwrap_or(child.at);
                    follow_ups
                        .schedule(&format!("held-{name}"), &child, at)
                        .await?;
                }
                None => {
                    Box::pin(deliver(ports, &child)).await?;
                }
            }
            tracing::info!(tenant, app = %h.child, held_by = key, "held alert released: still wrong");
        }
        ports.store.unhold(tenant, &h.parent, &h.child).await?;
    }
    Ok(())
}
