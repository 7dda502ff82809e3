//! [`report_event`](crate::report::report_event): a Sentry event found by its app's DSN,
//! grouped by its own key, keeping its details, within the app's daily event quota.

use serde_json::json;

use super::support::{app_in, World};
use crate::apps::{register_app, update_app};
use crate::error::IncidentError;
use crate::input::{AppName, IncidentLevel, SentryEvent};
use crate::report::report_event;
use crate::store::apps::Apps;
use crate::store::events::EventCounts;
use crate::store::incidents::Incidents;

fn event(title: &str, key: &str) -> SentryEvent {
    SentryEvent {
        title: title.into(),
        message: "in charge at billing/pay.py:12".into(),
        level: IncidentLevel::Error,
        group_key: key.into(),
        details: json!({"release": "billing@1.4.2", "exceptions": [{"type": "ValueError"}]}),
    }
}

impl World {
    async fn sentry_app(&self, body: serde_json::Value) -> crate::records::App {
        register_app(&self.store.apps, app_in(body)).await.unwrap();
        let name = AppName::parse("billing").unwrap();
        self.store.apps.get(&name).await.unwrap().unwrap()
    }
}

#[tokio::test]
async fn events_with_one_key_make_one_incident_that_keeps_the_first_ones_details() {
    let world = World::default();
    let app = world.sentry_app(json!({"name": "billing"})).await;

    let first = report_event(
        &world.ports(),
        &app,
        event("ValueError: card 1 declined", "k1"),
        100,
        None,
    )
    .await
    .unwrap();
    // Another value, the same key (the same exception type and top in-app frame): grouped.
    let second = report_event(
        &world.ports(),
        &app,
        event("ValueError: card 2 declined", "k1"),
        100,
        None,
    )
    .await
    .unwrap();
    let other = report_event(
        &world.ports(),
        &app,
        event("ValueError: card 1 declined", "k2"),
        100,
        None,
    )
    .await
    .unwrap();

    assert!(!first.grouped && second.grouped && !other.grouped);
    assert_eq!((second.id.as_str(), second.count), (first.id.as_str(), 2));
    assert_ne!(other.id, first.id, "a key of its own, whatever the title");
    let stored = world.store.incidents.get(&first.id).await.unwrap();
    assert_eq!(stored.incident.title, "ValueError: card 1 declined");
    assert_eq!(stored.incident.sentry.unwrap()["release"], "billing@1.4.2");
    assert_eq!(world.mail.sent().len(), 2, "each new incident is announced");
}

#[tokio::test]
async fn past_the_apps_daily_quota_an_event_is_refused_until_the_next_utc_day() {
    let world = World::default();
    let app = world
        .sentry_app(json!({"name": "billing", "events_per_day": 2}))
        .await;
    let day = world.clock.now().to_rfc3339()[..10].to_owned();

    for _ in 0..2 {
        report_event(&world.ports(), &app, event("E", "k"), 100, None)
            .await
            .unwrap();
    }
    let refused = report_event(&world.ports(), &app, event("E", "k"), 100, None).await;

    let Err(IncidentError::Quota(q)) = refused else {
        panic!("{refused:?}");
    };
    assert!((1..=86_400).contains(&q.retry_after), "{}", q.retry_after);
    let count = world.store.events.count("billing", &day).await.unwrap();
    assert_eq!((count.accepted, count.refused), (2, 1));
    // Back to the stack's quota (0 clears the app's own).
    update_app(
        &world.store.apps,
        app_in(json!({"name": "billing", "events_per_day": 0})),
    )
    .await
    .unwrap();
    let app = world
        .store
        .apps
        .get(&AppName::parse("billing").unwrap())
        .await
        .unwrap()
        .unwrap();
    let reported = report_event(&world.ports(), &app, event("E", "k"), 3, None).await;
    assert_eq!(reported.unwrap().count, 3);
}

#[tokio::test]
async fn an_events_text_is_fitted_to_the_limits_never_refused() {
    let world = World::default();
    let app = world.sentry_app(json!({"name": "billing"})).await;
    let mut long = event(&format!("  {}\u{7}", "T".repeat(500)), "k");
    long.message = "m".repeat(20_000);

    let reported = report_event(&world.ports(), &app, long, 100, None)
        .await
        .unwrap();

    let stored = world.store.incidents.get(&reported.id).await.unwrap();
    assert_eq!(stored.incident.title, "T".repeat(200));
    assert_eq!(stored.incident.message.len(), 10_000);
}
