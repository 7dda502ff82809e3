//! SES email identities: the template's verified senders, created as the addresses they are
//! (not prefixed).

use anyhow::{anyhow, Result};
use yaml_serde::Value;

use crate::provision::stack::Stack;
use crate::template::Resolve;

/// A verified sender in moto (SES refuses to send from unverified addresses, moto too).
pub(crate) async fn create_email_identity(
    ses: &aws_sdk_sesv2::Client,
    stack: &Stack,
    props: &Value,
) -> Result<()> {
    let identity = stack.resolve(
        props
            .get("EmailIdentity")
            .ok_or_else(|| anyhow!("missing EmailIdentity"))?,
    )?;
    match ses
        .create_email_identity()
        .email_identity(&identity)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(anyhow::Error::new(err).context("CreateEmailIdentity")),
    }
}
