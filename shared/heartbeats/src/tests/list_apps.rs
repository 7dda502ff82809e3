//! [`list_apps`](crate::list_apps): one tenant's apps a page at a time in app-id order, filtered
//! by state, each with its signed badge path; page tokens bound to their tenant.

use serde_json::json;

use super::World;
use crate::badge_key::BadgeKey;
use crate::error::HeartbeatError;
use crate::input::{AppState, ListQuery};
use crate::list_apps::list_apps;
use crate::output::AppList;

async fn page(
    world: &World,
    tenant: &str,
    state: Option<&str>,
    limit: &str,
    token: Option<&str>,
) -> Result<AppList, HeartbeatError> {
    let q = ListQuery::parse(Some(tenant), state, Some(limit), token).unwrap();
    list_apps(&world.store.apps, &BadgeKey::from_secret("badges"), &q).await
}

fn ids(list: &AppList) -> Vec<String> {
    list.apps.iter().map(|a| a.app_id_text()).collect()
}

#[tokio::test]
async fn pages_go_through_a_tenants_apps_in_app_id_order() {
    let world = World::new();
    for id in ["c", "a", "e", "b", "d"] {
        world.beat_app("acme", json!(id), "OK").await.unwrap();
    }
    world.beat_app("globex", json!("a0"), "OK").await.unwrap();
    let first = page(&world, "acme", None, "2", None).await.unwrap();
    assert_eq!(
        (first.tenant.as_str(), ids(&first)),
        ("acme", vec!["a".into(), "b".into()])
    );
    let token = first.next_token.clone().unwrap();
    let second = page(&world, "acme", None, "2", Some(&token)).await.unwrap();
    assert_eq!(ids(&second), ["c", "d"]);
    let third = page(&world, "acme", None, "2", second.next_token.as_deref())
        .await
        .unwrap();
    assert_eq!(ids(&third), ["e"]);
    assert_eq!(third.next_token, None, "the last page");
    // The token is acme's: another tenant's listing refuses it.
    let stolen = page(&world, "globex", None, "2", Some(&token)).await;
    assert!(
        matches!(stolen, Err(HeartbeatError::Invalid(_))),
        "{stolen:?}"
    );
    let garbled = page(&world, "acme", None, "2", Some("zz")).await;
    assert!(
        matches!(garbled, Err(HeartbeatError::Invalid(_))),
        "{garbled:?}"
    );
}

#[tokio::test]
async fn a_state_filter_keeps_the_page_and_every_app_has_its_badge() {
    let world = World::new();
    for id in [1, 2, 3] {
        world.beat_app("acme", json!(id), "OK").await.unwrap();
    }
    world
        .admin(json!({"app_id": 2, "action": "pause"}))
        .await
        .unwrap();
    let paused = page(&world, "acme", Some("paused"), "100", None)
        .await
        .unwrap();
    assert_eq!(ids(&paused), ["2"]);
    assert_eq!(paused.apps[0].state, AppState::Paused);
    assert_eq!(paused.apps[0].app_id, json!(2), "integer ids stay integers");
    let all = page(&world, "acme", None, "100", None).await.unwrap();
    assert_eq!(ids(&all), ["1", "2", "3"]);
    let key = BadgeKey::from_secret("badges");
    let path = all.apps[2].badge_path.clone().unwrap();
    let segment = path.strip_prefix("/badge/").unwrap();
    assert_eq!(key.open(segment), Some(("acme".to_owned(), "3".to_owned())));
    let empty = page(&world, "initech", None, "100", None).await.unwrap();
    assert!(empty.apps.is_empty() && empty.next_token.is_none());
}

#[tokio::test]
async fn a_store_outage_is_a_store_error() {
    let world = World::new();
    world.store.apps.set_failing(true);
    let failed = page(&world, "acme", None, "10", None).await;
    assert!(
        matches!(failed, Err(HeartbeatError::Store(_))),
        "{failed:?}"
    );
}
