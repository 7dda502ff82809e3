//! The digest of one scanner run's transitions, so that many at once are no flood: up to
//! [`DIGEST_MIN`] - 1 of them go out one by one (a mail, an alert and an event each); from
//! [`DIGEST_MIN`] on, the admin gets one digest mail and one digest alert listing them all,
//! while each app's event still goes to the incidents queue on its own (one incident per app).
//! [`announce`](crate::announce::announce) sends them.

use crate::mail::PendingMail;
use crate::record::{MailKind, SILENT};

/// Transitions in one run from which they are announced as one digest.
pub(crate) const DIGEST_MIN: usize = 3;
/// Apps listed by name in a digest; the rest are counted.
pub(crate) const DIGEST_LISTED: usize = 100;

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
