//! `get_machine_events`: a machine's events across its sessions, oldest first, a page at a
//! time, only the tenant's.

use serde_json::{json, Value};

use super::{add, started, tenant};
use crate::add_events::add_events;
use crate::error::TrackerError;
use crate::get_machine_events::get_machine_events;
use crate::input::GetMachineEvents;
use crate::output::MachineEventsOut;
use crate::store::memory::MemoryTracker;

fn get(machine: &str, limit: Option<usize>, next_token: Option<&str>) -> GetMachineEvents {
    serde_json::from_value(json!({"machineId": machine, "limit": limit, "nextToken": next_token}))
        .unwrap()
}

async fn read(
    store: &MemoryTracker,
    who: &str,
    input: GetMachineEvents,
) -> Result<MachineEventsOut, TrackerError> {
    get_machine_events(&store.events, &tenant(who), input).await
}

/// A session of `tenant`'s `machine` with one event `name` at each of `times`.
async fn session(
    store: &MemoryTracker,
    tenant_name: &str,
    machine: &str,
    name: &str,
    times: &[&str],
) -> String {
    let who = tenant(tenant_name);
    let id = started(store, &who, machine, "2026-01-01T00:00:00Z").await;
    let events: Vec<Value> = times
        .iter()
        .map(|at| json!({"eventAt": at, "eventType": name}))
        .collect();
    add_events(
        &store.sessions,
        &store.events,
        &store.counters,
        &who,
        add(&id, events.into()),
    )
    .await
    .unwrap();
    id
}

fn types(out: &MachineEventsOut) -> Vec<&str> {
    out.events.iter().map(|e| e.event_type.as_str()).collect()
}

#[tokio::test]
async fn returns_the_machines_events_across_sessions_oldest_first() {
    let store = MemoryTracker::new(None);
    let a = session(
        &store,
        "acme",
        "m1",
        "a",
        &["2026-01-01T00:00:01Z", "2026-01-01T00:00:05Z"],
    )
    .await;
    let b = session(&store, "acme", "m1", "b", &["2026-01-01T00:00:03Z"]).await;
    session(
        &store,
        "acme",
        "m2",
        "other-machine",
        &["2026-01-01T00:00:02Z"],
    )
    .await;
    session(
        &store,
        "globex",
        "m1",
        "other-tenant",
        &["2026-01-01T00:00:02Z"],
    )
    .await;

    let out = read(&store, "acme", get("m1", None, None)).await.unwrap();

    assert_eq!(out.machine_id, "m1");
    assert_eq!(types(&out), ["a", "b", "a"]);
    let sessions: Vec<_> = out.events.iter().map(|e| e.session_id.clone()).collect();
    assert_eq!(sessions, [Some(a.clone()), Some(b), Some(a)]);
    assert_eq!(out.next_token, None);
}

#[tokio::test]
async fn an_unknown_machine_has_no_events() {
    let store = MemoryTracker::new(None);
    session(&store, "globex", "m1", "theirs", &["2026-01-01"]).await;

    let out = read(&store, "acme", get("m1", None, None)).await.unwrap();

    assert!(out.events.is_empty());
    assert_eq!(out.next_token, None);
}

#[tokio::test]
async fn pages_chain_through_every_event_once() {
    let store = MemoryTracker::new(None);
    session(
        &store,
        "acme",
        "m1",
        "x",
        &["2026-01-01T00:00:01Z", "2026-01-01T00:00:04Z"],
    )
    .await;
    session(
        &store,
        "acme",
        "m1",
        "y",
        &["2026-01-01T00:00:02Z", "2026-01-01T00:00:03Z"],
    )
    .await;
    session(&store, "acme", "m1", "z", &["2026-01-01T00:00:05Z"]).await;

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = read(&store, "acme", get("m1", Some(2), token.as_deref()))
            .await
            .unwrap();
        pages += 1;
        assert!(out.events.len() <= 2);
        seen.extend(out.events.iter().map(|e| e.event_at.to_rfc3339()));
        match out.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }

    assert_eq!(pages, 3);
    let want: Vec<String> = (1..=5)
        .map(|s| format!("2026-01-01T00:00:0{s}.000Z"))
        .collect();
    assert_eq!(seen, want);
}

#[tokio::test]
async fn events_at_the_same_moment_are_each_listed_once() {
    let store = MemoryTracker::new(None);
    session(&store, "acme", "m1", "p", &["2026-01-01T00:00:01Z"]).await;
    session(&store, "acme", "m1", "q", &["2026-01-01T00:00:01Z"]).await;
    session(&store, "acme", "m1", "r", &["2026-01-01T00:00:01Z"]).await;

    let first = read(&store, "acme", get("m1", Some(2), None))
        .await
        .unwrap();
    let token = first.next_token.clone().unwrap();
    let second = read(&store, "acme", get("m1", Some(2), Some(&token)))
        .await
        .unwrap();

    let mut all: Vec<_> = types(&first).into_iter().chain(types(&second)).collect();
    all.sort_unstable();
    assert_eq!(all, ["p", "q", "r"]);
    assert_eq!(second.next_token, None);
}

#[tokio::test]
async fn a_token_of_another_machine_or_tenant_is_invalid() {
    let store = MemoryTracker::new(None);
    session(
        &store,
        "acme",
        "m1",
        "x",
        &["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"],
    )
    .await;
    session(
        &store,
        "acme",
        "m2",
        "x",
        &["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"],
    )
    .await;
    let token = read(&store, "acme", get("m1", Some(1), None))
        .await
        .unwrap()
        .next_token
        .unwrap();

    let other_machine = read(&store, "acme", get("m2", Some(1), Some(&token)))
        .await
        .unwrap_err();
    let other_tenant = read(&store, "globex", get("m1", Some(1), Some(&token)))
        .await
        .unwrap_err();

    assert!(
        matches!(&other_machine, TrackerError::Invalid(m) if m.contains("nextToken")),
        "{other_machine:?}"
    );
    assert!(
        matches!(&other_tenant, TrackerError::Invalid(m) if m.contains("nextToken")),
        "{other_tenant:?}"
    );
}

#[tokio::test]
async fn a_limit_out_of_range_is_invalid() {
    let store = MemoryTracker::new(None);

    for limit in [0, 1001] {
        let err = read(&store, "acme", get("m1", Some(limit), None))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TrackerError::Invalid(m) if m.contains("limit")),
            "{err:?}"
        );
    }
}
