//! The daily log quota counts what is written (#30): a batch counts its body or its chunk
//! items' write units, whichever is more, and a batch that failed after a partial write is
//! counted too.

use serde_json::{json, Value};

use crate::{request, setup, SEED_OK};

/// `n` lines two hours apart (each its own chunk item: a chunk spans at most an hour).
fn hourly(user: &str, n: u64, start: u64) -> String {
    let logs: Vec<Value> = (0..n)
        .map(|i| json!({"level": "info", "msg": format!("l{i}"), "event_at": 1_767_225_600 + (start + i) * 7200}))
        .collect();
    json!({"data": {"user": user, "pid": 1, "p_name": "cron", "post_time": "2026-01-01T00:00:00Z", "logs": logs}})
        .to_string()
}

#[tokio::test]
async fn tiny_lines_an_hour_apart_count_the_items_they_become() {
    let mut t = setup().await;
    let user = t.create_user("ticker").await;
    let token = user["x_user_token"].as_str().unwrap();
    t.ingest.quotas.log_bytes_per_day = 60 * 1024;
    // 40 lines two hours apart: a body of about 3 KB, but 40 items written in one transaction
    // (twice the write units): 80 KB, over the 60 KB left. Refused, nothing stored.
    let body = hourly("ticker", 40, 0);
    assert!(body.len() < 4 * 1024, "{}", body.len());
    let (status, reply, detail) = t.send(token, &body).await;
    assert_eq!(
        (status, reply.as_str()),
        (429, r#"{"code":429,"message":"TooManyRequests"}"#)
    );
    assert!(detail.unwrap().contains("write units"));
    assert_eq!(t.chunk_items().await, 0);
    // 20 of them: 20 items in one BatchWriteItem, 20 KB. Accepted and counted as such.
    let (status, reply, _) = t.send(token, &hourly("ticker", 20, 0)).await;
    assert_eq!((status, reply.as_str()), (200, SEED_OK));
    assert_eq!(t.chunk_items().await, 20);
    let (_, page) = t.admin_query(&[("user", "ticker")]).await;
    assert_eq!(
        page["usage"][29]["bytes"],
        json!(20 * 1024),
        "{}",
        page["usage"][29]
    );
    assert_eq!(page["usage"][29]["lines"], json!(20));
}

#[tokio::test]
async fn a_batch_that_failed_after_a_partial_write_is_counted() {
    let mut t = setup().await;
    let user = t.create_user("partial").await;
    let token = user["x_user_token"].as_str().unwrap();
    // send-logs' DynamoDB calls through a proxy that lets two BatchWriteItem calls through
    // and refuses the rest: 120 items (over 100 hours) go in five calls of 25.
    let proxy =
        lookout_tests::faults::FaultProxy::start(&lookout_dev::moto::endpoint().unwrap()).await;
    let sdk = t
        .app
        .sdk_for("send-logs")
        .await
        .into_builder()
        .endpoint_url(proxy.url())
        .build();
    t.ingest.store = lookout_logs::LogStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        t.app.stack.table("LogUsersTable").unwrap(),
        t.app.stack.table("LogsTable").unwrap(),
        30,
    );
    proxy.fail_op_after("BatchWriteItem", 2);
    let resp = send_logs::handle(
        &t.ingest,
        request(
            "/send_logs",
            &[("x-user-token", token)],
            &hourly("partial", 120, 0),
        ),
    )
    .await
    .unwrap();
    assert!(resp.status().is_server_error(), "{}", resp.status());
    let stored = t.chunk_items().await;
    assert!(
        (1..120).contains(&stored),
        "a partial write: {stored} items"
    );
    // Counted all the same: 120 items, 120 KB.
    let (_, page) = t.admin_query(&[("user", "partial")]).await;
    assert_eq!(
        page["usage"][29]["bytes"],
        json!(120 * 1024),
        "{}",
        page["usage"][29]
    );
}

/// A warm send-logs trusts a log user it read for the credential bound, so a batch is its
/// write and its count: its own counts keep the trusted usage current (the quota holds within
/// one process at once), a token rotated in works at once (a token that does not match what is
/// trusted is checked against the item read now), and the token rotated away is refused once
/// the bound has passed.
#[tokio::test]
async fn a_warm_process_trusts_a_log_user_for_the_bound_and_counts_its_own_batches() {
    use std::time::Duration;
    let mut t = setup().await;
    let hour = Duration::from_secs(3_600);
    let second = Duration::from_secs(1);
    t.ingest.store = t.ingest.store.clone().with_cache(hour);

    // 20 KB a batch against 50 KB a day: the third is refused, though the user's item was
    // read (and trusted) before the first.
    let user = t.create_user("warm").await;
    let token = user["x_user_token"].as_str().unwrap();
    t.ingest.quotas.log_bytes_per_day = 50 * 1024;
    for start in [0, 20] {
        let (status, reply, _) = t.send(token, &hourly("warm", 20, start)).await;
        assert_eq!((status, reply.as_str()), (200, SEED_OK));
    }
    assert_eq!(t.ingest.store.users.trusted_users(), 1);
    let (status, _, _) = t.send(token, &hourly("warm", 20, 40)).await;
    assert_eq!(status, 429, "its own counts are seen at once");
    assert_eq!(t.chunk_items().await, 40);

    // Rotated by the admin's function: the new token works at once, the old one is still
    // trusted within the bound.
    t.ingest.quotas.log_bytes_per_day = 1 << 30;
    let first = t.create_user("turn").await;
    let old = first["x_user_token"].as_str().unwrap().to_owned();
    let batch = hourly("turn", 1, 0);
    assert_eq!(t.send(&old, &batch).await.0, 200);
    let rotated = t.rotate_user("turn").await;
    let new = rotated["x_user_token"].as_str().unwrap();
    assert_eq!(t.send(new, &batch).await.0, 200, "the new token at once");
    // The new token's read replaced what was trusted: the old one is refused now.
    assert_eq!(t.send(&old, &batch).await.0, 403);

    // Trusted a second: the old token is refused once the bound has passed.
    t.ingest.store = t.ingest.store.clone().with_cache(second);
    let first = t.create_user("brief").await;
    let old = first["x_user_token"].as_str().unwrap().to_owned();
    let batch = hourly("brief", 1, 0);
    assert_eq!(t.send(&old, &batch).await.0, 200);
    t.rotate_user("brief").await;
    assert_eq!(
        t.send(&old, &batch).await.0,
        200,
        "within the bound the warm process has not read the rotation"
    );
    tokio::time::sleep(second + Duration::from_millis(100)).await;
    assert_eq!(t.send(&old, &batch).await.0, 403);
}
