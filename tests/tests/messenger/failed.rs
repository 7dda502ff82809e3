//! GET /api/get_failed_mess: pages, newest first, per user; body or query string.

use serde_json::{json, Value};

use crate::harness::{contact, spawn};

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["deliveryId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn failed_deliveries_page_newest_first_per_user() {
    let t = spawn().await;
    let viber_only = |n: &str| contact(n, "", "", &format!("viber-{n}"));
    t.given_contacts("u", &[viber_only("A"), viber_only("B"), viber_only("C")])
        .await;
    t.given_contacts("v", &[viber_only("D")]).await;
    t.send_now("u", &["A", "B", "C"], "to three").await;
    t.send_now("v", &["D"], "to one").await;
    t.drain().await;

    let key = t.key();
    let (status, first) = t
        .failed(key, &[("user_name", "u"), ("limit", "2")], "")
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(ids(&first).len(), 2);
    let token = first["next_token"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, same) = t
        .failed(key, &[], r#"{"user_name": "u", "limit": 2}"#)
        .await;
    assert_eq!(same, first, "body and query string are the same request");
    let (status, second) = t
        .failed(
            key,
            &[("user_name", "u"), ("limit", "2"), ("next_token", &token)],
            "",
        )
        .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(ids(&second).len(), 1);
    assert!(second.get("next_token").is_none());

    let all: Vec<Value> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["data"].as_array().unwrap())
        .cloned()
        .collect();
    let mut contacts: Vec<&str> = all.iter().map(|f| f["contact"].as_str().unwrap()).collect();
    contacts.sort_unstable();
    assert_eq!(contacts, ["A", "B", "C"]);
    let times: Vec<&str> = all
        .iter()
        .map(|f| f["failedAt"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    assert!(all
        .iter()
        .all(|f| f["sender"] == "u" && f["message"] == "to three"));

    // v sees only its own; u's page token is no good for v.
    let (_, theirs) = t.failed(key, &[("user_name", "v")], "").await;
    assert_eq!(theirs["data"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["data"][0]["contact"], "D");
    for query in [
        vec![("user_name", "v"), ("next_token", token.as_str())],
        vec![("user_name", "u"), ("next_token", "zz")],
        vec![("user_name", "u"), ("limit", "0")],
        vec![("user_name", "u"), ("limit", "1001")],
        vec![("user_name", "u"), ("limit", "many")],
        vec![("user_name", "u"), ("since", "yesterday")],
        vec![],
    ] {
        let (status, reply) = t.failed(key, &query, "").await;
        assert_eq!(status, 400, "{query:?} -> {reply}");
        assert_eq!(reply["error"], "validation");
    }
    // Another tenant's "u" has no failures.
    let other = t.app.key_for("globex").await;
    assert_eq!(
        t.failed(&other, &[("user_name", "u")], "").await,
        (200, json!({"data": []}))
    );
}
