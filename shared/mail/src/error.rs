//! Why a mail was not sent.

use std::error::Error;

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
        source: Box<dyn Error + Send + Sync + 'static>,
    },
}
