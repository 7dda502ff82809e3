//! Alert budgets (#30): how many alerts one tenant's heartbeat apps, or one incident app, may
//! send the admin per hour. Past its budget an alert is not sent on its own: it is folded into
//! one digest for that scope and hour, which the scanner sends when the hour is over. Nothing
//! is dropped silently: the digest counts every folded alert and lists the first
//! [`BUDGET_LINES`]; the apps' transitions still reach the incidents queue one by one (the
//! incidents are records, not notifications), and each incident keeps its own record.
//!
//! One item per scope and hour in the heartbeat table ([`Budgets`]). Spending is one
//! UpdateItem per alert (two when it is folded); a retried announcement spends again (a count
//! may be high, never short).

use lookout_core::{error::error_chain, events::AdminAlert, time::Timestamp};

use crate::error::HeartbeatError;
use crate::events::{sha256_short, Notify};
use crate::output::ScanReport;
use crate::store::budgets::{BudgetRecord, Budgets};
use crate::time::from_millis;

/// Folded alerts a digest lists by their subject; the rest are counted.
pub(crate) const BUDGET_LINES: usize = 50;

/// Whether an alert may go out on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    Allowed,
    /// Past the budget: counted into the hour's digest.
    Folded,
}

/// The budget scope of a tenant's heartbeat alerts.
pub(crate) fn tenant_scope(tenant: &str) -> String {
    format!("tenant {tenant}")
}

/// The budget scope of an incident app's alerts.
pub fn incident_app_scope(app: &str) -> String {
    format!("incident app {app}")
}

/// Counts one alert of `scope` at `now`; past the budget it is folded into the hour's digest
/// under `line` (its subject), listed while the digest has room.
pub(crate) async fn spend_alert(
    budgets: &dyn Budgets,
    scope: &str,
    line: &str,
    now: Timestamp,
) -> Result<Spend, HeartbeatError> {
    let rec = budgets.count(scope, now).await?;
    if rec.n <= u64::from(rec.budget) {
        return Ok(Spend::Allowed);
    }
    let listed = rec.lines.len() < BUDGET_LINES;
    budgets.fold(&rec, listed.then_some(line)).await?;
    tracing::warn!(scope, "alert budget used up: folded into the hour's digest");
    Ok(Spend::Folded)
}

/// Sends the digest of a scope's folded alerts once their hour is over (the scanner finds
/// the item on the `due` index), then takes it off the index. A failure leaves it due: the
/// next scan sends it again (the alert is keyed by the item).
pub(crate) async fn send_budget_digest(
    budgets: &dyn Budgets,
    to: Notify<'_>,
    rec: BudgetRecord,
    report: &mut ScanReport,
) {
    let (subject, body) = budget_digest(&rec);
    let sent = async {
        if let Some(events) = to.events {
            // Keyed by the item and its count: a later digest of the same hour (an alert
            // folded after the first was sent) is another alert, never a reused key.
            let id = format!("budget-{}-{}", sha256_short(&rec.pk), rec.folded);
            events
                .alert(&AdminAlert::new(id, &format!("{subject}\n\n{body}")))
                .await?;
        }
        to.mail.send_admin(&subject, &body).await?;
        Ok::<(), HeartbeatError>(())
    }
    .await;
    if let Err(err) = sent {
        report.mail_errors += 1;
        tracing::error!(scope = rec.scope, error = %error_chain(&err), "budget digest not sent; retried by the next scan");
        return;
    }
    report.mails_sent += 1;
    report.digests += 1;
    if let Err(err) = budgets.clear_due(&rec.pk).await {
        report.errors += 1;
        tracing::error!(error = %error_chain(&err), "sent budget digest not cleared; may be sent once more");
    }
}

/// The digest of one scope's folded alerts: a function of the stored record alone.
pub(crate) fn budget_digest(rec: &BudgetRecord) -> (String, String) {
    let from = from_millis(rec.hour);
    let subject = format!(
        "[Lookout] {}: {} more alerts in the hour from {from} (over its budget of {} an hour)",
        rec.scope, rec.folded, rec.budget
    );
    let mut body = format!(
        "In the hour from {from}, {} raised {} alerts: the first {} were sent as they came, \
         these {} were held back under its alert budget of {} an hour.\n\n",
        rec.scope,
        rec.n,
        rec.n.saturating_sub(rec.folded),
        rec.folded,
        rec.budget
    );
    for line in &rec.lines {
        body.push_str(line);
        body.push('\n');
    }
    let unlisted = rec.folded.saturating_sub(rec.lines.len() as u64);
    if unlisted > 0 {
        body.push_str(&format!("… and {unlisted} more.\n"));
    }
    body.push_str(
        "\nEvery app's state: GET /admin/heartbeat_apps?tenant=<tenant>; incidents: \
         GET /admin/incidents. The budget is the AlertsPerHour stack parameter.\n",
    );
    (subject, body)
}
