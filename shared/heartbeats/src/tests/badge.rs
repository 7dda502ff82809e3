//! [`badge`](crate::badge): the status of the app a signed token names, at the given time;
//! nothing for a token that does not verify or an app that does not exist.

use serde_json::json;

use super::{t0_plus, World};
use crate::badge::{badge, Badge};
use crate::badge_key::BadgeKey;
use crate::error::HeartbeatError;

fn segment(key: &BadgeKey, tenant: &str, app: &str) -> String {
    key.path(tenant, app)
        .strip_prefix("/badge/")
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_badge_shows_the_apps_status_as_time_goes_by() {
    let world = World::new();
    let key = BadgeKey::from_secret("badges");
    world.beat_app("acme", json!("db"), "OK").await.unwrap();
    let token = segment(&key, "acme", "db");
    let at = |ms| badge(&world.store.apps, &key, &token, t0_plus(ms));
    let status = |b: Option<Badge>| b.unwrap().status;
    assert_eq!(status(at(30_000).await.unwrap()), "up");
    assert_eq!(status(at(90_000).await.unwrap()), "late");
    assert_eq!(
        status(at(121_000).await.unwrap()),
        "down",
        "before the scanner runs"
    );
    let shown = at(0).await.unwrap().unwrap();
    assert_eq!(shown.label, "db");
    world
        .admin(json!({"app_id": "db", "action": "pause"}))
        .await
        .unwrap();
    assert_eq!(status(at(121_000).await.unwrap()), "paused");
}

#[tokio::test]
async fn a_forged_token_or_an_unknown_app_has_no_badge() {
    let world = World::new();
    let key = BadgeKey::from_secret("badges");
    world.beat_app("acme", json!("db"), "OK").await.unwrap();
    let forged = segment(&BadgeKey::from_secret("other"), "acme", "db");
    assert_eq!(
        badge(&world.store.apps, &key, &forged, t0_plus(0))
            .await
            .unwrap(),
        None
    );
    let unknown = segment(&key, "acme", "nope");
    assert_eq!(
        badge(&world.store.apps, &key, &unknown, t0_plus(0))
            .await
            .unwrap(),
        None
    );
    let other_tenant = segment(&key, "globex", "db");
    assert_eq!(
        badge(&world.store.apps, &key, &other_tenant, t0_plus(0))
            .await
            .unwrap(),
        None
    );
    world.store.apps.set_failing(true);
    let failed = badge(
        &world.store.apps,
        &key,
        &segment(&key, "acme", "db"),
        t0_plus(0),
    )
    .await;
    assert!(
        matches!(failed, Err(HeartbeatError::Store(_))),
        "{failed:?}"
    );
}
