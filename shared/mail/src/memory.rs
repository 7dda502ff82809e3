//! The in-memory admin mailbox, for unit tests of what mails.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use lookout_core::BoxFuture;

use crate::admin::AdminMailer;
use crate::error::MailError;

/// One mail a [`MemoryMail`] took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub subject: String,
    pub text: String,
}

/// The in-memory admin mailbox: keeps what is sent, or refuses everything while
/// [`set_failing`](Self::set_failing) is on. Clones share the mailbox.
#[derive(Debug, Clone, Default)]
pub struct MemoryMail {
    sent: Arc<Mutex<Vec<SentMail>>>,
    failing: Arc<AtomicBool>,
}

impl MemoryMail {
    /// Every mail taken so far, oldest first.
    pub fn sent(&self) -> Vec<SentMail> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// While on, every send fails (as SES does in an outage).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

impl AdminMailer for MemoryMail {
    fn send_admin<'a>(
        &'a self,
        subject: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<String, MailError>> {
        Box::pin(async move {
            if self.failing.load(Ordering::SeqCst) {
                return Err(MailError::Send {
                    to: "admin".into(),
                    source: "the in-memory mailbox is failing".into(),
                });
            }
            let mut sent = self
                .sent
                .lock()
                .map_err(|_| MailError::Address("the in-memory mailbox is poisoned".into()))?;
            sent.push(SentMail {
                subject: subject.to_owned(),
                text: text.to_owned(),
            });
            Ok(format!("memory-{}", sent.len()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_mailbox_keeps_mail_or_fails_while_told_to() {
        let mail = MemoryMail::default();
        let port: &dyn AdminMailer = &mail;
        port.send_admin("one", "1").await.unwrap();
        mail.set_failing(true);
        assert!(port.send_admin("two", "2").await.is_err());
        mail.set_failing(false);
        port.send_admin("three", "3").await.unwrap();
        let subjects: Vec<_> = mail.sent().into_iter().map(|m| m.subject).collect();
        assert_eq!(subjects, ["one", "three"]);
    }
}
