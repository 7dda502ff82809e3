//! Announcing one scanner run's transitions without a flood: up to [`DIGEST_MIN`] - 1 of them
//! go out one by one (a mail, an alert and an event each); from [`DIGEST_MIN`] on, the admin
//! gets one digest mail and one digest alert listing them all, while each app's event still
//! goes to the incidents queue on its own (one incident per app).
//!
//! Every transition keeps its outbox until it is announced: an app whose event could not be
//! queued is left out of the digest and retried after its lease; when the digest mail fails,
//! every outbox stays and the next run announces them again (as a digest if still many).

use lookout_core::events::AdminAlert;

use super::*;

/// Transitions in one run from which they are announced as one digest.
pub const DIGEST_MIN: usize = 3;
/// Apps listed by name in a digest; the rest are counted.
pub const DIGEST_LISTED: usize = 100;

impl HeartbeatStore {
    /// Announces the transition mails of one scanner run (see the module docs).
    pub(crate) async fn announce(
        &self,
        to: Notify<'_>,
        pending: Vec<PendingMail>,
        report: &mut ScanReport,
    ) {
        if pending.len() < DIGEST_MIN {
            for mail in pending {
                match self.deliver(to, &mail).await {
                    Ok(()) => report.mails_sent += 1,
                    Err(err) => {
                        report.mail_errors += 1;
                        tracing::error!(app = %mail.written.pk, error = %lookout_core::error::error_chain(&err), "transition not announced; retried after the lease");
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
                    tracing::error!(app = %mail.written.pk, error = %lookout_core::error::error_chain(&err), "transition event not queued; retried after the lease");
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
            tracing::error!(apps = ready.len(), error = %lookout_core::error::error_chain(&err), "digest not sent; retried after the lease");
            return;
        }
        report.mails_sent += 1;
        report.digests += 1;
        tracing::info!(apps = ready.len(), "digest sent");
        for mail in &ready {
            if let Err(err) = self.clear_outbox(mail).await {
                // Announced already: a later run may announce it once more.
                report.errors += 1;
                tracing::error!(app = %mail.written.pk, error = %lookout_core::error::error_chain(&err), "announced outbox not cleared");
            }
        }
    }
}

/// One mail for many transitions: counts in the subject, one line per app in the body. The
/// text is a function of the transitions alone (never of the scan's time), as is the alert's
/// id: a digest announced again after a failed send is the same alert, which the messenger
/// consumer takes as a repeat instead of refusing a reused key with other text.
pub(crate) fn digest_mail(mails: &[PendingMail]) -> (String, String) {
    let down = mails.iter().filter(|m| m.kind == MailKind::Down).count();
    let up = mails.len() - down;
    let subject = match (down, up) {
        (d, 0) => format!("[Lookout] {d} apps DOWN"),
        (0, u) => format!("[Lookout] {u} apps back UP"),
        (d, u) => format!("[Lookout] {d} apps DOWN, {u} back UP"),
    };
    let latest = mails.iter().map(|m| m.written.state_changed_at).max();
    let mut body = match latest {
        Some(t) => format!("{} transitions, the latest at {t}.\n\n", mails.len()),
        None => String::new(),
    };
    for m in mails.iter().take(DIGEST_LISTED) {
        let rec = &m.written;
        let what = match m.kind {
            MailKind::Down => format!(
                "DOWN  {} ({}): {}",
                rec.app_id,
                rec.tenant,
                rec.down_reason.as_deref().unwrap_or(SILENT)
            ),
            MailKind::Up => format!("UP    {} ({}) is back", rec.app_id, rec.tenant),
        };
        body.push_str(&what);
        body.push('\n');
    }
    if mails.len() > DIGEST_LISTED {
        body.push_str(&format!("… and {} more.\n", mails.len() - DIGEST_LISTED));
    }
    body.push_str("\nEach app's state: GET /admin/heartbeat_apps?tenant=<tenant>.\n");
    (subject, body)
}
