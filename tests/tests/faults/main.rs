//! Fault tests: moto stops answering in the middle of a request.
//!
//! The functions' AWS clients talk to moto through a [`FaultProxy`]. For every write route, a
//! first clean call counts the AWS calls the route makes (N); then, for every k in 0..N, the
//! proxy lets k calls through and drops every later one, as if moto had died between call k and
//! k+1. Each such request must either
//! - fail with a 503 and `Retry-After` (a generic body, no internals; never a 4xx: an outage
//!   is not bad input) and leave every table exactly as it was (nothing half-written), after which the
//!   same request, retried with moto back, succeeds and has its effect exactly once; or
//! - succeed with its whole effect, when only best-effort steps after the commit failed.
//!
//! One more test stops the real moto_server process (SIGSTOP) mid-run: requests get a 5xx
//! within the SDK time limits of `lookout_core::aws` instead of hanging, and succeed once it
//! resumes (SIGCONT).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use lambda_http::{Body, Request, Response};
use lookout_core::auth::sha256_hex;
use lookout_dev::{moto, provision, provision::Stack};
use lookout_tests::faults::FaultProxy;
use lookout_tests::support::{http_request, messenger_params, scan_all, template, ADMIN_TOKEN};
use serde_json::{json, Value};

const BEARER: &str = "Bearer test-admin-token";

/// One stored item (attribute -> value), or a queue's depth counters.
type Item = BTreeMap<String, String>;
/// Everything in moto that a route could write: each table's items and each queue's depth.
type Snapshot = BTreeMap<String, BTreeSet<Item>>;

struct World {
    proxy: FaultProxy,
    /// Straight to moto, for fixtures' checks and snapshots.
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    stack: Stack,
    api_key: String,
    log_token: String,
    app_code: String,
    start: start_session::Deps,
    add: add_event::Deps,
    keys: admin_api_keys::Deps,
    log_admin: admin_log_users::Deps,
    logs: send_logs::Deps,
    apps: register_app::Deps,
    report: report_incident::Deps,
    beat: heartbeat::Deps,
    crud: contacts_create::Deps,
    send: contacts_send::Deps,
    end: end_session::Deps,
    incident_admin: update_incident::Deps,
    app_update: update_app::Deps,
    app_delete: delete_app::Deps,
    hb_admin: admin_heartbeat_apps::Deps,
    contacts_delete: contacts_delete::Deps,
}

fn status_body(resp: Result<Response<Body>, lambda_http::Error>) -> (u16, Value) {
    let resp = resp.expect("handlers answer faults with a response, not an Err");
    let body = serde_json::from_slice(resp.body().as_ref()).unwrap_or(Value::Null);
    if resp.status().as_u16() == 503 {
        assert_eq!(
            resp.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            Some("5"),
            "a 503 says when to retry"
        );
    }
    (resp.status().as_u16(), body)
}

/// An outage's answer: 503 with a body that says nothing of the internals (Lookout's JSON
/// error, or seed 000's own format for `/send_logs`), and `Retry-After` (`status_body`).
fn is_outage_answer(status: u16, reply: &Value) -> bool {
    status == 503
        && (*reply
            == json!({"error": "unavailable", "message": lookout_core::error::UNAVAILABLE_MESSAGE})
            || *reply == json!({"code": 503, "message": "ServiceUnavailable"}))
}

/// Builds a function's dependencies the way its main does, signed as its own role.
async fn as_function<T, E: std::fmt::Debug>(
    binary: &str,
    from_env: impl std::future::Future<Output = Result<T, E>>,
) -> T {
    std::env::set_var("AWS_LAMBDA_FUNCTION_NAME", binary);
    from_env.await.unwrap()
}

impl World {
    /// One stack in moto; the functions' own `Deps::from_env` (production clients and time
    /// limits) with `AWS_ENDPOINT_URL` pointing at the proxy.
    async fn new() -> Self {
        let endpoint = moto::endpoint().unwrap();
        let sdk = moto::sdk_config(&endpoint).await;
        let tpl = template();
        let prefix = format!("f{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let emulator = lookout_dev::emulator::Emulator::shared().unwrap();
        let mut params = messenger_params(emulator.url());
        params.insert(
            "AdminTokenSha256".into(),
            sha256_hex(ADMIN_TOKEN.as_bytes()),
        );
        params.insert("AdminEmail".into(), "admin@example.com".into());
        params.insert("SenderEmail".into(), "lookout@example.com".into());
        let stack = provision::provision(&tpl, &sdk, &prefix, &params)
            .await
            .unwrap();
        lookout_tests::support::put_emulator_tokens(&sdk, &stack).await;
        let proxy = FaultProxy::start(&endpoint).await;
        // Each function signs as its own role: a profile named after it, picked by
        // AWS_LAMBDA_FUNCTION_NAME when its Deps::from_env runs (as under watch).
        let creds = lookout_dev::iam::function_credentials(&sdk, &tpl)
            .await
            .unwrap();
        let creds_file = lookout_dev::template::workspace_root()
            .join("target")
            .join(format!("{prefix}.credentials"));
        std::fs::write(&creds_file, lookout_dev::iam::credentials_file(&creds)).unwrap();
        // One process-wide environment: this binary has a single test that uses it.
        for (k, v) in stack
            .merged_env(&tpl)
            .unwrap()
            .into_iter()
            .chain(moto::function_env(proxy.url(), &creds_file))
        {
            std::env::set_var(k, v);
        }
        let mut w = Self {
            proxy,
            ddb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            stack,
            api_key: String::new(),
            log_token: String::new(),
            app_code: String::new(),
            start: as_function("start-session", start_session::Deps::from_env()).await,
            add: as_function("add-event", add_event::Deps::from_env()).await,
            keys: as_function("admin-api-keys", admin_api_keys::Deps::from_env()).await,
            log_admin: as_function("admin-log-users", admin_log_users::Deps::from_env()).await,
            logs: as_function("send-logs", send_logs::Deps::from_env()).await,
            apps: as_function("register-app", register_app::Deps::from_env()).await,
            report: as_function("report-incident", report_incident::Deps::from_env()).await,
            beat: as_function("heartbeat", heartbeat::Deps::from_env()).await,
            crud: as_function("contacts-create", contacts_create::Deps::from_env()).await,
            send: as_function("contacts-send", contacts_send::Deps::from_env()).await,
            end: as_function("end-session", end_session::Deps::from_env()).await,
            incident_admin: as_function("update-incident", update_incident::Deps::from_env()).await,
            app_update: as_function("update-app", update_app::Deps::from_env()).await,
            app_delete: as_function("delete-app", delete_app::Deps::from_env()).await,
            hb_admin: as_function(
                "admin-heartbeat-apps",
                admin_heartbeat_apps::Deps::from_env(),
            )
            .await,
            contacts_delete: as_function("contacts-delete", contacts_delete::Deps::from_env())
                .await,
        };
        // Fixtures, through the routes themselves with moto up.
        let (s, b) = w
            .call(Op::ApiKey, json!({"tenant": "acme", "label": "faults"}))
            .await;
        assert_eq!(s, 201, "{b}");
        w.api_key = b["apiKey"].as_str().unwrap().to_owned();
        let (s, b) = w.call(Op::LogUser, json!({"user": "faulty"})).await;
        assert_eq!(s, 201, "{b}");
        w.log_token = b["x_user_token"].as_str().unwrap().to_owned();
        let (s, b) = w.call(Op::RegisterApp, json!({"name": "Faulty"})).await;
        assert_eq!(s, 201, "{b}");
        w.app_code = b["code"].as_str().unwrap().to_owned();
        w
    }

    fn request(&self, op: Op, body: &Value) -> Request {
        let admin = [("authorization", BEARER)];
        let key = [("x-api-key", self.api_key.as_str())];
        let token = [("x-user-token", self.log_token.as_str())];
        let idem = body["message"]
            .as_str()
            .unwrap_or_default()
            .replace(' ', "-");
        let keyed = [
            ("x-api-key", self.api_key.as_str()),
            ("idempotency-key", idem.as_str()),
        ];
        let body = body.to_string();
        let (method, path, headers): (&str, &str, &[(&str, &str)]) = match op {
            Op::ApiKey => ("POST", "/admin/api_keys", &admin),
            Op::LogUser => ("POST", "/admin/log_users", &admin),
            Op::RegisterApp => ("POST", "/admin/apps", &admin),
            Op::StartSession => ("POST", "/start_session", &key),
            Op::AddEvent => ("POST", "/add_event", &key),
            Op::SendLogs => ("POST", "/send_logs", &token),
            Op::Report => ("POST", "/incidents", &[]),
            Op::Heartbeat => ("POST", "/api/apps/", &key),
            Op::Contacts => ("POST", "/api/contacts", &key),
            Op::Send => ("PUT", "/api/contacts", &key),
            Op::SendKeyed => ("PUT", "/api/contacts", &keyed),
            Op::EndSession => ("POST", "/end_session", &key),
            Op::UpdateIncident => ("PATCH", "/admin/incident", &admin),
            Op::UpdateApp => ("PUT", "/admin/apps", &admin),
            Op::DeleteApp => ("DELETE", "/admin/apps", &admin),
            Op::HeartbeatAdmin => ("POST", "/admin/heartbeat_apps", &admin),
            Op::ContactsDelete => ("DELETE", "/api/contacts", &key),
        };
        http_request(method, path, &[], headers, &body)
    }

    async fn call(&self, op: Op, body: Value) -> (u16, Value) {
        let req = self.request(op, &body);
        status_body(match op {
            Op::ApiKey => Box::pin(admin_api_keys::handle(&self.keys, req)).await,
            Op::LogUser => Box::pin(admin_log_users::handle(&self.log_admin, req)).await,
            Op::RegisterApp => Box::pin(register_app::handle(&self.apps, req)).await,
            Op::StartSession => Box::pin(start_session::handle(&self.start, req)).await,
            Op::AddEvent => Box::pin(add_event::handle(&self.add, req)).await,
            Op::SendLogs => Box::pin(send_logs::handle(&self.logs, req)).await,
            Op::Report => Box::pin(report_incident::handle(&self.report, req)).await,
            Op::Heartbeat => Box::pin(heartbeat::handle(&self.beat, req)).await,
            Op::Contacts => Box::pin(contacts_create::handle(&self.crud, req)).await,
            Op::Send | Op::SendKeyed => Box::pin(contacts_send::handle(&self.send, req)).await,
            Op::EndSession => Box::pin(end_session::handle(&self.end, req)).await,
            Op::UpdateIncident => {
                Box::pin(update_incident::handle(&self.incident_admin, req)).await
            }
            Op::UpdateApp => Box::pin(update_app::handle(&self.app_update, req)).await,
            Op::DeleteApp => Box::pin(delete_app::handle(&self.app_delete, req)).await,
            Op::HeartbeatAdmin => Box::pin(admin_heartbeat_apps::handle(&self.hb_admin, req)).await,
            Op::ContactsDelete => {
                Box::pin(contacts_delete::handle(&self.contacts_delete, req)).await
            }
        })
    }

    /// Every item of every table, and the messages waiting in every queue.
    async fn snapshot(&self) -> Snapshot {
        let mut out = Snapshot::new();
        for table in self.stack.tables.values() {
            let items: BTreeSet<Item> = scan_all(&self.ddb, table)
                .await
                .into_iter()
                .map(|item| {
                    item.into_iter()
                        .map(|(k, v)| (k, format!("{v:?}")))
                        .collect()
                })
                .collect();
            out.insert(table.clone(), items);
        }
        for q in self.stack.queues.values() {
            let attrs = self
                .sqs
                .get_queue_attributes()
                .queue_url(&q.url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
                .send()
                .await
                .unwrap();
            let depth: Item = attrs
                .attributes
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| {
                    matches!(
                        k,
                        aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages
                            | aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible
                            | aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed
                    )
                })
                .map(|(k, v)| (format!("{k:?}"), v))
                .collect();
            out.insert(format!("queue {}", q.url), BTreeSet::from([depth]));
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ApiKey,
    LogUser,
    RegisterApp,
    StartSession,
    AddEvent,
    SendLogs,
    Report,
    Heartbeat,
    Contacts,
    Send,
    /// `PUT /api/contacts` with an `Idempotency-Key` (the body's message).
    SendKeyed,
    EndSession,
    UpdateIncident,
    UpdateApp,
    DeleteApp,
    HeartbeatAdmin,
    ContactsDelete,
}

/// Items added per table (and queue depth changes) from `before` to `after`.
fn delta(before: &Snapshot, after: &Snapshot) -> BTreeMap<String, (usize, usize)> {
    after
        .iter()
        .filter_map(|(k, a)| {
            let b = before.get(k).cloned().unwrap_or_default();
            let added = a.difference(&b).count();
            let removed = b.difference(a).count();
            (added + removed > 0).then(|| (k.clone(), (added, removed)))
        })
        .collect()
}

/// The items `after` has and `before` had not, per table (or queue).
fn added(before: &Snapshot, after: &Snapshot) -> BTreeMap<String, Vec<Item>> {
    after
        .iter()
        .filter_map(|(k, a)| {
            let b = before.get(k).cloned().unwrap_or_default();
            let new: Vec<Item> = a.difference(&b).cloned().collect();
            (!new.is_empty()).then(|| (k.clone(), new))
        })
        .collect()
}

/// Per table, the attributes whose values differ between what two clean calls of different
/// requests stored, made over a second apart: ids, times, the requests' own values. Every
/// other attribute (which attributes there are, statuses, levels, counters, owners, ...) is
/// what any call of the route stores.
fn varying(
    a: &BTreeMap<String, Vec<Item>>,
    b: &BTreeMap<String, Vec<Item>>,
) -> BTreeMap<String, BTreeSet<String>> {
    let values = |items: Option<&Vec<Item>>, attr: &str| {
        let mut v: Vec<Option<String>> = items
            .into_iter()
            .flatten()
            .map(|i| i.get(attr).cloned())
            .collect();
        v.sort();
        v
    };
    a.keys()
        .chain(b.keys())
        .map(|table| {
            let attrs: BTreeSet<&String> = a
                .get(table)
                .into_iter()
                .chain(b.get(table))
                .flatten()
                .flat_map(|i| i.keys())
                .collect();
            let differ = attrs
                .into_iter()
                .filter(|attr| values(a.get(table), attr) != values(b.get(table), attr))
                .cloned()
                .collect();
            (table.clone(), differ)
        })
        .collect()
}

/// What a call stored, with the attributes that vary between requests blanked out.
fn contents(
    added: &BTreeMap<String, Vec<Item>>,
    varying: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, Vec<Item>> {
    added
        .iter()
        .map(|(table, items)| {
            let blank = varying.get(table).cloned().unwrap_or_default();
            let mut items: Vec<Item> = items
                .iter()
                .map(|item| {
                    item.iter()
                        .map(|(k, v)| {
                            let v = if blank.contains(k) {
                                "*".to_owned()
                            } else {
                                v.clone()
                            };
                            (k.clone(), v)
                        })
                        .collect()
                })
                .collect();
            items.sort();
            (table.clone(), items)
        })
        .collect()
}

/// Attributes that record a best-effort step after the commit (documented), so a success
/// despite a fault may store them differently: a report's admin notification
/// (`notified: false` and `notify_error` when the mail failed; docs/incidents.md).
fn best_effort(op: Op) -> &'static [&'static str] {
    match op {
        Op::Report => &["notified", "notify_error"],
        _ => &[],
    }
}

/// Items a route updates best-effort after its commit (documented): usage counts that feed
/// quotas and volume charts. A failure to count is logged and the request still succeeds, so
/// a success despite a fault at that step leaves them as they were: a log user's daily counts
/// on its item (docs/logs.md), a tenant's daily send count (docs/messenger.md).
fn best_effort_item(op: Op, table: &str, item: &Item) -> bool {
    match op {
        Op::SendLogs => table.ends_with("LogUsersTable"),
        // The day's counter item (its `pk` may be masked as varying, its `sends` is its own).
        Op::Send | Op::SendKeyed => table.ends_with("MessengerTable") && item.contains_key("sends"),
        _ => false,
    }
}

/// A snapshot without `op`'s best-effort items.
fn core_of(op: Op, snapshot: &Snapshot) -> Snapshot {
    snapshot
        .iter()
        .map(|(table, items)| {
            let kept = items
                .iter()
                .filter(|i| !best_effort_item(op, table, i))
                .cloned()
                .collect();
            (table.clone(), kept)
        })
        .collect()
}

/// `contents` without the attributes `skip`.
fn without(
    mut contents: BTreeMap<String, Vec<Item>>,
    skip: &[&str],
) -> BTreeMap<String, Vec<Item>> {
    for items in contents.values_mut() {
        for item in items.iter_mut() {
            item.retain(|k, _| !skip.contains(&k.as_str()));
        }
        items.sort();
    }
    contents
}

/// The fault sweep of one route. `body(i)` is the i-th distinct request of that route: 0 is
/// the clean call, 1 a control (a second clean call), 2..N+2 the faulted ones, N+2 another
/// control.
async fn sweep(w: &World, op: Op, ok: u16, body: impl Fn(usize) -> Value) -> Vec<String> {
    let mut report = Vec::new();
    // A first call of the day creates the day's counters (log usage, sends, incidents opened),
    // which later calls only update: make it before the clean call, so every measured call has
    // the same effect shape.
    w.proxy.up();
    if matches!(op, Op::SendLogs | Op::Send | Op::SendKeyed | Op::Report) {
        let _ = w.call(op, body(1000)).await;
    }
    // A clean call: how many AWS calls the route makes, and what a success changes.
    let before = w.snapshot().await;
    w.proxy.up();
    w.proxy.reset_log();
    let (status, reply) = w.call(op, body(0)).await;
    let clean_at = Instant::now();
    assert_eq!(status, ok, "{op:?} clean call: {reply}");
    let calls = w.proxy.forwarded();
    let clean = w.snapshot().await;
    let effect = delta(&before, &clean);
    let first = added(&before, &clean);
    let clean_before = before.clone();
    assert!(!effect.is_empty(), "{op:?} changed nothing");
    report.push(format!("{op:?}: {} AWS calls {calls:?}", calls.len()));
    // What each faulted request stored in the end (after its retry, or despite the fault),
    // compared with the clean call's contents once the control call shows what varies.
    let mut stored: Vec<(usize, bool, BTreeMap<String, Vec<Item>>)> = Vec::new();

    for k in 0..calls.len() {
        let i = k + 2;
        let before = w.snapshot().await;
        w.proxy.reset_log();
        w.proxy.fail_after(k);
        let (status, reply) = w.call(op, body(i)).await;
        let refused = w.proxy.refused();
        w.proxy.up();
        let after = w.snapshot().await;
        match status {
            500..=599 => {
                assert!(
                    is_outage_answer(status, &reply),
                    "{op:?} k={k}: an outage is a 503 with a generic body: {status} {reply}"
                );
                assert!(!refused.is_empty(), "{op:?} k={k}: 5xx without a fault");
                let left = delta(&before, &after);
                let inert = matches!(op, Op::Send | Op::SendKeyed)
                    && calls[..k]
                        .iter()
                        .any(|c| c == "BatchWriteItem" || c == "PutItem");
                if inert {
                    // Stored, then the queue and DynamoDB both went away before the undo: the
                    // send stays, inert: no job for it is queued (the queue's depth is part of
                    // the snapshot and did not change), so it is never delivered, and it
                    // expires with its TTL. With only the queue down, the undo removes it
                    // (checked at the end of this test).
                    assert_eq!(left.len(), 1, "{op:?} k={k}: {left:?}");
                    assert!(
                        left.keys().all(|t| t.ends_with("MessengerTable")),
                        "{left:?}"
                    );
                    assert!(left.values().all(|(_, removed)| *removed == 0), "{left:?}");
                    report.push(format!("  k={k}: inert leftover {left:?}"));
                } else {
                    assert_eq!(
                        left,
                        BTreeMap::new(),
                        "{op:?} k={k} (moto gone after {:?}): a failed request left writes behind",
                        &calls[..k]
                    );
                }
                // Moto is back: the client's retry of the same request succeeds, once.
                let (status, reply) = w.call(op, body(i)).await;
                assert_eq!(status, ok, "{op:?} k={k}: retry after the fault: {reply}");
                let retried = w.snapshot().await;
                stored.push((
                    k,
                    false,
                    added(
                        if inert && op == Op::Send {
                            &after
                        } else {
                            &before
                        },
                        &retried,
                    ),
                ));
                assert_eq!(
                    // Unkeyed, the retry is a new send beside the inert one; with an
                    // Idempotency-Key it completes the inert one.
                    shape(&delta(
                        if inert && op == Op::Send {
                            &after
                        } else {
                            &before
                        },
                        &retried
                    )),
                    shape(&effect),
                    "{op:?} k={k}: the retry's effect differs from a clean call's"
                );
                report.push(format!("  k={k}: 5xx, then {status} on retry"));
            }
            s if s == ok => {
                // Whole, but for the best-effort counts (`best_effort_item`).
                let (b, a) = (core_of(op, &before), core_of(op, &after));
                assert_eq!(
                    shape(&delta(&b, &a)),
                    shape(&delta(&core_of(op, &clean_before), &core_of(op, &clean))),
                    "{op:?} k={k}: a success despite the fault must have its whole effect"
                );
                stored.push((k, true, added(&b, &a)));
                report.push(format!(
                    "  k={k}: {status}: committed before the fault (best-effort steps refused: {refused:?})"
                ));
            }
            other => panic!("{op:?} k={k}: an outage answered {other}: {reply}"),
        }
    }

    // The control: another clean call over a second after the first (so second-resolution
    // times differ too); what differs between the two is what varies by request.
    tokio::time::sleep(Duration::from_millis(1100).saturating_sub(clean_at.elapsed())).await;
    // Two controls (the second with the request after the faulted ones), so a value derived
    // from the request (a shard of the id, say) that two requests happen to share still varies.
    let mut controls = Vec::new();
    for i in [1, calls.len() + 2] {
        let before = w.snapshot().await;
        let (status, reply) = w.call(op, body(i)).await;
        assert_eq!(status, ok, "{op:?} control call {i}: {reply}");
        controls.push(added(&before, &w.snapshot().await));
    }
    let mut varies = varying(&first, &controls[0]);
    for (table, attrs) in varying(&first, &controls[1]) {
        varies.entry(table).or_default().extend(attrs);
    }
    let want = contents(&first, &varies);
    for control in &controls {
        assert_eq!(contents(control, &varies), want, "{op:?}: clean calls");
    }
    // What a clean call stored but for its best-effort counts.
    let want_core: BTreeMap<String, Vec<Item>> = want
        .iter()
        .map(|(table, items)| {
            let kept: Vec<Item> = items
                .iter()
                .filter(|i| !best_effort_item(op, table, i))
                .cloned()
                .collect();
            (table.clone(), kept)
        })
        .filter(|(_, items)| !items.is_empty())
        .collect();
    for (k, despite_fault, items) in &stored {
        // A success despite the fault skipped a best-effort step, which the item records.
        let skip: &[&str] = if *despite_fault { best_effort(op) } else { &[] };
        let want = if *despite_fault { &want_core } else { &want };
        assert_eq!(
            without(contents(items, &varies), skip),
            without(want.clone(), skip),
            "{op:?} k={k}: what the request stored in the end differs from a clean call's \
             contents (attributes that vary by request: {varies:?})"
        );
    }
    report.push(format!(
        "  stored contents of {} faulted requests = a clean call's (varying: {varies:?})",
        stored.len()
    ));
    report
}

/// Every AWS endpoint hangs (takes requests, answers none), as a stopped moto_server does:
/// each write route, one per family and all at once, answers the generic 5xx within the SDK's
/// operation time limit (`lookout_core::aws::OPERATION_TIMEOUT`, 7 s) plus 1 s, and stores
/// nothing.
async fn hung_endpoints(w: &World) -> Vec<String> {
    let bound = lookout_core::aws::OPERATION_TIMEOUT + Duration::from_secs(1);
    let code = w.app_code.clone();
    let requests = [
        (
            Op::StartSession,
            json!({"userId": "hung", "machineId": "m9", "startAt": "2026-01-01T00:00:00Z"}),
        ),
        (
            Op::SendLogs,
            json!({"data": {"user": "faulty", "pid": 9, "p_name": "p",
            "post_time": "2026-01-03T12:00:00+00:00", "logs": [
            {"level": "info", "msg": "hung", "event_at": "2026-01-03T12:00:00+00:00", "p_description": "d"}]}}),
        ),
        (
            Op::Report,
            json!({"app_name": "Faulty", "code": code,
            "incident": {"title": "hung", "message": "m", "level": "error"}}),
        ),
        (Op::Heartbeat, json!({"app_id": 9999, "message": "OK"})),
        (
            Op::Contacts,
            json!({"user_name": "hung", "contacts": [
            {"name": "h", "messangers": {"telegram": "-1001234567", "whatsApp": "", "viber": ""}}]}),
        ),
        (
            Op::Send,
            json!({"user_name": "u", "contact": ["c0"], "message": "hung"}),
        ),
        (Op::ApiKey, json!({"tenant": "hung", "label": "x"})),
    ];
    let before = w.snapshot().await;
    w.proxy.hang();
    let answers = futures::future::join_all(requests.iter().map(|(op, body)| async move {
        let t0 = Instant::now();
        let (status, reply) = w.call(*op, body.clone()).await;
        (*op, status, reply, t0.elapsed())
    }))
    .await;
    w.proxy.up();
    let mut report = vec![format!("all endpoints hung, bound {bound:?}:")];
    for (op, status, reply, waited) in answers {
        assert!(
            is_outage_answer(status, &reply),
            "{op:?} with AWS hung: a 503 with a generic body: {status} {reply}"
        );
        assert!(
            waited < bound,
            "{op:?}: a hung AWS endpoint held the request {waited:?}"
        );
        report.push(format!("  {op:?}: {status} after {waited:.1?}"));
    }
    assert_eq!(
        delta(&before, &w.snapshot().await),
        BTreeMap::new(),
        "requests to hung endpoints stored something"
    );
    report
}

/// Per table: (items added, items removed) — what "the same effect" compares.
fn shape(d: &BTreeMap<String, (usize, usize)>) -> BTreeMap<String, (usize, usize)> {
    d.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_route_survives_moto_stopping_between_any_two_calls() {
    let w = World::new().await;
    let mut report = Vec::new();
    // The API key's first use records it (`lastUsedAt`, at most once an hour): make that
    // happen before the sweep, so each route's calls have the same effect.
    let (status, body) = w
        .call(
            Op::StartSession,
            json!({"userId": "warm", "machineId": "m0", "startAt": "2026-01-01T00:00:00Z", "orgId": 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    report.extend(
        sweep(&w, Op::StartSession, 200, |i| {
            json!({"userId": format!("u{i}"), "machineId": "m1", "startAt": "2026-01-01T00:00:00Z", "orgId": 1})
        })
        .await,
    );

    let (s, b) = w
        .call(
            Op::StartSession,
            json!({"userId": "u", "machineId": "m2", "startAt": "2026-01-01T00:00:00Z", "orgId": 1}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let session = b["sessionId"].clone();
    report.extend(
        sweep(&w, Op::AddEvent, 200, |i| {
            json!({"sessionId": session, "events": [
                {"eventAt": "2026-01-01T00:01:00Z", "eventType": "tick", "payload": {"i": i}},
                {"eventAt": "2026-01-01T00:02:00Z", "eventType": "tock", "payload": {"i": i}}
            ]})
        })
        .await,
    );

    report.extend(
        sweep(
            &w,
            Op::ApiKey,
            201,
            |i| json!({"tenant": format!("tenant{i}"), "label": "x"}),
        )
        .await,
    );

    // A small batch (one BatchWriteItem) and one of 30 chunks (one TransactWriteItems).
    report.extend(
        sweep(&w, Op::SendLogs, 200, |i| {
            json!({"data": {"user": "faulty", "pid": 2, "p_name": "p",
                   "post_time": "2026-01-03T12:00:00+00:00", "logs": [
                {"level": "info", "msg": format!("small {i}"), "event_at": "2026-01-03T12:00:00+00:00", "p_description": "d"}
            ]}})
        })
        .await,
    );
    report.extend(
        sweep(&w, Op::SendLogs, 200, |i| {
            let logs: Vec<Value> = (0..60)
                .map(|h| {
                    json!({"level": "info", "msg": format!("line {h} of batch {i}"),
                           "event_at": format!("2026-01-0{}T{:02}:00:00+00:00", 1 + h / 24, h % 24),
                           "p_description": "d"})
                })
                .collect();
            json!({"data": {"user": "faulty", "pid": 1, "p_name": "p",
                           "post_time": "2026-01-03T12:00:00+00:00", "logs": logs}})
        })
        .await,
    );

    let code = w.app_code.clone();
    report.extend(
        sweep(&w, Op::Report, 201, |i| {
            json!({"app_name": "Faulty", "code": code,
                   "incident": {"title": format!("disk full {i}"), "message": "m", "level": "error"}})
        })
        .await,
    );

    report.extend(
        sweep(
            &w,
            Op::Heartbeat,
            200,
            |i| json!({"app_id": 1000 + i, "message": "OK:200"}),
        )
        .await,
    );

    // The tenant's first contact creates its contacts counter (every later create updates
    // it): make that happen before the sweep, so each call of the route has the same effect.
    let (s, b) = w
        .call(
            Op::Contacts,
            json!({"user_name": "warm", "contacts": [
                {"name": "w", "messangers": {"telegram": "-1001234568", "whatsApp": "", "viber": ""}}
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    report.extend(
        sweep(&w, Op::Contacts, 200, |i| {
            json!({"user_name": "u", "contacts": [
                {"name": format!("c{i}"), "messangers": {"telegram": "-1001234567", "whatsApp": "+15550001111", "viber": ""}}
            ]})
        })
        .await,
    );

    report.extend(
        sweep(
            &w,
            Op::Send,
            200,
            |i| json!({"user_name": "u", "contact": ["c0", "c1"], "message": format!("hello {i}")}),
        )
        .await,
    );

    report.extend(
        sweep(
            &w,
            Op::SendKeyed,
            200,
            |i| json!({"user_name": "u", "contact": ["c0", "c1"], "message": format!("keyed {i}")}),
        )
        .await,
    );

    report.extend(
        sweep(
            &w,
            Op::LogUser,
            201,
            |i| json!({"user": format!("user{i}")}),
        )
        .await,
    );
    report.extend(
        sweep(
            &w,
            Op::RegisterApp,
            201,
            |i| json!({"name": format!("App{i}")}),
        )
        .await,
    );

    // Routes that change or remove what exists: one fresh object per attempt.
    let mut sessions = Vec::new();
    let mut doomed_apps = Vec::new();
    let mut doomed_contacts = Vec::new();
    for i in 0..10 {
        let (s, b) = w
            .call(
                Op::StartSession,
                json!({"userId": "e", "machineId": "m3", "startAt": "2026-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        sessions.push(b["sessionId"].as_str().unwrap().to_owned());
        let (s, b) = w
            .call(Op::RegisterApp, json!({"name": format!("Doomed{i}")}))
            .await;
        assert_eq!(s, 201, "{b}");
        doomed_apps.push(format!("Doomed{i}"));
        let (s, b) = w
            .call(
                Op::Contacts,
                json!({"user_name": "d", "contacts": [
                    {"name": format!("d{i}"), "messangers": {"telegram": "-1001234567", "whatsApp": "", "viber": ""}}
                ]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        doomed_contacts.push(format!("d{i}"));
    }
    report.extend(
        sweep(
            &w,
            Op::EndSession,
            200,
            |i| json!({"sessionId": sessions[i], "endAt": "2026-01-01T01:00:00Z"}),
        )
        .await,
    );
    let (s, incident) = w
        .call(
            Op::Report,
            json!({"app_name": "Faulty", "code": w.app_code,
                   "incident": {"title": "to triage", "message": "m", "level": "warning"}}),
        )
        .await;
    assert_eq!(s, 201, "{incident}");
    let incident_id = incident["id"].clone();
    report.extend(
        sweep(&w, Op::UpdateIncident, 200, |i| {
            json!({"id": incident_id, "notes": format!("looked at it, round {i}"), "by": "ops"})
        })
        .await,
    );
    report.extend(
        sweep(
            &w,
            Op::UpdateApp,
            200,
            |i| json!({"name": "Faulty", "description": format!("v{i}")}),
        )
        .await,
    );
    report.extend(sweep(&w, Op::DeleteApp, 200, |i| json!({"name": doomed_apps[i]})).await);
    report.extend(
        sweep(
            &w,
            Op::HeartbeatAdmin,
            201,
            |i| json!({"tenant": "acme", "app_id": 7000 + i, "period_seconds": 300}),
        )
        .await,
    );
    report.extend(
        sweep(
            &w,
            Op::ContactsDelete,
            200,
            |i| json!({"user_name": "d", "contact": doomed_contacts[i]}),
        )
        .await,
    );

    report.extend(hung_endpoints(&w).await);

    // Only SQS down (DynamoDB up): the stored send is taken back before the 5xx.
    let before = w.snapshot().await;
    w.proxy.fail_ops(&["SendMessage"]);
    let body = json!({"user_name": "u", "contact": ["c0"], "message": "queue down"});
    let (status, reply) = w.call(Op::Send, body.clone()).await;
    w.proxy.up();
    assert!(is_outage_answer(status, &reply), "{status} {reply}");
    assert_eq!(delta(&before, &w.snapshot().await), BTreeMap::new());
    let (status, reply) = w.call(Op::Send, body).await;
    assert_eq!(status, 200, "{reply}");
    report.push("Send with only SQS down: 503, nothing stored; retry 200".into());

    eprintln!("{}", report.join("\n"));
}

/// The real moto_server process stops (SIGSTOP) while a client is using the stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_moto_gives_bounded_5xx_and_work_resumes_when_it_returns() {
    let own = moto::OwnMoto::start().unwrap();
    let sdk = moto::sdk_config(&own.url).await;
    let tpl = template();
    let params = BTreeMap::from([(
        "AdminTokenSha256".to_owned(),
        sha256_hex(ADMIN_TOKEN.as_bytes()),
    )]);
    let stack = provision::provision(&tpl, &sdk, "stop", &params)
        .await
        .unwrap();
    // The production client settings (time limits included), pointed at this moto.
    let sdk = sdk
        .into_builder()
        .timeout_config(lookout_core::aws::timeouts())
        .build();
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let keys = lookout_core::auth::ApiKeys::new(ddb.clone(), stack.table("ApiKeysTable").unwrap());
    // The handler signs as start-session's own role, with the production time limits.
    let role_ddb = aws_sdk_dynamodb::Client::new(
        &moto::function_config(&own.url, "start-session")
            .await
            .expect("the function's local IAM role"),
    );
    let tracker = lookout_tracker::Deps {
        store: lookout_tracker::TrackerStore::new(
            role_ddb.clone(),
            stack.table("TrackerTable").unwrap(),
            Some(90),
        ),
        keys: lookout_core::auth::ApiKeys::new(role_ddb, stack.table("ApiKeysTable").unwrap()),
    };
    let key = keys
        .issue(&lookout_core::auth::Tenant::parse("acme").unwrap(), "t")
        .await
        .unwrap()
        .api_key;
    let start = |i: usize| {
        http_request(
            "POST",
            "/start_session",
            &[],
            &[("x-api-key", &key)],
            &json!({"userId": format!("u{i}"), "machineId": "m", "startAt": "2026-01-01T00:00:00Z"})
                .to_string(),
        )
    };
    let sessions = || async {
        ddb.scan()
            .table_name(stack.table("TrackerTable").unwrap())
            .send()
            .await
            .unwrap()
            .count
    };
    let (s, b) = status_body(start_session::handle(&tracker, start(0)).await);
    assert_eq!(s, 200, "{b}");
    let before = sessions().await;

    let pid = own.pid().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap()
        .success());
    let t0 = Instant::now();
    let (s, b) = status_body(start_session::handle(&tracker, start(1)).await);
    let waited = t0.elapsed();
    assert!(std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap()
        .success());
    assert!(is_outage_answer(s, &b), "{s} {b}");
    assert!(
        waited < lookout_core::aws::OPERATION_TIMEOUT + Duration::from_secs(1),
        "a stopped moto held the request for {waited:?}"
    );

    // Resumed: the same client works again, and the timed-out attempt wrote nothing.
    let (s, b) = status_body(start_session::handle(&tracker, start(1)).await);
    assert_eq!(s, 200, "{b}");
    assert_eq!(sessions().await, before + 1);
    eprintln!("moto stopped: 5xx after {waited:?}; resumed: 200");
}
