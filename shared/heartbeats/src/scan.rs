//! The silent-app scanner's run (every minute): reads only what is due (the sparse `due`
//! index), marks silent `up` apps `down`, resends mails whose sender died, tells mass silence
//! from outages (see [`crate::ingestion`]), announces what changed (see [`crate::announce`]), and
//! sends the alert budgets' digests whose hour is over. Failures are counted in the report and
//! logged; they never stop the run.

use lookout_core::{error::error_chain, time::Timestamp};

use crate::announce::announce;
use crate::budget::send_budget_digest;
use crate::ingestion::{goes_down, judge_ingestion, notify_ingestion, Ingestion};
use crate::limits::{MAX_CAS_ATTEMPTS, MAX_DUE_PER_RUN};
use crate::mail::PendingMail;
use crate::output::ScanReport;
use crate::ports::ScanPorts;
use crate::record::AppRecord;
use crate::state::{on_due, DueStep};
use crate::store::apps::Apps;
use crate::store::Put;

/// One scanner run at `now` (see the module docs).
pub async fn scan(ports: &ScanPorts<'_>, now: Timestamp) -> ScanReport {
    // On the heap: a run's state (its due apps, ingestion check, digests) is large, and
    // callers await it on small stacks.
    Box::pin(scan_run(ports, now)).await
}

async fn scan_run(ports: &ScanPorts<'_>, now: Timestamp) -> ScanReport {
    let mut report = ScanReport {
        now: now.to_rfc3339(),
        ..ScanReport::default()
    };
    let due = ports.due.read_due(now, MAX_DUE_PER_RUN, &mut report).await;
    // Many apps silent at once may be heartbeats that could not reach us, not outages
    // (see `ingestion`): their DOWN transitions are then held, or rearmed on recovery.
    let silent: Vec<&AppRecord> = due.apps.iter().filter(|r| goes_down(r, now)).collect();
    let (ingestion, health) =
        judge_ingestion(ports.ingestion, ports.due, &silent, now, &mut report).await;
    let mut pending = Vec::new();
    for rec in due.apps {
        match ingestion {
            Ingestion::Hold if goes_down(&rec, now) => {
                report.held += 1;
                continue;
            }
            Ingestion::Recovered if goes_down(&rec, now) => {
                rearm_silent(ports.apps, rec, now, &mut report).await;
                continue;
            }
            _ => {}
        }
        if let Some(mail) = handle_due(ports.apps, rec, now, &mut report).await {
            pending.push(mail);
        }
    }
    announce(
        ports.apps,
        ports.budgets,
        ports.notify,
        pending,
        &mut report,
    )
    .await;
    notify_ingestion(ports.ingestion, ports.notify, health, &mut report).await;
    for budget in due.budgets {
        send_budget_digest(ports.budgets, ports.notify, budget, &mut report).await;
    }
    report
}

/// Acts on one due app; returns the transition mail to announce, if any. `snapshot` comes
/// from the index (eventually consistent): every decision is written conditioned on its
/// version, and re-decided from the current item when that fails, so concurrent runs (and
/// heartbeats) never both win.
async fn handle_due(
    apps: &dyn Apps,
    snapshot: AppRecord,
    now: Timestamp,
    report: &mut ScanReport,
) -> Option<PendingMail> {
    let mut current = Some(Box::new(snapshot));
    for _ in 0..MAX_CAS_ATTEMPTS {
        let old = current.take()?;
        let step = on_due(&old, now);
        let retry = matches!(step, DueStep::RetryMail(_));
        let (rec, went_down) = match step {
            DueStep::Nothing => return None,
            DueStep::WentDown(rec) => (rec, true),
            DueStep::RetryMail(rec) => (rec, false),
            DueStep::Settle(rec) => (rec, false),
            DueStep::DropMail(rec) => {
                tracing::error!(app = %old.pk, outbox = ?old.outbox, "giving up on a transition mail");
                (rec, false)
            }
            DueStep::Rearm(rec) => (rec, false),
        };
        match apps.put_if(&rec, Some(old.version)).await {
            Ok(Put::Written) => {}
            Ok(Put::Conflict(now_stored)) => {
                report.conflicts += 1;
                current = now_stored;
                continue;
            }
            Err(err) => {
                report.errors += 1;
                tracing::error!(app = %old.pk, error = %error_chain(&err), "scanner write failed");
                return None;
            }
        }
        // Announced by this step (a transition, a settled cooldown, a retry), not a mail
        // that another writer still holds the lease of.
        let fresh = rec.outbox.as_ref().is_some_and(|o| o.seq == rec.version);
        if went_down {
            report.went_down += 1;
        } else if retry {
            report.retried += 1;
        } else if old.outbox.is_some() && rec.outbox.is_none() {
            report.mails_dropped += 1;
        }
        return if retry || fresh {
            PendingMail::of(&rec)
        } else {
            None
        };
    }
    report.errors += 1;
    tracing::error!("too many conflicts on one due app");
    None
}

/// Gives a silent app one more period (and grace) from `now`: its beats may have been lost
/// while ingestion was degraded. A conflict (it beat meanwhile) leaves it as it is.
async fn rearm_silent(apps: &dyn Apps, old: AppRecord, now: Timestamp, report: &mut ScanReport) {
    let mut rec = old.clone();
    rec.version += 1;
    rec.deadline = rec.next_deadline(now);
    rec.refresh_due();
    match apps.put_if(&rec, Some(old.version)).await {
        Ok(Put::Written) => report.rearmed += 1,
        Ok(Put::Conflict(_)) => report.conflicts += 1,
        Err(err) => {
            report.errors += 1;
            tracing::error!(app = %old.pk, error = %error_chain(&err), "silent app not rearmed; the next scan decides again");
        }
    }
}
