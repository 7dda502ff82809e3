//! How the mail domain's [`MailError`] answers over HTTP.

use lookout_mail::MailError;

use crate::error::AppError;

impl From<MailError> for AppError {
    fn from(err: MailError) -> Self {
        Self::internal(err)
    }
}
