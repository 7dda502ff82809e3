//! Plain-text mail through SES (v2), for mail to the admin: silent apps, incidents.
//!
//! The sender (`MAIL_SENDER`) must be a verified SES identity: template.yaml declares it as an
//! `AWS::SES::EmailIdentity`, and local provisioning verifies it in moto. The admin's address
//! is `ADMIN_EMAIL`.
//!
//! ```no_run
//! # async fn demo(sdk: &lookout_core::aws::SdkConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let admin = lookout_mail::AdminMail::from_env(sdk)?;
//! admin.send("[Lookout] test", "hello").await?;
//! # Ok(()) }
//! ```

mod address;
mod admin;
mod error;
mod mailer;
mod memory;

// Senders
pub use admin::AdminMail;
pub use mailer::Mailer;

// The admin mail port and its in-memory adapter
pub use admin::AdminMailer;
pub use memory::{MemoryMail, SentMail};

// Errors
pub use error::MailError;
