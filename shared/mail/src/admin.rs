//! Mail to the admin (`ADMIN_EMAIL`): the SES sender, and the port the state machines that
//! mail use (heartbeat transitions, new incidents).

use std::fmt::Debug;

use lookout_core::aws::SdkConfig;

use lookout_core::{config, BoxFuture};

use crate::address::check_address;
use crate::error::MailError;
use crate::mailer::Mailer;

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
pub trait AdminMailer: Send + Sync + Debug {
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
