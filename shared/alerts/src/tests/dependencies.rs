//! Dependencies: a parent's outage holds its dependents' alerts.

use std::collections::BTreeMap;

use lookout_core::auth::Tenant;
use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};

use super::{alert, channel, t0, Fakes};
use crate::deliver::{deliver, DeliverOutcome};
use crate::manage::put_routes;
use crate::routes::Routes;
use crate::store::{AlertStore, MemoryAlerts};

fn down(app: &str) -> TenantAlert {
    let mut a = alert(
        &format!("{app}-down"),
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Critical,
        app,
    );
    a.title = format!("{app} is DOWN");
    a.ack_incident = Some(format!("inc-{app}"));
    a
}

fn up(app: &str) -> TenantAlert {
    let mut a = alert(
        &format!("{app}-up"),
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Info,
        app,
    );
    a.title = format!("{app} is back UP");
    a
}

#[tokio::test]
async fn a_parent_outage_with_20_children_sends_one_alert_and_releases_those_still_down() {
    let store = MemoryAlerts::default();
    let tenant = Tenant::parse("acme").unwrap();
    let slack = channel(&store, "slack", "http://127.0.0.1:9/slack/services/T/B/x").await;
    let children: Vec<String> = (1..=20).map(|i| format!("worker-{i}")).collect();
    let routes = Routes {
        default: vec![slack],
        dependencies: children
            .iter()
            .map(|c| (c.clone(), vec!["db".to_owned()]))
            .collect::<BTreeMap<_, _>>(),
        ..Routes::default()
    };
    put_routes(&store, &tenant, &routes, t0()).await.unwrap();
    let f = Fakes::at(t0());
    let ports = f.ports(&store, None);
    let sent_ids = || -> Vec<String> { f.sender.sent().into_iter().map(|(_, _, id)| id).collect() };

    // The database goes down, then its 20 dependents: one alert.
    assert_eq!(
        deliver(&ports, &down("db")).await.unwrap(),
        DeliverOutcome::Done
    );
    for c in &children {
        assert_eq!(
            deliver(&ports, &down(c)).await.unwrap(),
            DeliverOutcome::Done
        );
    }
    assert_eq!(sent_ids(), ["db-down"]);
    let held = store.held("acme").await.unwrap();
    assert_eq!(held.len(), 20);
    assert!(held.iter().all(|h| h.parent == "db"));
    assert_eq!(held[0].view().title, "worker-1 is DOWN");
    // Five recover while held: their recovery is not news either.
    for c in &children[..5] {
        assert_eq!(deliver(&ports, &up(c)).await.unwrap(), DeliverOutcome::Done);
    }
    assert_eq!(sent_ids(), ["db-down"]);
    assert_eq!(store.held("acme").await.unwrap().len(), 15);

    // The database is back: its recovery goes out, and the 15 dependents still down are put
    // back on the queue (a minute later), where they alert as usual.
    assert_eq!(
        deliver(&ports, &up("db")).await.unwrap(),
        DeliverOutcome::Done
    );
    assert_eq!(sent_ids(), ["db-down", "db-up"]);
    assert!(store.held("acme").await.unwrap().is_empty());
    let released: Vec<TenantAlert> = f
        .follow_ups
        .scheduled()
        .into_iter()
        .filter(|(name, ..)| name.starts_with("held-"))
        .map(|(_, a, at)| {
            assert_eq!(at, t0().plus_millis(60_000).unwrap());
            a
        })
        .collect();
    assert_eq!(released.len(), 15);
    for a in &released {
        assert_eq!(deliver(&ports, a).await.unwrap(), DeliverOutcome::Done);
    }
    let sent = sent_ids();
    assert_eq!(sent.len(), 17);
    assert!(
        sent.contains(&"worker-6-down".to_owned()) && !sent.contains(&"worker-5-down".to_owned())
    );
    // Released twice (a redelivered recovery): nothing more.
    assert_eq!(
        deliver(&ports, &up("db")).await.unwrap(),
        DeliverOutcome::Done
    );
    assert_eq!(f.sender.sent().len(), 17);
}

#[test]
fn dependencies_are_checked() {
    let bad = |deps: &[(&str, &[&str])]| {
        Routes {
            dependencies: deps
                .iter()
                .map(|(a, ps)| {
                    (
                        (*a).to_owned(),
                        ps.iter().map(|p| (*p).to_owned()).collect(),
                    )
                })
                .collect(),
            ..Routes::default()
        }
        .validate()
        .is_err()
    };
    assert!(!bad(&[("web", &["db", "cache"])]));
    assert!(bad(&[("web", &["web"])]), "itself");
    assert!(bad(&[("web", &[])]), "no parent");
    assert!(
        bad(&[("web", &["a", "b", "c", "d", "e", "f"])]),
        "six parents"
    );
    assert!(bad(&[("we#b", &["db"])]), "#");
}
