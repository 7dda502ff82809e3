//! Telling "the apps went silent" from "their heartbeats could not reach us" (#30).
//!
//! API Gateway's route throttles apply before authentication and are shared by every tenant:
//! a flood of requests without a key can make every tenant's heartbeats 429, and after
//! period + grace every app would look silent. A scan in which many apps go silent at once,
//! across most tenants, is therefore not read as many outages but as **degraded ingestion**:
//!
//! - the per-app DOWN transitions are held (the apps stay `up` and due; nothing is mailed or
//!   queued for them), and the admin gets one alert about degraded ingestion;
//! - while it lasts, later scans hold the silent apps too, and alert nothing new;
//! - when a scan finds the silence over (the beats came back), the admin gets one recovery
//!   notice, and every app still silent is given a fresh deadline (one period + grace from
//!   now) instead of a DOWN: its beats may have been lost in the flood. An app that stays
//!   silent after that goes DOWN as usual.
//!
//! "Many at once, across most tenants": at least [`DEGRADED_MIN_APPS`] apps go silent in one
//! scan, they are at least half of all watched apps, and more than half of the tenants with
//! watched apps have at least half of theirs silent. The last rule keeps one tenant, which can
//! silence its own apps at will, from holding another tenant's alerts.
//!
//! The state lives in one item of the heartbeat table ([`IngestionRecords`]), written with
//! conditions so that concurrent scans agree on one degradation and one recovery, each
//! announced once (its notice is retried by later scans until sent).

use std::collections::BTreeMap;

use lookout_core::{error::error_chain, events::AdminAlert, time::Timestamp};

use crate::error::HeartbeatError;
use crate::events::Notify;
use crate::output::ScanReport;
use crate::record::AppRecord;
use crate::state::{on_due, DueStep};
use crate::store::due::DueItems;
use crate::store::ingestion::{
    HealthRecord, IngestionRecords, WatchedRecord, HEALTH_PK, WATCHED_PK,
};
use crate::time::{from_millis, millis};

/// Apps going silent in one scan from which it may be degraded ingestion.
pub(crate) const DEGRADED_MIN_APPS: usize = 10;
/// Pages of the `due` index read at most to count the watched apps; past it the count is
/// unknown and the scan announces as usual (never silence on a failed check).
const MAX_COUNT_PAGES: usize = 200;
/// How long a count is trusted to rule a mass silence out without counting again: a scan
/// with many silent apps that are clearly under half of it reads one item, not the index.
const COUNT_FRESH_MS: i64 = 3_600_000;

/// What a scan does with its silent apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ingestion {
    /// Announce every transition as usual.
    Normal,
    /// Hold the silent apps' DOWN transitions.
    Hold,
    /// The degradation just ended: give the silent apps a fresh deadline.
    Recovered,
}

/// Whether `rec` goes down at `now` (silent past its deadline, or a run past its runtime).
pub(crate) fn goes_down(rec: &AppRecord, now: Timestamp) -> bool {
    matches!(on_due(rec, now), DueStep::WentDown(_))
}

/// Decides what this scan does with its silent apps (see the module docs), recording a
/// degradation or a recovery; `silent` are the apps that go down at `now`.
pub(crate) async fn judge_ingestion(
    ingestion: &dyn IngestionRecords,
    due: &dyn DueItems,
    silent: &[&AppRecord],
    now: Timestamp,
    report: &mut ScanReport,
) -> (Ingestion, Option<HealthRecord>) {
    let stored = match ingestion.health().await {
        Ok(h) => h,
        Err(err) => {
            report.errors += 1;
            tracing::error!(error = %error_chain(&err), "ingestion health unreadable");
            None
        }
    };
    let was_degraded = stored.as_ref().is_some_and(HealthRecord::degraded);
    let mass = if silent.len() >= DEGRADED_MIN_APPS {
        match watched(ingestion, due, silent.len(), now).await {
            Ok(Some(watched)) => Some(mass_silence(silent, &watched)),
            Ok(None) => None,
            Err(err) => {
                report.errors += 1;
                tracing::error!(error = %error_chain(&err), "watched apps not counted");
                None
            }
        }
    } else {
        Some(None)
    };
    match (mass, was_degraded) {
        // Many silent at once: degraded (entered now, or still).
        (Some(Some((silent, watched))), _) => {
            report.degraded = true;
            if was_degraded {
                return (Ingestion::Hold, stored);
            }
            let rec = HealthRecord {
                pk: HEALTH_PK.to_owned(),
                state: "degraded".to_owned(),
                since: millis(now),
                silent,
                watched,
                recovered_at: None,
                notified: false,
            };
            match ingestion.put_health(&rec, stored.as_ref()).await {
                Ok(Some(current)) => (Ingestion::Hold, Some(current)),
                Ok(None) => {
                    tracing::warn!(silent, watched, "degraded ingestion: DOWN alerts held");
                    (Ingestion::Hold, Some(rec))
                }
                Err(err) => {
                    report.errors += 1;
                    tracing::error!(error = %error_chain(&err), "degradation not recorded; held this scan");
                    (Ingestion::Hold, None)
                }
            }
        }
        // The silence is over: recover (once, whichever scan wins).
        (Some(None), true) => {
            let Some(old) = stored else {
                return (Ingestion::Normal, None);
            };
            let rec = HealthRecord {
                state: "normal".to_owned(),
                recovered_at: Some(millis(now)),
                notified: false,
                ..old.clone()
            };
            match ingestion.put_health(&rec, Some(&old)).await {
                Ok(None) => {
                    tracing::info!("ingestion recovered");
                    (Ingestion::Recovered, Some(rec))
                }
                // Another scan recovered it meanwhile and gives the fresh deadlines: this
                // one leaves the silent apps to the next scan.
                Ok(Some(current)) => (Ingestion::Hold, Some(current)),
                Err(err) => {
                    report.errors += 1;
                    tracing::error!(error = %error_chain(&err), "recovery not recorded; held this scan");
                    (Ingestion::Hold, Some(old))
                }
            }
        }
        // Degraded, and the count failed: stay degraded.
        (None, true) => {
            report.degraded = true;
            (Ingestion::Hold, stored)
        }
        (Some(None) | None, false) => (Ingestion::Normal, stored),
    }
}

/// Sends the stored state's notice (mail and messenger alert) if it was not sent yet.
pub(crate) async fn notify_ingestion(
    ingestion: &dyn IngestionRecords,
    to: Notify<'_>,
    health: Option<HealthRecord>,
    report: &mut ScanReport,
) {
    let Some(health) = health.filter(|h| !h.notified) else {
        return;
    };
    let (id, subject, body) = notice(&health);
    let sent = async {
        if let Some(events) = to.events {
            events
                .alert(&AdminAlert::new(
                    id.clone(),
                    &format!("{subject}\n\n{body}"),
                ))
                .await?;
        }
        to.mail.send_admin(&subject, &body).await?;
        Ok::<(), HeartbeatError>(())
    }
    .await;
    match sent {
        Ok(()) => {
            report.mails_sent += 1;
            let done = HealthRecord {
                notified: true,
                ..health.clone()
            };
            if let Err(err) = ingestion.put_health(&done, Some(&health)).await {
                // Sent: a later scan may send it once more (the alert is keyed).
                report.errors += 1;
                tracing::error!(error = %error_chain(&err), "ingestion notice sent but not recorded");
            }
        }
        Err(err) => {
            report.mail_errors += 1;
            tracing::error!(alert_id = id, error = %error_chain(&err), "ingestion notice not sent; retried by the next scan");
        }
    }
}

/// Watched apps per tenant for a scan with `silent` silent apps: the last count when it is
/// recent and `silent` is clearly under half of it (no mass silence either way), else a fresh
/// count from the `due` index (kept for the next scans; `None` past [`MAX_COUNT_PAGES`]).
async fn watched(
    ingestion: &dyn IngestionRecords,
    due: &dyn DueItems,
    silent: usize,
    now: Timestamp,
) -> Result<Option<BTreeMap<String, u64>>, HeartbeatError> {
    let last = ingestion.last_watched().await?;
    let silent = u64::try_from(silent).unwrap_or(u64::MAX);
    if let Some(last) = last {
        if millis(now) - last.at < COUNT_FRESH_MS && silent * 2 < last.total {
            return Ok(Some(last.tenants));
        }
    }
    let fresh = due.watched_by_tenant(MAX_COUNT_PAGES).await?;
    if let Some(tenants) = &fresh {
        let rec = WatchedRecord {
            pk: WATCHED_PK.to_owned(),
            at: millis(now),
            total: tenants.values().sum(),
            tenants: tenants.clone(),
        };
        if let Err(err) = ingestion.put_watched(&rec).await {
            tracing::warn!(error = %error_chain(&err), "count of watched apps not kept");
        }
    }
    Ok(fresh)
}

/// The notice of `health`'s state: its alert id and text are a function of the stored record,
/// so a notice retried by a later scan is the same alert (idempotent by its id).
pub(crate) fn notice(health: &HealthRecord) -> (String, String, String) {
    let since = from_millis(health.since);
    match health.recovered_at.filter(|_| !health.degraded()) {
        None => (
            format!("ingestion-degraded-{}", health.since),
            "[Lookout] Heartbeats are not reaching Lookout".to_owned(),
            format!(
                "At {since}, {} of {} watched apps went silent at once, across most tenants: \
                 more likely their heartbeats cannot reach Lookout (API throttling under a \
                 flood, a network or DNS failure) than that they all failed.\n\n\
                 Their DOWN alerts are held while this lasts. When the heartbeats come back \
                 you get one notice, and apps still silent get one more period to report.\n\n\
                 Check the API's 4xx/5xx and throttling in CloudWatch, and \
                 GET /admin/overview.\n",
                health.silent, health.watched
            ),
        ),
        Some(at) => (
            format!("ingestion-recovered-{}", health.since),
            "[Lookout] Heartbeats reach Lookout again".to_owned(),
            format!(
                "Heartbeats reach Lookout again at {}, after the degradation that began at \
                 {since}.\n\nApps still silent were given one more period (and grace) to \
                 report before they are marked DOWN.\n",
                from_millis(at)
            ),
        ),
    }
}

/// `Some((silent, watched))` when `silent` is a mass silence over `watched` (apps per tenant):
/// at least half of the watched apps, and more than half of the tenants with watched apps
/// have at least half of theirs silent.
pub(crate) fn mass_silence(
    silent: &[&AppRecord],
    watched: &BTreeMap<String, u64>,
) -> Option<(u64, u64)> {
    let mut silent_by_tenant: BTreeMap<&str, u64> = BTreeMap::new();
    for rec in silent {
        *silent_by_tenant.entry(rec.tenant.as_str()).or_insert(0) += 1;
    }
    let n_silent = u64::try_from(silent.len()).unwrap_or(u64::MAX);
    // The index may lag behind the items: a silent app counts as watched.
    let n_watched = watched.values().sum::<u64>().max(n_silent);
    let tenants = watched.len().max(silent_by_tenant.len());
    let mostly_silent = silent_by_tenant
        .iter()
        .filter(|(t, n)| **n * 2 >= watched.get(**t).copied().unwrap_or(0))
        .count();
    (silent.len() >= DEGRADED_MIN_APPS && n_silent * 2 >= n_watched && mostly_silent * 2 > tenants)
        .then_some((n_silent, n_watched))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::AppId;
    use lookout_core::auth::Tenant;

    fn apps(tenant: &str, n: usize) -> Vec<AppRecord> {
        let t = Tenant::parse(tenant).unwrap();
        (0..n)
            .map(|i| AppRecord::new(&t, &AppId(format!("a{i}")), Timestamp::now(), 60, 60))
            .collect()
    }

    fn watched(of: &[(&str, u64)]) -> BTreeMap<String, u64> {
        of.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
    }

    #[test]
    fn a_mass_silence_is_many_apps_of_most_tenants() {
        let acme = apps("acme", 12);
        let globex = apps("globex", 3);
        let all: Vec<&AppRecord> = acme.iter().chain(&globex).collect();
        // Everyone silent: degraded.
        assert_eq!(
            mass_silence(&all, &watched(&[("acme", 12), ("globex", 3)])),
            Some((15, 15))
        );
        // Fewer than DEGRADED_MIN_APPS: outages, whatever the share.
        assert_eq!(mass_silence(&all[..9], &watched(&[("acme", 9)])), None);
        // Under half of the watched apps: outages.
        assert_eq!(
            mass_silence(
                &all,
                &watched(&[("acme", 12), ("globex", 3), ("initech", 20)])
            ),
            None
        );
        // One tenant's apps all silent, another's not: that tenant's outages, not a
        // degradation that would hold the other tenant's alerts.
        let acme_only: Vec<&AppRecord> = acme.iter().collect();
        assert_eq!(
            mass_silence(&acme_only, &watched(&[("acme", 12), ("globex", 3)])),
            None
        );
        // A lagging index (fewer watched than silent) counts the silent ones as watched.
        assert_eq!(mass_silence(&all, &watched(&[])), Some((15, 15)));
    }

    #[test]
    fn a_notice_is_a_function_of_the_stored_state() {
        let degraded = HealthRecord {
            pk: HEALTH_PK.to_owned(),
            state: "degraded".to_owned(),
            since: 1_767_225_600_000,
            silent: 15,
            watched: 15,
            recovered_at: None,
            notified: false,
        };
        let (id, subject, body) = notice(&degraded);
        assert_eq!(id, "ingestion-degraded-1767225600000");
        assert_eq!(subject, "[Lookout] Heartbeats are not reaching Lookout");
        assert!(body.contains("15 of 15 watched apps"), "{body}");
        assert_eq!(notice(&degraded), notice(&degraded.clone()));
        let recovered = HealthRecord {
            state: "normal".to_owned(),
            recovered_at: Some(1_767_225_900_000),
            ..degraded
        };
        let (id, subject, _) = notice(&recovered);
        assert_eq!(id, "ingestion-recovered-1767225600000");
        assert_eq!(subject, "[Lookout] Heartbeats reach Lookout again");
    }
}
