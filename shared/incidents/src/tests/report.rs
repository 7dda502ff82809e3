//! `report`: the code check, grouping (join, open, reopen after resolution), the enrichment,
//! the admin's notification within the alert budget, and what each leaves stored.

use std::time::Duration;

use serde_json::json;

use lookout_core::BoxFuture;

use super::support::{app_in, new_incident, World};
use crate::apps::register_app;
use crate::edits::update_incident;
use crate::error::IncidentError;
use crate::input::{IncidentLevel, IncidentQuery, IncidentUpdate, Status};
use crate::occurrence::record_occurrence;
use crate::records::Group;
use crate::report::report;
use crate::snapshot::Enrichment;
use crate::store::groups::Groups;
use crate::store::incidents::Incidents;
use crate::store::overview::Overview;

fn resolve(id: &str) -> IncidentUpdate {
    serde_json::from_value(json!({"id": id, "status": "resolved"})).unwrap()
}

#[tokio::test]
async fn a_new_incident_is_stored_grouped_counted_enriched_and_announced() {
    // Arrange: an app linked to a log user and a heartbeat app, whose context answers.
    let mut world = World::default();
    world.context.logs = vec![json!({"level": "error", "msg": "pool exhausted"})];
    world.context.heartbeat = Some(json!({"state": "down"}));
    let linked = app_in(json!({
        "name": "billing", "log_user": "billing-svc", "log_process": "api",
        "heartbeat_tenant": "acme", "heartbeat_app_id": "23"
    }));
    let code = register_app(&world.store.apps, linked)
        .await
        .unwrap()
        .code
        .unwrap();
    let now = world.clock.now();

    // Act
    let input = new_incident("billing", &code, "DB down", "error");
    let reported = report(&world.ports(), input, Some("https://console.example"))
        .await
        .unwrap();

    // Assert: what was answered and stored.
    assert_eq!(
        (
            reported.ok,
            reported.grouped,
            reported.count,
            reported.status
        ),
        (true, false, 1, Status::Open)
    );
    assert!(!reported.logs_truncated);
    let stored = world.store.incidents.get(&reported.id).await.unwrap();
    let i = &stored.incident;
    assert_eq!(
        (i.app_name.as_str(), i.title.as_str(), i.message.as_str()),
        ("billing", "DB down", "it broke")
    );
    assert_eq!(
        (i.level, i.status, i.count),
        (IncidentLevel::Error, Status::Open, 1)
    );
    assert_eq!((i.first_seen, i.last_seen), (now, now));
    assert_eq!(i.logs, ["l1", "l2"]);
    assert_eq!(i.recent_logs, world.context.logs);
    assert_eq!(i.heartbeat, Some(json!({"state": "down"})));
    assert_eq!((i.notified, i.notify_error.as_deref()), (true, None));
    assert!(stored.history.is_empty());
    // The group points at it, and the day counts one opening at its level.
    let group = world
        .group("billing", "DB down", IncidentLevel::Error)
        .await;
    assert_eq!(group.current_id.as_deref(), Some(reported.id.as_str()));
    let today = world
        .store
        .overview
        .volume(now)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!((today.day.as_str(), today.opened), ("2030-01-01", 1));
    assert_eq!(today.by_level.get("error"), Some(&1));
    // Assert: what was asked and emitted.
    assert_eq!(
        *world.context.asked.lock().unwrap(),
        ["logs billing-svc api 20", "heartbeat acme 23"]
    );
    let spent = world.budget.spent.lock().unwrap().clone();
    assert_eq!(
        spent,
        [(
            "billing".to_owned(),
            format!("billing [error] DB down (id {})", reported.id)
        )]
    );
    let mail = world.mail.sent();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].subject, "[Lookout] ERROR in billing: DB down");
    assert!(mail[0].text.contains("pool exhausted"), "{}", mail[0].text);
    assert!(mail[0].text.contains(&format!(
        "Console: https://console.example#incident/{}",
        reported.id
    )));
    assert_eq!(
        *world.chat.sent.lock().unwrap(),
        [format!(
            "[Lookout] ERROR in billing: DB down\nit broke\nid: {}",
            reported.id
        )]
    );
}

#[tokio::test]
async fn a_repeat_of_an_unresolved_incident_is_counted_there_and_not_announced_again() {
    let world = World::default();
    let code = world.register("billing").await;
    let first = world
        .report("billing", &code, "DB down", "error")
        .await
        .unwrap();
    let opened_at = world.clock.now();
    world.clock.advance(Duration::from_secs(60));

    let again = world
        .report("billing", &code, " DB down ", "error")
        .await
        .unwrap();

    assert_eq!(
        (again.id.as_str(), again.grouped, again.count, again.status),
        (first.id.as_str(), true, 2, Status::Open)
    );
    let stored = world.store.incidents.get(&first.id).await.unwrap().incident;
    assert_eq!(stored.count, 2);
    assert_eq!(
        (stored.first_seen, stored.last_seen),
        (opened_at, world.clock.now())
    );
    assert_eq!(
        world.mail.sent().len(),
        1,
        "only the new incident is mailed"
    );
    assert_eq!(world.chat.sent.lock().unwrap().len(), 1);
    assert_eq!(world.budget.spent.lock().unwrap().len(), 1);
    let today = world.store.overview.volume(world.clock.now()).await;
    assert_eq!(today.unwrap().pop().unwrap().opened, 1);

    // An acknowledged incident still collects its repeats.
    let ack = serde_json::from_value(json!({"id": first.id, "status": "acknowledged"})).unwrap();
    update_incident(&world.store.incidents, ack, world.clock.now())
        .await
        .unwrap();
    let third = world
        .report("billing", &code, "DB down", "error")
        .await
        .unwrap();
    assert_eq!(
        (third.id.as_str(), third.count, third.status),
        (first.id.as_str(), 3, Status::Acknowledged)
    );

    // Another level, title or app is another incident.
    let other_level = world
        .report("billing", &code, "DB down", "crit")
        .await
        .unwrap();
    let other_title = world
        .report("billing", &code, "DB slow", "error")
        .await
        .unwrap();
    assert!(!other_level.grouped && !other_title.grouped);
    assert_ne!(other_level.id, first.id);
    assert_ne!(other_title.id, other_level.id);
}

#[tokio::test]
async fn a_report_after_resolution_opens_a_new_incident_and_moves_the_group() {
    let world = World::default();
    let code = world.register("billing").await;
    let first = world
        .report("billing", &code, "DB down", "error")
        .await
        .unwrap();
    update_incident(
        &world.store.incidents,
        resolve(&first.id),
        world.clock.now(),
    )
    .await
    .unwrap();
    world.clock.advance(Duration::from_secs(3600));

    let second = world
        .report("billing", &code, "DB down", "error")
        .await
        .unwrap();

    assert!(!second.grouped);
    assert_eq!(second.count, 1);
    assert_ne!(second.id, first.id);
    let old = world.store.incidents.get(&first.id).await.unwrap().incident;
    assert_eq!(
        (old.status, old.count),
        (Status::Resolved, 1),
        "left as it was"
    );
    let group = world
        .group("billing", "DB down", IncidentLevel::Error)
        .await;
    assert_eq!(group.current_id, Some(second.id.clone()));
    let today = world.store.overview.volume(world.clock.now()).await;
    assert_eq!(today.unwrap().pop().unwrap().opened, 2);
    assert_eq!(world.mail.sent().len(), 2);
}

#[tokio::test]
async fn a_wrong_code_or_an_unknown_app_is_refused_and_nothing_is_stored() {
    let world = World::default();
    let code = world.register("billing").await;

    let wrong = world
        .report("billing", "not-the-code", "DB down", "error")
        .await;
    let unknown = world.report("shop", &code, "DB down", "error").await;

    assert!(matches!(wrong, Err(IncidentError::BadCode)), "{wrong:?}");
    assert!(
        matches!(unknown, Err(IncidentError::BadCode)),
        "{unknown:?}"
    );
    let page = world
        .store
        .incidents
        .list(IncidentQuery::default())
        .await
        .unwrap();
    assert!(page.incidents.is_empty());
    assert_eq!(
        world
            .group("billing", "DB down", IncidentLevel::Error)
            .await,
        Group::default()
    );
    assert!(world.mail.sent().is_empty());
    assert!(world.budget.spent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_report_that_breaks_a_rule_is_invalid_before_the_code_is_checked() {
    let world = World::default();

    let no_title = world.report("billing", "code", "  ", "error").await;
    let no_code = world.report("billing", " ", "DB down", "error").await;

    for refused in [no_title, no_code] {
        assert!(
            matches!(refused, Err(IncidentError::Invalid(_))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn past_the_alert_budget_the_mail_is_held_back_and_that_is_recorded() {
    let mut world = World::default();
    world.budget.used_up = true;
    let code = world.register("billing").await;

    let reported = world
        .report("billing", &code, "DB down", "crit")
        .await
        .unwrap();

    let stored = world
        .store
        .incidents
        .get(&reported.id)
        .await
        .unwrap()
        .incident;
    assert!(!stored.notified);
    let why = stored.notify_error.unwrap_or_default();
    assert!(
        why.starts_with("held back: the app's alert budget"),
        "{why}"
    );
    assert!(world.mail.sent().is_empty());
    assert!(world.chat.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_mail_and_unreadable_context_never_lose_the_incident() {
    let mut world = World::default();
    world.context.failing = true;
    world.mail.set_failing(true);
    let linked = app_in(json!({"name": "billing", "log_user": "billing-svc"}));
    let code = register_app(&world.store.apps, linked)
        .await
        .unwrap()
        .code
        .unwrap();

    let reported = world
        .report("billing", &code, "DB down", "error")
        .await
        .unwrap();

    let stored = world
        .store
        .incidents
        .get(&reported.id)
        .await
        .unwrap()
        .incident;
    assert!(stored.recent_logs.is_empty());
    assert_eq!(stored.heartbeat, None);
    assert!(!stored.notified);
    assert_eq!(
        stored.notify_error.as_deref(),
        Some("mail could not be sent")
    );
    assert_eq!(
        *world.context.asked.lock().unwrap(),
        ["logs billing-svc - 20"],
        "no heartbeat link, no heartbeat asked"
    );
}

#[tokio::test]
async fn without_mail_nothing_is_recorded_and_an_unlinked_app_is_not_enriched() {
    let world = World::default();
    let code = world.register("billing").await;
    let ports = crate::report::ReportPorts {
        alerts: None,
        mail: None,
        chat: None,
        ..world.ports()
    };

    let reported = report(
        &ports,
        new_incident("billing", &code, "DB down", "error"),
        None,
    )
    .await
    .unwrap();

    let stored = world
        .store
        .incidents
        .get(&reported.id)
        .await
        .unwrap()
        .incident;
    assert_eq!((stored.notified, stored.notify_error), (false, None));
    assert!(world.context.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn logs_over_the_limits_keep_the_newest_lines_and_the_report_says_so() {
    let world = World::default();
    let code = world.register("billing").await;
    let lines: Vec<String> = (0..600).map(|n| format!("line {n}")).collect();
    let input = serde_json::from_value(json!({
        "incident": {"title": "DB down", "level": "error", "logs": lines},
        "app_name": "billing", "code": code
    }))
    .unwrap();

    let reported = report(&world.ports(), input, None).await.unwrap();

    assert!(reported.logs_truncated);
    let stored = world
        .store
        .incidents
        .get(&reported.id)
        .await
        .unwrap()
        .incident;
    assert_eq!((stored.logs.len(), stored.logs_dropped), (500, 100));
    assert_eq!(stored.logs.last().map(String::as_str), Some("line 599"));
}

/// Groups whose pointer a concurrent report always moved before this one wrote: every read
/// answers an empty group, while the stored one points elsewhere.
#[derive(Debug)]
struct Raced<'a>(&'a dyn Groups);

impl Groups for Raced<'_> {
    fn get<'a>(&'a self, _gpk: &'a str) -> BoxFuture<'a, Result<Option<Group>, IncidentError>> {
        Box::pin(async { Ok(None) })
    }

    fn mark_applied<'a>(
        &'a self,
        gpk: &'a str,
        seq: u64,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        self.0.mark_applied(gpk, seq)
    }
}

#[tokio::test]
async fn an_occurrence_that_keeps_losing_its_group_gives_up_without_writing() {
    let world = World::default();
    let code = world.register("billing").await;
    let first = world
        .report("billing", &code, "DB down", "error")
        .await
        .unwrap();
    let mut input = new_incident("billing", &code, "DB down", "error");
    input.validate().unwrap();
    let raced = Raced(&world.store.groups);

    let outcome = record_occurrence(
        &raced,
        &world.store.incidents,
        &input,
        world.clock.now(),
        async { Enrichment::default() },
    )
    .await;

    assert!(
        matches!(outcome, Err(IncidentError::GroupingRaced)),
        "{outcome:?}"
    );
    let page = world
        .store
        .incidents
        .list(IncidentQuery::default())
        .await
        .unwrap();
    assert_eq!(page.incidents.len(), 1, "only the first incident");
    let group = world
        .group("billing", "DB down", IncidentLevel::Error)
        .await;
    assert_eq!(group.current_id, Some(first.id));
    let today = world.store.overview.volume(world.clock.now()).await;
    assert_eq!(today.unwrap().pop().unwrap().opened, 1);
}
