//! Announcing transitions: each one's event to the app-events queue, and — within its tenant's
//! alert budget — its alert to the messenger queue and its mail to the admin; then its outbox
//! is cleared. A scanner run with many transitions announces them as one digest (see
//! [`crate::digest`]).
//!
//! Every transition keeps its outbox until it is announced: when a step fails the mail stays in
//! the item and the scanner delivers it again after its lease; an app whose event could not be
//! queued is left out of a digest and retried after its lease; when the digest mail fails,
//! every outbox stays and the next run announces them again (as a digest if still many).

use lookout_core::{error::error_chain, events::AdminAlert};
use lookout_mail::AdminMailer;

use crate::budget::{spend_alert, tenant_scope, Spend};
use crate::digest::{digest_mail, DIGEST_MIN};
use crate::error::HeartbeatError;
use crate::events::{sha256_short, Notify};
use crate::limits::MAX_CAS_ATTEMPTS;
use crate::mail::PendingMail;
use crate::output::ScanReport;
use crate::ports::ApiPorts;
use crate::record::AppRecord;
use crate::state::mail_sent;
use crate::store::apps::Apps;
use crate::store::budgets::Budgets;
use crate::store::Put;

/// Announces the transition `rec` was just written with, when the write `mailed` one: sent
/// now ([`deliver`]); a failure is logged, and the scanner sends the mail again after its
/// lease. What a signal and a ping do once their write is in.
pub(crate) async fn announce_written(ports: &ApiPorts<'_>, rec: &AppRecord, mailed: bool) {
    let Some(mail) = mailed.then(|| PendingMail::of(rec)).flatten() else {
        return;
    };
    if let Err(err) = deliver(ports.apps, ports.budgets, ports.notify, &mail).await {
        tracing::error!(error = %error_chain(&err), "transition mail not sent yet");
    }
}

/// Publishes the transition to the events queue, and — within the tenant's alert budget —
/// its alert to the messenger queue and its mail to the admin; then clears it from the item.
/// When a step fails the mail stays in the item and the scanner delivers it again after its
/// lease.
pub(crate) async fn deliver(
    apps: &dyn Apps,
    budgets: &dyn Budgets,
    to: Notify<'_>,
    mail: &PendingMail,
) -> Result<(), HeartbeatError> {
    // The idempotent steps first (the consumers tell repeats by seq and alert id), the
    // mail last: a retry after a failure re-sends at most what failed.
    if let Some(events) = to.events {
        events.publish(&mail.transition()).await?;
    }
    let scope = tenant_scope(&mail.written.tenant);
    // Counted in the hour of the transition (a mail the scanner resends after its lease
    // counts in its own hour again).
    // Boxed: its requests' state would otherwise sit in every caller's future.
    let spend = Box::pin(spend_alert(
        budgets,
        &scope,
        &mail.subject,
        mail.written.state_changed_at,
    ))
    .await;
    if let Err(err) = &spend {
        // Never silence an alert because its count could not be kept.
        tracing::warn!(error = %error_chain(err), "alert budget not counted; sending");
    }
    if !matches!(spend, Ok(Spend::Folded)) {
        if let Some(events) = to.events {
            events.alert(&mail.alert()).await?;
        }
        send_mail(to.mail, mail).await?;
    }
    clear_outbox(apps, mail).await
}

/// Announces the transition mails of one scanner run: one by one when few, else as one digest
/// (see the module docs).
pub(crate) async fn announce(
    apps: &dyn Apps,
    budgets: &dyn Budgets,
    to: Notify<'_>,
    pending: Vec<PendingMail>,
    report: &mut ScanReport,
) {
    if pending.len() < DIGEST_MIN {
        for mail in pending {
            match deliver(apps, budgets, to, &mail).await {
                Ok(()) => report.mails_sent += 1,
                Err(err) => {
                    report.mail_errors += 1;
                    tracing::error!(app = %mail.written.pk, error = %error_chain(&err), "transition not announced; retried after the lease");
                }
            }
        }
        return;
    }
    let mut ready = Vec::new();
    for mail in pending {
        let published = match to.events {
            Some(events) => events.publish(&mail.transition()).await,
            None => Ok(()),
        };
        match published {
            Ok(()) => ready.push(mail),
            Err(err) => {
                report.mail_errors += 1;
                tracing::error!(app = %mail.written.pk, error = %error_chain(&err), "transition event not queued; retried after the lease");
            }
        }
    }
    if ready.is_empty() {
        return;
    }
    let (subject, body) = digest_mail(&ready);
    let alert = AdminAlert::new(
        format!(
            "digest-{}",
            sha256_short(
                &ready
                    .iter()
                    .map(|m| format!("{}#{}", m.written.pk, m.seq))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        ),
        &format!("{subject}\n\n{body}"),
    );
    let sent = async {
        if let Some(events) = to.events {
            events.alert(&alert).await?;
        }
        to.mail.send_admin(&subject, &body).await?;
        Ok::<(), HeartbeatError>(())
    }
    .await;
    if let Err(err) = sent {
        report.mail_errors += u64::try_from(ready.len()).unwrap_or(u64::MAX);
        tracing::error!(apps = ready.len(), error = %error_chain(&err), "digest not sent; retried after the lease");
        return;
    }
    report.mails_sent += 1;
    report.digests += 1;
    tracing::info!(apps = ready.len(), "digest sent");
    for mail in &ready {
        if let Err(err) = clear_outbox(apps, mail).await {
            // Announced already: a later run may announce it once more.
            report.errors += 1;
            tracing::error!(app = %mail.written.pk, error = %error_chain(&err), "announced outbox not cleared");
        }
    }
}

/// Clears `mail` from its app's outbox, unless a newer transition replaced it (re-decided from
/// the current item on every conflict).
async fn clear_outbox(apps: &dyn Apps, mail: &PendingMail) -> Result<(), HeartbeatError> {
    let mut current = Some(Box::new(mail.written.clone()));
    for _ in 0..MAX_CAS_ATTEMPTS {
        let Some(old) = current else { return Ok(()) };
        let Some(rec) = mail_sent(&old, mail.seq) else {
            return Ok(());
        };
        match apps.put_if(&rec, Some(old.version)).await? {
            Put::Written => return Ok(()),
            Put::Conflict(now_stored) => current = now_stored,
        }
    }
    Err(HeartbeatError::Contention)
}

/// Sends a transition mail through the admin mailer port.
pub(crate) async fn send_mail(
    admin: &dyn AdminMailer,
    mail: &PendingMail,
) -> Result<(), HeartbeatError> {
    admin.send_admin(&mail.subject, &mail.body).await?;
    tracing::info!(
        app = %mail.written.pk,
        kind = ?mail.kind,
        seq = mail.seq,
        "transition mail sent"
    );
    Ok(())
}
