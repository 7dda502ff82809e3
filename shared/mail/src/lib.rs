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

use lookout_core::{config, AppError};

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
}
