//! Plain-text mail through SES (v2) from one verified sender.

use aws_sdk_sesv2::{
    types::{Body, Content, Destination, EmailContent, Message},
    Client,
};
use lookout_core::aws::SdkConfig;

use lookout_core::config;

use crate::address::check_address;
use crate::error::MailError;

/// Longest subject we send (SES allows more; mail clients show less).
pub(crate) const MAX_SUBJECT_CHARS: usize = 200;

/// Sends plain-text mail from one verified sender.
#[derive(Debug, Clone)]
pub struct Mailer {
    client: Client,
    from: String,
}

impl Mailer {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }

    /// An SES client from `sdk`, sending as `from`.
    pub fn from_sdk(sdk: &SdkConfig, from: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), from)
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
