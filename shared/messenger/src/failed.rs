//! The failed-list use case (`GET /api/get_failed_mess`): a user's failed deliveries, within
//! the caller's tenant, newest first, a page at a time.

use lookout_core::auth::Tenant;

use crate::error::BroadcastError;
use crate::input::FailedQuery;
use crate::replies::FailedPage;
use crate::store::failed::FailedDeliveries;

/// One page of `query.user_name`'s failed deliveries in `tenant`: at most `query.limit`, from
/// `query.next_token` (a token of another user's list is [`BroadcastError::Invalid`]), with a
/// next token when more may follow. A delivery is listed once it failed for good: rejected,
/// still failing after its last retry, interrupted, or refused (an admin's address).
pub async fn list_failed(
    store: &dyn FailedDeliveries,
    tenant: &Tenant,
    query: &FailedQuery,
) -> Result<FailedPage, BroadcastError> {
    store
        .page(
            tenant,
            &query.user_name,
            query.limit,
            query.next_token.as_deref(),
        )
        .await
}
