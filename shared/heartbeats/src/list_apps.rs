//! The admin listing of one tenant's apps (`GET /admin/heartbeat_apps`), a page at a time.

use crate::badge_key::BadgeKey;
use crate::error::HeartbeatError;
use crate::input::ListQuery;
use crate::output::AppList;
use crate::store::apps::Apps;

/// One page of `q.tenant`'s apps, ordered by app id and filtered by state, each with its
/// public badge path (signed with `badge`).
pub async fn list_apps(
    apps: &dyn Apps,
    badge: &BadgeKey,
    q: &ListQuery,
) -> Result<AppList, HeartbeatError> {
    let tenant = q.tenant.as_str();
    let (records, next_token) = apps
        .tenant_page(tenant, q.limit, q.next_token.as_deref())
        .await?;
    let apps = records
        .into_iter()
        .filter(|r| q.state.is_none_or(|s| r.state == s))
        .map(|r| r.view().with_badge(badge))
        .collect();
    Ok(AppList {
        tenant: tenant.to_owned(),
        apps,
        next_token,
    })
}
