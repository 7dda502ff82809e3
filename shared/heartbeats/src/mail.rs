//! A transition's announcement as it leaves the item's outbox: the admin's mail, the messenger
//! alert and the app-events message, all made from the same stored text.

use lookout_core::events::{AdminAlert, AppTransition, TransitionKind};

use crate::events::sha256_short;
use crate::record::{AppRecord, MailKind};

/// A transition mail to send; [`deliver`](crate::announce::deliver) sends it and clears the
/// outbox.
#[derive(Debug, Clone)]
pub(crate) struct PendingMail {
    pub(crate) kind: MailKind,
    pub(crate) seq: u64,
    pub(crate) subject: String,
    pub(crate) body: String,
    /// The item as written with this mail in its outbox.
    pub(crate) written: AppRecord,
}

impl PendingMail {
    /// The mail in `rec`'s outbox, as written with it.
    pub(crate) fn of(rec: &AppRecord) -> Option<Self> {
        rec.outbox.as_ref().map(|o| Self {
            kind: o.kind,
            seq: o.seq,
            subject: o.subject.clone(),
            body: o.body.clone(),
            written: rec.clone(),
        })
    }

    /// The alert for the admin's messengers: the mail's subject and body, keyed by app and
    /// transition.
    pub(crate) fn alert(&self) -> AdminAlert {
        AdminAlert::new(
            format!("hb-{}-{}", &sha256_short(&self.written.pk), self.seq),
            &format!("{}\n\n{}", self.subject, self.body),
        )
    }

    /// The transition this mail announces, as the events queue carries it.
    pub(crate) fn transition(&self) -> AppTransition {
        let rec = &self.written;
        AppTransition {
            tenant: rec.tenant.clone(),
            app_id: rec.app_id.clone(),
            kind: match self.kind {
                MailKind::Down => TransitionKind::Down,
                MailKind::Up => TransitionKind::Up,
            },
            seq: self.seq,
            at: rec.state_changed_at,
            reason: rec.down_reason.clone(),
            app: serde_json::to_value(rec.view()).ok(),
        }
    }
}
