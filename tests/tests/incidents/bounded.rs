//! `GET /admin/incidents` reads a bounded number of DynamoDB pages per request (#30: "never
//! cry wolf"). A filter that matches few incidents made the listing Query with `Limit =
//! limit + 1` until it had a page: thousands of Queries, and a timeout. Each request now reads
//! at most a few pages of a bounded number of incidents each, and answers with what it found
//! and a next token that goes on after the last incident read. The Query calls are counted at
//! a proxy in front of moto, not by the code under test.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use lookout_incidents::{AdminDeps, IncidentStore};
use lookout_tests::{faults::FaultProxy, support::http_request};
use serde_json::{json, Value};

use crate::{setup, Incidents, BEARER};

/// Incidents stored beside the one reported through the route.
const COPIES: usize = 1000;

/// Whether copy `i` is one of the few `crit` incidents (the others are `info`): one in a
/// hundred, and a run of six in a row (a page then fills up in the middle of a Query page).
fn matches(i: usize) -> bool {
    i % 100 == 37 || (500..506).contains(&i)
}

/// Copy `i` of the stored incident `real`, in its stored shape: its own id and title, level
/// `crit` or `info`, last seen on 2020-01-01 `i` seconds after midnight (the larger `i`, the
/// newer).
fn copy_of(real: &HashMap<String, AttributeValue>, i: usize) -> HashMap<String, AttributeValue> {
    let id = format!("{i:032x}");
    let seen = format!(
        "2020-01-01T{:02}:{:02}:{:02}.000Z",
        i / 3600,
        i / 60 % 60,
        i % 60
    );
    let sort = format!("{seen}#{id}");
    let level = if matches(i) { "crit" } else { "info" };
    let mut item = real.clone();
    for (k, v) in [
        ("pk", format!("INC#{id}")),
        ("id", id.clone()),
        ("title", title(i)),
        ("level", level.to_owned()),
        ("first_seen", seen.clone()),
        ("last_seen", seen),
        ("gsi1sk", sort.clone()),
        ("gsi2sk", sort.clone()),
        ("opensk", sort),
    ] {
        item.insert(k.to_owned(), AttributeValue::S(v));
    }
    item
}

fn title(i: usize) -> String {
    format!("flood {i:04}")
}

async fn put_all(t: &Incidents, items: Vec<HashMap<String, AttributeValue>>) {
    let table = t.app.stack.table("IncidentsTable").unwrap();
    for chunk in items.chunks(25) {
        let writes: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        let out = t
            .app
            .ddb
            .batch_write_item()
            .request_items(table, writes)
            .send()
            .await
            .unwrap();
        assert!(
            out.unprocessed_items().is_none_or(HashMap::is_empty),
            "moto kept items unprocessed"
        );
    }
}

/// Every page of `GET /admin/incidents?<query>&limit=<limit>` through the real handler: the
/// titles in the order returned, and the Query calls each request made (counted at `proxy`).
async fn read_all(
    deps: &AdminDeps,
    proxy: &FaultProxy,
    query: &[(&str, &str)],
    limit: &str,
) -> (Vec<String>, Vec<usize>) {
    let mut titles = Vec::new();
    let mut queries_per_request = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut q = query.to_vec();
        q.push(("limit", limit));
        if let Some(tk) = next.as_deref() {
            q.push(("next_token", tk));
        }
        proxy.reset_log();
        let (status, page): (u16, Value) = lookout_tests::support::read(
            admin_list_incidents::handle(
                deps,
                http_request(
                    "GET",
                    "/admin/incidents",
                    &q,
                    &[("authorization", BEARER)],
                    "",
                ),
            )
            .await,
        );
        assert_eq!(status, 200, "{query:?} -> {page}");
        queries_per_request.push(
            proxy
                .forwarded()
                .iter()
                .filter(|op| op.as_str() == "Query")
                .count(),
        );
        let incidents = page["incidents"].as_array().unwrap();
        assert!(
            incidents.len() <= limit.parse().unwrap(),
            "a page of {} incidents",
            incidents.len()
        );
        titles.extend(
            incidents
                .iter()
                .map(|i| i["title"].as_str().unwrap().to_owned()),
        );
        next = page["next_token"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
        assert!(queries_per_request.len() < 500, "pages do not end");
    }
    (titles, queries_per_request)
}

/// 1,000 incidents, 16 of them `crit`: listing the `crit` ones reads at most 2 Query pages of
/// 10 incidents per request with small bounds, and at most production's 8 pages of 100 with
/// the defaults; following the tokens returns every `crit` incident once, newest first. An
/// unfiltered listing is bounded the same way and returns every incident once.
#[tokio::test]
async fn a_filtered_listing_reads_a_bounded_number_of_pages_per_request() {
    // Arrange: one incident reported through the route, then 1,000 copies of its stored item.
    let t = setup().await;
    let code = t.code_for("Flood").await;
    let (status, r) = t
        .report(json!({"incident": {"title": "real", "level": "error"},
            "app_name": "Flood", "code": code}))
        .await;
    assert_eq!(status, 201, "{r}");
    let table = t.app.stack.table("IncidentsTable").unwrap();
    let real = t
        .app
        .items(table)
        .await
        .into_iter()
        .find(|i| i["pk"].as_s().unwrap().starts_with("INC#") && i["sk"].as_s().unwrap() == "META")
        .unwrap();
    put_all(&t, (0..COPIES).map(|i| copy_of(&real, i)).collect()).await;
    assert_eq!(t.incident_items().await, COPIES + 1);
    // Newest first: the largest `i` first.
    let crit: Vec<String> = (0..COPIES)
        .rev()
        .filter(|&i| matches(i))
        .map(title)
        .collect();
    assert_eq!(crit.len(), 16);
    let mut every: Vec<String> = vec!["real".to_owned()];
    every.extend((0..COPIES).rev().map(title));

    // The listing function's DynamoDB calls go through a proxy that counts them.
    let proxy = FaultProxy::start(&lookout_dev::moto::endpoint().unwrap()).await;
    let sdk = t
        .app
        .sdk_for("admin-list-incidents")
        .await
        .into_builder()
        .endpoint_url(proxy.url())
        .build();
    let store = IncidentStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let deps_with = |store: IncidentStore| AdminDeps {
        store,
        ..t.admin["admin-list-incidents"].clone()
    };
    let small = deps_with(store.clone().with_read_bounds(2, 10));
    let production = deps_with(store);

    // Small bounds: 2 pages of 10 per request, so pages hold few `crit` incidents or none,
    // and the requests go on until the range is read (1,001 incidents: at least 50).
    for query in [
        vec![("level", "crit")],
        vec![("app", "Flood"), ("level", "crit")],
    ] {
        let (titles, per_request) = read_all(&small, &proxy, &query, "3").await;
        assert_eq!(titles, crit, "{query:?}");
        assert!(
            per_request.iter().all(|&n| (1..=2).contains(&n)),
            "{query:?}: Query calls per request: {per_request:?}"
        );
        assert!(per_request.len() >= 50, "{query:?}: {per_request:?}");
    }
    // Unfiltered, the same bounds: every incident once, at most 20 per request.
    let (titles, per_request) = read_all(&small, &proxy, &[], "50").await;
    assert_eq!(titles, every);
    assert!(
        per_request.iter().all(|&n| (1..=2).contains(&n)),
        "Query calls per request: {per_request:?}"
    );

    // Production's bounds (8 pages of 100): 1,001 incidents take two requests.
    for query in [
        vec![("level", "crit")],
        vec![("app", "Flood"), ("level", "crit")],
    ] {
        let (titles, per_request) = read_all(&production, &proxy, &query, "50").await;
        assert_eq!(titles, crit, "{query:?}");
        assert!(
            per_request.iter().all(|&n| (1..=8).contains(&n)),
            "{query:?}: Query calls per request: {per_request:?}"
        );
        assert!(per_request.len() >= 2, "{query:?}: {per_request:?}");
    }
}
