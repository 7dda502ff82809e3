//! Alert budgets (#30): how many alerts one tenant's heartbeat apps, or one incident app, may
//! send the admin per hour. Past its budget an alert is not sent on its own: it is folded into
//! one digest for that scope and hour, which the scanner sends when the hour is over. Nothing
//! is dropped silently: the digest counts every folded alert and lists the first
//! [`BUDGET_LINES`]; the apps' transitions still reach the incidents queue one by one (the
//! incidents are records, not notifications), and each incident keeps its own record.
//!
//! One item per scope and hour in the heartbeat table: `pk` = `BUDGET#<scope>#<hour start, ms>`
//! with `n` (alerts asked for), `folded`, `lines`, the budget in force, and — once something is
//! folded — `dueShard`/`dueAt` (the hour's end) on the scanner's `due` index, so the digest
//! costs no extra query. Spending is one UpdateItem per alert (two when it is folded); a retried
//! announcement spends again (a count may be high, never short).

use aws_sdk_dynamodb::types::ReturnValue;
use lookout_core::events::AdminAlert;

use super::*;

/// Folded alerts a digest lists by their subject; the rest are counted.
pub const BUDGET_LINES: usize = 50;
const HOUR_MS: i64 = 3_600_000;

/// A scope's alerts of one hour.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BudgetRecord {
    pub(crate) pk: String,
    pub(crate) scope: String,
    /// Start of the hour, epoch ms.
    pub(crate) hour: i64,
    /// Alerts per hour in force when the first one was counted.
    pub(crate) budget: u32,
    #[serde(default)]
    pub(crate) n: u64,
    #[serde(default)]
    pub(crate) folded: u64,
    #[serde(default)]
    pub(crate) lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) due_at: Option<i64>,
}

/// Whether an alert may go out on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    Allowed,
    /// Past the budget: counted into the hour's digest.
    Folded,
}

/// The budget scope of a tenant's heartbeat alerts.
pub fn tenant_scope(tenant: &str) -> String {
    format!("tenant {tenant}")
}

/// The budget scope of an incident app's alerts.
pub fn incident_app_scope(app: &str) -> String {
    format!("incident app {app}")
}

pub(crate) fn is_budget_pk(pk: &str) -> bool {
    pk.starts_with("BUDGET#")
}

impl HeartbeatStore {
    /// The same store with another alert budget per scope and hour.
    pub fn with_alert_budget(mut self, per_hour: u32) -> Self {
        self.alerts_per_hour = per_hour;
        self
    }

    /// Counts one alert of `scope` at `now`; past the budget it is folded into the hour's
    /// digest under `line` (its subject).
    pub async fn spend_alert(
        &self,
        scope: &str,
        line: &str,
        now: Timestamp,
    ) -> Result<Spend, HeartbeatError> {
        let hour = millis(now).div_euclid(HOUR_MS) * HOUR_MS;
        let pk = format!("BUDGET#{scope}#{hour}");
        let expires = (hour + 3 * 86_400_000) / 1000;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.clone()))
            .update_expression(
                "ADD n :one SET #scope = :scope, #hour = :hour, expiresAt = :exp, \
                 budget = if_not_exists(budget, :budget)",
            )
            .expression_attribute_names("#scope", "scope")
            .expression_attribute_names("#hour", "hour")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":scope", AttributeValue::S(scope.to_owned()))
            .expression_attribute_values(":hour", AttributeValue::N(hour.to_string()))
            .expression_attribute_values(":exp", AttributeValue::N(expires.to_string()))
            .expression_attribute_values(
                ":budget",
                AttributeValue::N(self.alerts_per_hour.to_string()),
            )
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(StoreError::from)?;
        let rec: BudgetRecord = out
            .attributes
            .map(serde_dynamo::from_item)
            .transpose()?
            .ok_or_else(|| StoreError::invariant("UpdateItem returned no attributes"))?;
        if rec.n <= u64::from(rec.budget) {
            return Ok(Spend::Allowed);
        }
        // Folded: counted, listed while there is room, and due at the hour's end.
        let end = hour + HOUR_MS;
        let listed = rec.lines.len() < BUDGET_LINES;
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.clone()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":due", AttributeValue::N(end.to_string()))
            .expression_attribute_values(":shard", AttributeValue::S(shard_of(&pk)));
        req = if listed {
            req.update_expression(
                "ADD folded :one SET dueAt = :due, dueShard = :shard, \
                 #lines = list_append(if_not_exists(#lines, :none), :line)",
            )
            .expression_attribute_names("#lines", "lines")
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(
                ":line",
                AttributeValue::L(vec![AttributeValue::S(line.to_owned())]),
            )
        } else {
            req.update_expression("ADD folded :one SET dueAt = :due, dueShard = :shard")
        };
        req.send().await.map_err(StoreError::from)?;
        tracing::warn!(scope, "alert budget used up: folded into the hour's digest");
        Ok(Spend::Folded)
    }

    /// Publishes the transition to the events queue, and — within the tenant's alert budget —
    /// its alert to the messenger queue and its mail to the admin; then clears it from the item.
    /// When a step fails the mail stays in the item and the scanner delivers it again after its
    /// lease.
    pub async fn deliver(&self, to: Notify<'_>, mail: &PendingMail) -> Result<(), HeartbeatError> {
        // The idempotent steps first (the consumers tell repeats by seq and alert id), the
        // mail last: a retry after a failure re-sends at most what failed.
        if let Some(events) = to.events {
            events.publish(&mail.transition()).await?;
        }
        let scope = tenant_scope(&mail.written.tenant);
        // Counted in the hour of the transition (a mail the scanner resends after its lease
        // counts in its own hour again).
        // Boxed: its requests' state would otherwise sit in every caller's future.
        let spend =
            Box::pin(self.spend_alert(&scope, &mail.subject, mail.written.state_changed_at)).await;
        if let Err(err) = &spend {
            // Never silence an alert because its count could not be kept.
            tracing::warn!(error = %lookout_core::error::error_chain(err), "alert budget not counted; sending");
        }
        if !matches!(spend, Ok(Spend::Folded)) {
            if let Some(events) = to.events {
                events.alert(&mail.alert()).await?;
            }
            send_mail(to.mail, mail).await?;
        }
        self.clear_outbox(mail).await
    }

    /// Sends the digest of a scope's folded alerts once their hour is over (the scanner finds
    /// the item on the `due` index), then takes it off the index. A failure leaves it due: the
    /// next scan sends it again (the alert is keyed by the item).
    pub(crate) async fn send_budget_digest(
        &self,
        to: Notify<'_>,
        item: HashMap<String, AttributeValue>,
        report: &mut ScanReport,
    ) {
        let rec: BudgetRecord = match serde_dynamo::from_item(item) {
            Ok(r) => r,
            Err(err) => {
                report.errors += 1;
                tracing::error!(error = %err, "unreadable alert budget item");
                return;
            }
        };
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
            tracing::error!(scope = rec.scope, error = %lookout_core::error::error_chain(&err), "budget digest not sent; retried by the next scan");
            return;
        }
        report.mails_sent += 1;
        report.digests += 1;
        let cleared = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(rec.pk.clone()))
            .update_expression("REMOVE dueAt, dueShard")
            .send()
            .await;
        if let Err(err) = cleared {
            report.errors += 1;
            tracing::error!(error = %lookout_core::error::error_chain(&err), "sent budget digest not cleared; may be sent once more");
        }
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
