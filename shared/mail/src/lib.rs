//! Plain-text mail through SES (v2), for mail to the admin: silent apps, incidents.
//!
//! The sender (`MAIL_SENDER`) must be a verified SES identity: template.yaml declares it as an
//! `AWS::SES::EmailIdentity`, and local provisioning verifies it in moto. The admin's address
//! is `ADMIN_EMAIL`.
//!
//! ```no_run
//! # async fn demo(sdk: &aws_config::SdkConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let admin = lookout_mail::AdminMail::from_env(sdk)?;
//! admin.send("[Lookout] test", "hello").await?;
//! # Ok(()) }
//! ```

use aws_config::SdkConfig;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use lookout_core::{config, AppError, BoxFuture};

/// Longest subject we send (SES allows more; mail clients show less).
pub const MAX_SUBJECT_CHARS: usize = 200;

/// Sends plain-text mail from one verified sender.
#[derive(Debug, Clone)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }

    /// An SES client from `sdk`, sending as `from`.
    pub fn from_sdk(sdk: &SdkConfig, from: impl Into<String>) -> Self {
        Self::new(aws_sdk_sesv2::Client::new(sdk), from)
    }

    /// Sender from `MAIL_SENDER`.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, config::ConfigError> {
        let from = config::required(config::names::MAIL_SENDER)?;
        check_address(&from).map_err(config::ConfigError)?;
        Ok(Self::from_sdk(sdk, from))
    }

    pub fn sender(&self) -> &str {
        &self.from
    }

    /// Sends one UTF-8 plain-text mail to `to`; returns SES's message id. Line breaks in the
    /// subject become spaces, and it is cut to [`MAX_SUBJECT_CHARS`].
    pub async fn send(&self, to: &str, subject: &str, text: &str) -> Result<String, MailError> {
        check_address(to).map_err(MailError::Address)?;
        let subject: String = subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_SUBJECT_CHARS)
            .collect();
        let content = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|err| MailError::Send {
                    to: to.to_owned(),
                    source: Box::new(err),
                })
        };
        let message = Message::builder()
            .subject(content(&subject)?)
            .body(Body::builder().text(content(text)?).build())
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|err| MailError::Send {
                to: to.to_owned(),
                source: Box::new(err),
            })?;
        Ok(out.message_id.unwrap_or_default())
    }
}

/// Why a mail was not sent. Never the API client's fault: a 5xx wherever it surfaces.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The recipient is not a bare mail address (a configuration fault).
    #[error("{0}")]
    Address(String),
    /// SES refused or could not be reached.
    #[error("sending mail to {to}")]
    Send {
        to: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl From<MailError> for AppError {
    fn from(err: MailError) -> Self {
        Self::internal(err)
    }
}

/// Mail to the admin (`ADMIN_EMAIL`).
#[derive(Debug, Clone)]
pub struct AdminMail {
    pub mailer: Mailer,
    pub to: String,
}

impl AdminMail {
    pub fn new(mailer: Mailer, to: impl Into<String>) -> Self {
        Self {
            mailer,
            to: to.into(),
        }
    }

    /// `MAIL_SENDER` and `ADMIN_EMAIL`.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, config::ConfigError> {
        let to = config::required(config::names::ADMIN_EMAIL)?;
        check_address(&to).map_err(config::ConfigError)?;
        Ok(Self::new(Mailer::from_env(sdk)?, to))
    }

    pub async fn send(&self, subject: &str, text: &str) -> Result<String, MailError> {
        self.mailer.send(&self.to, subject, text).await
    }
}

/// Mail to the admin, as a port: SES in the functions ([`AdminMail`]), [`MemoryMail`] in unit
/// tests of the state machines that mail (heartbeat transitions, new incidents).
pub trait AdminMailer: Send + Sync + std::fmt::Debug {
    /// Sends one plain-text mail to the admin; returns the provider's message id.
    fn send_admin<'a>(
        &'a self,
        subject: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<String, MailError>>;
}

impl AdminMailer for AdminMail {
    fn send_admin<'a>(
        &'a self,
        subject: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<String, MailError>> {
        Box::pin(self.send(subject, text))
    }
}

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

/// A single bare address `local@domain` (no display name, no spaces or line breaks).
pub fn check_address(addr: &str) -> Result<(), String> {
    let ok = addr.len() <= 254
        && !addr.chars().any(|c| c.is_whitespace() || c.is_control())
        && addr
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if ok {
        Ok(())
    } else {
        Err(format!("{addr:?} is not a mail address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(check_address("admin@example.com").is_ok());
        for bad in [
            "",
            "admin",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@x.com\r\nBcc: x",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }

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
