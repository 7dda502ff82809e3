//! What can go wrong with a tenant's alerting, in its own words.

use lookout_core::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// Bad input: the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// No such channel in the tenant.
    #[error("no channel {0:?} in this tenant")]
    UnknownChannel(String),
    /// The channel is still named by a route.
    #[error("channel {0:?} is used by the tenant's routes: change them first")]
    InUse(String),
    /// The tenant has [`crate::MAX_CHANNELS`] channels already.
    #[error("a tenant has at most {0} channels")]
    TooMany(usize),
    /// A sealed value did not open (another key, or tampered with).
    #[error("a sealed channel secret cannot be opened")]
    Sealed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<serde_dynamo::Error> for AlertError {
    fn from(err: serde_dynamo::Error) -> Self {
        Self::Store(StoreError::Item(err))
    }
}
