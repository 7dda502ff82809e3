//! Reporting an incident (`POST /incidents`, seed 001), top to bottom: check the app's code,
//! group the occurrence (a repeat of an unresolved incident counts there; anything else opens
//! a new incident, enriched with the app's context), and tell the admin about a new one.
//! The grouping itself is [`record_occurrence`], which heartbeat outages share.

use lookout_core::{error::error_chain, quota::QuotaExceeded, time::Clock};
use lookout_mail::AdminMailer;

use crate::apps::authenticate;
use crate::error::IncidentError;
use crate::input::{AppLinks, NewIncident, SentryEvent};
use crate::notify::announce;
use crate::occurrence::record_occurrence;
use crate::ports::{AdminChat, AlertBudget, AppContext, Spend};
use crate::records::{App, Incident, Reported};
use crate::snapshot::Enrichment;
use crate::store::table::IncidentTable;
use crate::tenant_alerts::{incident_alert, TenantAlerts};

/// Lines of the app's own log attached to a new incident.
pub const RECENT_LINES: usize = 20;

/// What a new incident records when its app's alert budget held the mail back.
const HELD_BACK: &str = "held back: the app's alert budget for the hour is used up; listed in \
                         the hourly digest";

/// What reporting uses, besides the report.
#[derive(Debug, Clone, Copy)]
pub struct ReportPorts<'a> {
    /// The incidents table's stores.
    pub store: &'a dyn IncidentTable,
    /// Where a new incident's context comes from.
    pub context: &'a dyn AppContext,
    pub budget: &'a dyn AlertBudget,
    /// The admin's mail; `None` when not configured.
    pub mail: Option<&'a dyn AdminMailer>,
    /// The admin's chat; `None` when not configured.
    pub chat: Option<&'a dyn AdminChat>,
    /// The tenants' alerts queue; `None` when not configured. A new incident of an app linked
    /// to a tenant (`heartbeat_tenant`) raises that tenant's alert.
    pub alerts: Option<&'a dyn TenantAlerts>,
    pub clock: &'a dyn Clock,
}

/// Reports one occurrence of an incident: [`IncidentError::Invalid`] for a bad report,
/// [`IncidentError::BadCode`] for an unknown app or a wrong code. A new incident
/// (`grouped: false`) is enriched with the app's context and announced to the admin, linking
/// `console_url`; a repeat is only counted.
pub async fn report(
    ports: &ReportPorts<'_>,
    mut input: NewIncident,
    console_url: Option<&str>,
) -> Result<Reported, IncidentError> {
    input.validate()?;
    let app = authenticate(ports.store.apps(), &input.app_name, &input.code).await?;
    occur(ports, &app, &input, console_url).await
}

/// Reports one event a Sentry SDK sent for `app` (found by its DSN,
/// [`crate::authenticate_dsn`]), grouped by the event's own key; otherwise as [`report`]: a
/// new incident is enriched, keeps the event's details and is announced; a repeat is counted.
///
/// Each event counts in the app's daily quota (its own `events_per_day`, else
/// `events_per_day`): past it, [`IncidentError::Quota`] until the next UTC day, nothing
/// recorded.
pub async fn report_event(
    ports: &ReportPorts<'_>,
    app: &App,
    event: SentryEvent,
    events_per_day: u32,
    console_url: Option<&str>,
) -> Result<Reported, IncidentError> {
    let input = event.into_incident(&app.name)?;
    let now = ports.clock.now();
    let limit = app.events_per_day.unwrap_or(events_per_day);
    let stamp = now.to_rfc3339();
    let day = stamp.get(..10).unwrap_or(&stamp);
    if !ports.store.events().take(&app.name, day, limit).await? {
        return Err(QuotaExceeded::daily(
            format!(
                "app {:?} has sent its {limit} Sentry events for today (UTC)",
                app.name
            ),
            now,
        )
        .into());
    }
    occur(ports, app, &input, console_url).await
}

/// Groups one occurrence of `app`'s incident, and announces a new incident.
async fn occur(
    ports: &ReportPorts<'_>,
    app: &App,
    input: &NewIncident,
    console_url: Option<&str>,
) -> Result<Reported, IncidentError> {
    let now = ports.clock.now();
    let (reported, created) = record_occurrence(
        ports.store.groups(),
        ports.store.incidents(),
        input,
        now,
        enrich(ports.context, &app.links),
    )
    .await?;
    if let Some(incident) = &created {
        notify(ports, incident, console_url).await;
        if let (Some(alerts), Some(tenant)) = (ports.alerts, app.links.heartbeat_tenant.as_deref())
        {
            // Best effort, as the admin's mail: the incident is recorded either way.
            if let Err(err) = alerts
                .raise(&incident_alert(tenant, incident, console_url))
                .await
            {
                tracing::error!(error = %error_chain(err.as_ref()), id = incident.id, "tenant alert not queued");
            }
        }
    }
    Ok(reported)
}

/// The app's recent log lines and heartbeat state, where it is linked to them. Best effort:
/// what cannot be read is logged and left out, never a reason to lose the incident.
async fn enrich(context: &dyn AppContext, links: &AppLinks) -> Enrichment {
    let mut e = Enrichment::default();
    if let Some(user) = links.log_user.as_deref() {
        match context
            .recent_logs(user, links.log_process.as_deref(), RECENT_LINES)
            .await
        {
            Ok(lines) => e.recent_logs = lines,
            Err(err) => {
                tracing::warn!(error = %error_chain(err.as_ref()), "recent logs unavailable")
            }
        }
    }
    if let (Some(tenant), Some(app_id)) = (
        links.heartbeat_tenant.as_deref(),
        links.heartbeat_app_id.as_deref(),
    ) {
        match context.heartbeat(tenant, app_id).await {
            Ok(state) => e.heartbeat = state,
            Err(err) => {
                tracing::warn!(error = %error_chain(err.as_ref()), "heartbeat state unavailable")
            }
        }
    }
    e
}

/// Tells the admin about a new incident, within its app's hourly alert budget (past it, the
/// incident waits for the hourly digest), and records on it whether the mail went out.
async fn notify(ports: &ReportPorts<'_>, incident: &Incident, console_url: Option<&str>) {
    let line = format!(
        "{} [{}] {} (id {})",
        incident.app_name,
        incident.level.as_str(),
        incident.title,
        incident.id
    );
    let held = match ports
        .budget
        .spend(&incident.app_name, &line, ports.clock.now())
        .await
    {
        Ok(Spend::Folded) => true,
        Ok(Spend::Allowed) => false,
        // Never silence an alert because its count could not be kept.
        Err(err) => {
            tracing::warn!(error = %error_chain(err.as_ref()), "alert budget not counted; sending");
            false
        }
    };
    let outcome = if held {
        Some(Some(HELD_BACK.to_owned()))
    } else {
        // `None`: no mail configured, nothing to record.
        announce(ports.mail, ports.chat, incident, console_url).await
    };
    if let Some(outcome) = outcome {
        if let Err(err) = ports
            .store
            .incidents()
            .mark_notified(&incident.id, outcome)
            .await
        {
            tracing::error!(error = %error_chain(&err), id = incident.id, "recording notification failed");
        }
    }
}
