//! POST and GET /admin/heartbeat_apps in-process: registration, period/grace, pause, resume,
//! retire, listing, admin auth and validation.

use serde_json::{json, Value};

use lookout_tests::support::{http_request, read, request, ADMIN_TOKEN};

use crate::harness::{at, ms, n, s, spawn};

#[tokio::test]
async fn admin_registers_an_app_and_changes_its_period_and_grace() {
    let hb = spawn().await;

    let (status, app) = hb
        .admin_at(
            0,
            &json!({"tenant": "acme", "app_id": "billing", "period_seconds": 300, "grace_seconds": 30}),
        )
        .await;

    assert_eq!(status, 201, "{app}");
    assert_eq!(app["app_id"], "billing");
    assert_eq!(app["state"], "up");
    assert_eq!(
        (app["period_seconds"].clone(), app["grace_seconds"].clone()),
        (json!(300), json!(30))
    );
    assert_eq!(
        app["due_by"],
        at(330),
        "first beat expected within period + grace"
    );
    assert_eq!(app["last_heartbeat"], Value::Null);
    let item = hb.item("acme", "billing").await.unwrap();
    assert_eq!(n(&item, "dueAt"), ms(330));

    // Changing the settings later counts from the last beat.
    hb.beat_at(100, &json!({"app_id": "billing"})).await;
    let (status, app) = hb
        .admin_at(
            200,
            &json!({"tenant": "acme", "app_id": "billing", "grace_seconds": 0}),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["due_by"], at(400));
    let item = hb.item("acme", "billing").await.unwrap();
    assert_eq!(
        (n(&item, "periodSeconds"), n(&item, "graceSeconds")),
        (300, 0)
    );
    assert_eq!(n(&item, "dueAt"), ms(400));
    assert_eq!(n(&item, "beats"), 1, "settings do not count as beats");

    // Heartbeats then use the new window.
    let (_, reply) = hb.beat_at(500, &json!({"app_id": "billing"})).await;
    assert_eq!(reply["due_by"], at(800));
}

#[tokio::test]
async fn pause_resume_and_retire() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": 7, "message": "OK"})).await;
    let app = |action: &str| json!({"tenant": "acme", "app_id": 7, "action": action});

    let (status, paused) = hb.admin_at(10, &app("pause")).await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(
        (paused["state"].clone(), paused["due_by"].clone()),
        (json!("paused"), Value::Null)
    );
    let item = hb.item("acme", "7").await.unwrap();
    assert_eq!(s(&item, "state"), "paused");
    assert!(
        !item.contains_key("dueAt") && !item.contains_key("dueShard"),
        "out of the due index: {item:?}"
    );

    // A paused app's beats are recorded; it stays paused.
    let (status, reply) = hb
        .beat_at(20, &json!({"app_id": 7, "message": "still here"}))
        .await;
    assert_eq!(
        (status, reply["state"].clone(), reply["due_by"].clone()),
        (200, json!("paused"), Value::Null)
    );
    let item = hb.item("acme", "7").await.unwrap();
    assert_eq!(
        (s(&item, "lastMessage"), n(&item, "beats")),
        ("still here", 2)
    );
    assert!(!item.contains_key("dueAt"));

    // Pausing twice is a no-op.
    let (status, again) = hb.admin_at(25, &app("pause")).await;
    assert_eq!((status, again["state"].clone()), (200, json!("paused")));

    // Resume: watched again with a fresh period + grace.
    let (status, resumed) = hb.admin_at(1000, &app("resume")).await;
    assert_eq!((status, resumed["state"].clone()), (200, json!("up")));
    assert_eq!(resumed["due_by"], at(1120));
    assert_eq!(n(&hb.item("acme", "7").await.unwrap(), "dueAt"), ms(1120));

    // Retire: out of the index, deleted by TTL after 90 days.
    let (status, retired) = hb.admin_at(2000, &app("retire")).await;
    assert_eq!((status, retired["state"].clone()), (200, json!("retired")));
    let item = hb.item("acme", "7").await.unwrap();
    assert!(!item.contains_key("dueAt"));
    assert_eq!(n(&item, "expiresAt"), ms(2000) / 1000 + 90 * 86_400);

    // A retired app cannot be paused; resuming brings it back and cancels the expiry.
    let (status, reply) = hb.admin_at(2100, &app("pause")).await;
    assert_eq!(
        (status, reply["error"].clone()),
        (409, json!("conflict")),
        "{reply}"
    );
    let (status, back) = hb.admin_at(2200, &app("resume")).await;
    assert_eq!((status, back["state"].clone()), (200, json!("up")));
    assert!(!hb
        .item("acme", "7")
        .await
        .unwrap()
        .contains_key("expiresAt"));

    // Actions need a registered app.
    let (status, reply) = hb
        .admin_at(
            2300,
            &json!({"tenant": "acme", "app_id": 8, "action": "pause"}),
        )
        .await;
    assert_eq!(
        (status, reply["error"].clone()),
        (404, json!("not_found")),
        "{reply}"
    );
    assert!(hb.item("acme", "8").await.is_none());
}

#[tokio::test]
async fn admin_routes_need_the_admin_token() {
    let hb = spawn().await;
    let body = json!({"tenant": "acme", "app_id": 1}).to_string();
    for headers in [
        vec![],
        vec![("authorization", "Bearer wrong")],
        vec![("x-api-key", hb.app.api_key.as_str())],
        vec![("authorization", &*format!("Bearer {}", hb.app.api_key))],
    ] {
        let (status, reply) = read(
            admin_update_heartbeat_app::handle(
                &hb.admin,
                request("/admin/heartbeat_apps", &headers, &body),
            )
            .await,
        );
        assert_eq!(
            (status, reply["error"].clone()),
            (401, json!("unauthorized")),
            "{headers:?}"
        );
        let (status, _) = read(
            admin_list_heartbeat_apps::handle(
                &hb.list,
                http_request(
                    "GET",
                    "/admin/heartbeat_apps",
                    &[("tenant", "acme")],
                    &headers,
                    "",
                ),
            )
            .await,
        );
        assert_eq!(status, 401, "{headers:?}");
    }
    assert!(hb.items().await.is_empty(), "nothing written");
}

#[tokio::test]
async fn bad_admin_input_is_400_and_writes_nothing() {
    let hb = spawn().await;
    let cases = [
        (json!({"app_id": 1}), "missing field `tenant`"),
        (json!({"tenant": "acme"}), "missing field `app_id`"),
        (json!({"tenant": "a b", "app_id": 1}), "tenant"),
        (json!({"tenant": "acme", "app_id": "x y"}), "app_id"),
        (
            json!({"tenant": "acme", "app_id": 1, "period_seconds": 5}),
            "period_seconds must be 10..=604800",
        ),
        (
            json!({"tenant": "acme", "app_id": 1, "period_seconds": 604_801}),
            "period_seconds",
        ),
        (
            json!({"tenant": "acme", "app_id": 1, "grace_seconds": -1}),
            "invalid value",
        ),
        (
            json!({"tenant": "acme", "app_id": 1, "grace_seconds": 86_401}),
            "grace_seconds must be 0..=86400",
        ),
        (
            json!({"tenant": "acme", "app_id": 1, "period_seconds": "60"}),
            "invalid type",
        ),
        (
            json!({"tenant": "acme", "app_id": 1, "action": "explode"}),
            "unknown variant `explode`",
        ),
        (
            json!({"tenant": "acme", "app_id": 1, "owner": "me"}),
            "unknown field `owner`",
        ),
    ];
    for (body, reason) in cases {
        let (status, reply) = hb.admin_at(0, &body).await;
        assert_eq!(status, 400, "{body} -> {reply}");
        let message = reply["message"].as_str().unwrap();
        assert!(message.contains(reason), "{body} -> {message}");
    }
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let (status, _) = read(
        admin_update_heartbeat_app::handle(
            &hb.admin,
            request(
                "/admin/heartbeat_apps",
                &[("authorization", &bearer)],
                "{oops",
            ),
        )
        .await,
    );
    assert_eq!(status, 400);
    assert!(hb.items().await.is_empty(), "nothing written");

    for (query, reason) in [
        (vec![], "tenant is required"),
        (vec![("tenant", "a b")], "tenant"),
        (
            vec![("tenant", "acme"), ("state", "asleep")],
            "state \"asleep\"",
        ),
        (
            vec![("tenant", "acme"), ("limit", "0")],
            "limit must be 1..=100",
        ),
        (vec![("tenant", "acme"), ("limit", "many")], "limit"),
        (
            vec![("tenant", "acme"), ("next_token", "zz")],
            "next_token is invalid",
        ),
        (
            vec![("tenant", "acme"), ("sort", "name")],
            "unknown query parameter",
        ),
    ] {
        let (status, reply) = hb.list(&query).await;
        assert_eq!(status, 400, "{query:?} -> {reply}");
        assert!(
            reply["message"].as_str().unwrap().contains(reason),
            "{query:?} -> {reply}"
        );
    }
}

#[tokio::test]
async fn listing_shows_state_last_beat_and_message_a_page_at_a_time() {
    let hb = spawn().await;
    for id in 1..=5 {
        hb.beat_at(0, &json!({"app_id": id, "message": format!("OK:{id}")}))
            .await;
    }
    hb.admin_at(
        1,
        &json!({"tenant": "acme", "app_id": 2, "action": "pause"}),
    )
    .await;
    // Apps 1, 3, 4 keep beating; 5 falls silent.
    for id in [1, 3, 4] {
        hb.beat_at(100, &json!({"app_id": id, "message": "OK:200"}))
            .await;
    }
    assert_eq!(hb.scan_at(150).await.went_down, 1);

    let (status, all) = hb.list(&[("tenant", "acme")]).await;
    assert_eq!(status, 200, "{all}");
    let states: Vec<(Value, Value)> = all["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["app_id"].clone(), a["state"].clone()))
        .collect();
    assert_eq!(
        states,
        vec![
            (json!(1), json!("up")),
            (json!(2), json!("paused")),
            (json!(3), json!("up")),
            (json!(4), json!("up")),
            (json!(5), json!("down")),
        ]
    );
    let five = &all["apps"][4];
    assert_eq!(five["last_heartbeat"], at(0));
    assert_eq!(five["last_message"], "OK:5");
    assert_eq!(five["down_since"], at(120));
    assert_eq!(five["due_by"], Value::Null);
    assert_eq!(all["apps"][0]["last_message"], "OK:200");
    assert_eq!(all["apps"][0]["due_by"], at(220));
    assert_eq!(all["apps"][0]["heartbeats"], 2);
    assert!(all.get("next_token").is_none());

    let (_, down) = hb.list(&[("tenant", "acme"), ("state", "down")]).await;
    assert_eq!(down["apps"].as_array().unwrap().len(), 1);
    assert_eq!(down["apps"][0]["app_id"], 5);

    // Pages of two: 1 2 | 3 4 | 5.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..5 {
        let mut query = vec![("tenant", "acme"), ("limit", "2")];
        if let Some(t) = token.as_deref() {
            query.push(("next_token", t));
        }
        let (status, page) = hb.list(&query).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["apps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["app_id"].clone()),
        );
        token = page["next_token"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, vec![json!(1), json!(2), json!(3), json!(4), json!(5)]);

    // A token only pages the listing of the tenant it came from.
    let (_, first) = hb.list(&[("tenant", "acme"), ("limit", "2")]).await;
    let token = first["next_token"].as_str().unwrap();
    let (status, reply) = hb
        .list(&[("tenant", "initech"), ("next_token", token)])
        .await;
    assert_eq!(status, 400, "{reply}");

    let (status, empty) = hb.list(&[("tenant", "nobody")]).await;
    assert_eq!((status, empty["apps"].clone()), (200, json!([])));
}

/// A warm record-ping trusts which app a check UUID names for the credential bound (one read
/// fewer per ping); an unknown UUID is never remembered.
#[tokio::test]
async fn a_warm_process_trusts_which_app_a_check_uuid_names() {
    use lookout_heartbeats::{HeartbeatStore, Pings};
    use std::time::Duration;
    let h = spawn().await;
    let (status, body) = h
        .admin_at(
            0,
            &json!({"tenant": "acme", "app_id": "uuid-cache", "period_seconds": 3600}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let url = h.view("uuid-cache").await["ping_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let uuid = url.rsplit('/').next().unwrap().to_owned();
    let table = h.table().to_owned();
    let fresh = || HeartbeatStore::new(h.app.ddb.clone(), &table).pings;
    let warm = fresh().with_cache(Duration::from_secs(3_600));
    let target = warm.find(&uuid).await.unwrap().expect("the app");
    assert_eq!(
        (target.tenant.as_str(), target.app_id.as_str()),
        ("acme", "uuid-cache")
    );
    // The index no longer has the UUID: a cold read finds nothing, the warm process still
    // trusts what it read.
    let item = h
        .items()
        .await
        .into_iter()
        .find(|i| i.get("pingId").and_then(|v| v.as_s().ok()) == Some(&uuid))
        .expect("the app's item");
    h.app
        .ddb
        .update_item()
        .table_name(&table)
        .key("pk", item["pk"].clone())
        .update_expression("REMOVE pingId")
        .send()
        .await
        .unwrap();
    assert_eq!(fresh().find(&uuid).await.unwrap(), None);
    assert_eq!(warm.find(&uuid).await.unwrap(), Some(target));
    // Unknown: read every time.
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(warm.find(&unknown).await.unwrap(), None);
}
