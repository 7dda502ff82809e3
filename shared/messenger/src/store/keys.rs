//! The messenger table's keys and attribute values, shared by its stores.

use aws_sdk_dynamodb::types::AttributeValue;

use lookout_core::auth::Tenant;
use lookout_core::ddb;

use crate::error::BroadcastError;
use crate::input::UserName;

/// A string attribute.
pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute.
pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The partition of a user's contacts and settings.
pub(crate) fn contact_pk(tenant: &Tenant, user: &UserName) -> String {
    format!("CT#{}#{}", tenant.as_str(), user.as_str())
}

/// A user's partition of the `failed` index.
pub(crate) fn failed_pk(tenant: &str, user: &str) -> String {
    format!("F#{tenant}#{user}")
}

/// The partition of a tenant's counts (contacts, daily sends).
pub(crate) fn counts_pk(tenant: &Tenant) -> String {
    format!("Q#{}", tenant.as_str())
}

/// Name of the sparse GSI of failed deliveries, by user.
pub(crate) const FAILED_INDEX: &str = "failed";

/// Name of the sparse GSI of failed deliveries across tenants (the console overview).
pub(crate) const FAILED_ALL_INDEX: &str = "failed-all";

/// The partition of the `failed-all` index.
pub(crate) const FAILED_ALL: &str = "FAILED";

/// `Ok(true)` when the write happened, `Ok(false)` when its condition did not hold.
pub(crate) fn conditional<T, E, R>(
    res: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, BroadcastError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match res {
        Ok(_) => Ok(true),
        Err(err) if ddb::is_conditional_check_failed(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}
