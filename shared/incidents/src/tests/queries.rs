//! The admin's reads over the stores (what the admin functions call): the incident listing
//! (filters, pages, tokens), an incident, the overview's unresolved incidents and volume;
//! and the notification mark.

use std::time::Duration;

use serde_json::json;

use lookout_core::StoreError;

use super::support::{at, World};
use crate::edits::update_incident;
use crate::error::IncidentError;
use crate::input::{AppName, IncidentLevel, IncidentQuery, Status};
use crate::store::incidents::Incidents;
use crate::store::overview::Overview;

/// A world with incidents of `billing` and `shop`, an hour apart from 10:00, the second
/// resolved; their ids, oldest first.
async fn four_incidents() -> (World, Vec<String>) {
    let world = World::default();
    let billing = world.register("billing").await;
    let shop = world.register("shop").await;
    let mut ids = Vec::new();
    for (app, code, title, level) in [
        ("billing", &billing, "DB down", "crit"),
        ("shop", &shop, "Cart slow", "warning"),
        ("billing", &billing, "Queue late", "warning"),
        ("shop", &shop, "Pay failed", "error"),
    ] {
        let r = world.report(app, code, title, level).await.unwrap();
        ids.push(r.id);
        world.clock.advance(Duration::from_secs(3600));
    }
    let resolve = serde_json::from_value(json!({"id": ids[1], "status": "resolved"})).unwrap();
    update_incident(&world.store.incidents, resolve, world.clock.now())
        .await
        .unwrap();
    (world, ids)
}

fn ids(page: &crate::records::IncidentPage) -> Vec<&str> {
    page.incidents.iter().map(|i| i.id.as_str()).collect()
}

#[tokio::test]
async fn the_listing_is_newest_first_and_filters_by_app_level_status_and_time() {
    let (world, all) = four_incidents().await;
    let incidents = &world.store.incidents;
    let list = |q: IncidentQuery| incidents.list(q);

    let everything = list(IncidentQuery::default()).await.unwrap();
    let billing = list(IncidentQuery {
        app: Some(AppName::parse("billing").unwrap()),
        ..IncidentQuery::default()
    })
    .await
    .unwrap();
    let warnings = list(IncidentQuery {
        level: Some(IncidentLevel::Warning),
        ..IncidentQuery::default()
    })
    .await
    .unwrap();
    let resolved = list(IncidentQuery {
        status: Some(Status::Resolved),
        ..IncidentQuery::default()
    })
    .await
    .unwrap();
    let window = list(IncidentQuery {
        from: Some(at("2030-01-01T11:00:00Z")),
        to: Some(at("2030-01-01T12:00:00Z")),
        ..IncidentQuery::default()
    })
    .await
    .unwrap();

    assert_eq!(ids(&everything), [&all[3], &all[2], &all[1], &all[0]]);
    assert_eq!(everything.next_token, None);
    assert_eq!(ids(&billing), [&all[2], &all[0]]);
    assert_eq!(ids(&warnings), [&all[2], &all[1]]);
    assert_eq!(ids(&resolved), [&all[1]]);
    assert_eq!(ids(&window), [&all[2], &all[1]], "both ends included");
}

#[tokio::test]
async fn pages_follow_one_another_by_token_until_none_is_left() {
    let (world, all) = four_incidents().await;
    let incidents = &world.store.incidents;
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;

    loop {
        let q = IncidentQuery {
            limit: 3,
            next_token: token.take(),
            ..IncidentQuery::default()
        };
        let page = incidents.list(q).await.unwrap();
        pages += 1;
        seen.extend(page.incidents.into_iter().map(|i| i.id));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }

    assert_eq!(pages, 2);
    let newest_first: Vec<String> = all.into_iter().rev().collect();
    assert_eq!(seen, newest_first);
}

#[tokio::test]
async fn a_bad_limit_or_a_token_of_another_query_is_invalid() {
    let (world, _) = four_incidents().await;
    let incidents = &world.store.incidents;
    let first = incidents
        .list(IncidentQuery {
            limit: 1,
            ..IncidentQuery::default()
        })
        .await
        .unwrap();
    let token = first.next_token.unwrap();

    let too_many = incidents
        .list(IncidentQuery {
            limit: 201,
            ..IncidentQuery::default()
        })
        .await;
    let other_app = incidents
        .list(IncidentQuery {
            app: Some(AppName::parse("billing").unwrap()),
            next_token: Some(token.clone()),
            ..IncidentQuery::default()
        })
        .await;
    let out_of_range = incidents
        .list(IncidentQuery {
            to: Some(at("2030-01-01T10:30:00Z")),
            next_token: Some(token),
            ..IncidentQuery::default()
        })
        .await;
    let garbage = incidents
        .list(IncidentQuery {
            next_token: Some("zz".into()),
            ..IncidentQuery::default()
        })
        .await;

    for refused in [too_many, other_app, out_of_range, garbage] {
        assert!(
            matches!(refused, Err(IncidentError::Invalid(_))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn the_overview_counts_unresolved_incidents_and_the_days_openings() {
    let (world, all) = four_incidents().await;
    let overview = &world.store.overview;

    let open = overview.open_incidents(2).await.unwrap();
    let days = overview.volume(at("2030-01-02T09:00:00Z")).await.unwrap();

    assert_eq!((open.total, open.truncated), (3, false));
    let by_level: Vec<(&str, u64)> = open
        .by_level
        .iter()
        .map(|(l, n)| (l.as_str(), *n))
        .collect();
    assert_eq!(by_level, [("crit", 1), ("error", 1), ("warning", 1)]);
    let recent: Vec<&str> = open.recent.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(recent, [&all[3], &all[2]], "most recently active first");
    assert_eq!(days.len(), 30);
    assert_eq!(days[0].day, "2029-12-04");
    let (jan1, jan2) = (&days[28], &days[29]);
    assert_eq!((jan1.day.as_str(), jan1.opened), ("2030-01-01", 4));
    assert_eq!(jan1.by_level.get("warning"), Some(&2));
    assert_eq!((jan2.day.as_str(), jan2.opened), ("2030-01-02", 0));
    assert!(days[..28]
        .iter()
        .all(|d| d.opened == 0 && d.by_level.is_empty()));
}

#[tokio::test]
async fn reading_or_marking_an_unknown_incident_fails() {
    let (world, all) = four_incidents().await;
    let incidents = &world.store.incidents;

    let unknown = incidents.get("nope").await;
    let unmarked = incidents.mark_notified("nope", None).await;
    incidents
        .mark_notified(&all[0], Some("bounced".into()))
        .await
        .unwrap();

    assert!(
        matches!(unknown, Err(IncidentError::IncidentNotFound)),
        "{unknown:?}"
    );
    assert!(
        matches!(unmarked, Err(IncidentError::Store(StoreError::Call(_)))),
        "{unmarked:?}"
    );
    let marked = incidents.get(&all[0]).await.unwrap().incident;
    assert_eq!(
        (marked.notified, marked.notify_error.as_deref()),
        (false, Some("bounced"))
    );
}
