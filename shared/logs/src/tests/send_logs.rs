//! `send_logs`: a batch checked, charged to the user's day and stored; retries rewrite the
//! same chunks; a failed write that may have stored part of the batch is still counted.

use lookout_core::{time::Timestamp, StoreError};
use serde_json::{json, Value};

use super::{issued, lines_of, signed_in, user};
use crate::authenticate::LogUser;
use crate::error::LogError;
use crate::input::Batch;
use crate::send_logs::{send_logs, SendBatch};
use crate::store::memory::MemoryLogs;
use crate::store::usage::LogUsageCounts;
use crate::usage::Usage;

const NOW: &str = "2026-01-01T12:00:00Z";

fn now() -> Timestamp {
    Timestamp::parse_str(NOW).unwrap()
}

/// `n` lines a second apart from `NOW`.
fn lines(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"level": "info", "msg": format!("line {i}"), "event_at": format!("2026-01-01T12:00:{:02}Z", i % 60)}))
        .collect()
}

/// `n` lines an hour and a second apart: one chunk each.
fn hourly(n: usize) -> Value {
    (0..n)
        .map(
            |i| json!({"level": "info", "msg": "m", "event_at": 1_700_000_000 + 3601 * (i as u64)}),
        )
        .collect()
}

fn cmd(user: LogUser, batch: Batch, body_bytes: u64, bytes_per_day: u64) -> SendBatch {
    SendBatch {
        user,
        batch,
        body_bytes,
        bytes_per_day,
        now: now(),
    }
}

/// What `name`'s item counts today: `(lines, bytes)`.
async fn counted(store: &MemoryLogs, name: &str) -> (u64, u64) {
    let usage = store.usage.read(&user(name)).await.unwrap().unwrap();
    let today = usage.series(now()).pop().unwrap();
    (today.lines, today.bytes)
}

#[tokio::test]
async fn stores_the_batch_in_the_users_chunks_and_counts_it() {
    let store = MemoryLogs::new(7);
    let ann = signed_in(&store, &issued(&store, "ann").await).await;

    let stored = send_logs(
        &store.lines,
        &store.usage,
        cmd(ann, lines_of("ann", "api", lines(3)), 300, 1 << 30),
    )
    .await
    .unwrap();

    assert_eq!(stored, 3);
    let chunks = store.lines.chunks();
    assert_eq!(
        chunks.len(),
        1,
        "three lines a second apart pack in one chunk"
    );
    let chunk = &chunks[0];
    assert_eq!(chunk.pk, "U#ann");
    assert_eq!((chunk.n, chunk.pid, chunk.p_name.as_str()), (3, 1, "api"));
    assert!(
        chunk.sk.starts_with("2026-01-01T12:00:00.000Z#"),
        "{}",
        chunk.sk
    );
    assert_eq!(chunk.expires_at, Some(now().unix_seconds() + 7 * 86_400));
    // Charged what the write is billed (a 1 KB unit) rather than the smaller body.
    assert_eq!(counted(&store, "ann").await, (3, 1024));
}

#[tokio::test]
async fn a_body_bigger_than_the_write_is_charged_as_the_body() {
    let store = MemoryLogs::new(30);
    let ann = signed_in(&store, &issued(&store, "ann").await).await;

    send_logs(
        &store.lines,
        &store.usage,
        cmd(ann, lines_of("ann", "api", lines(1)), 5_000, 1 << 30),
    )
    .await
    .unwrap();

    assert_eq!(counted(&store, "ann").await, (1, 5_000));
}

#[tokio::test]
async fn a_retried_batch_rewrites_its_chunks_and_is_counted_again() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    for _ in 0..2 {
        let ann = signed_in(&store, &token).await;
        send_logs(
            &store.lines,
            &store.usage,
            cmd(ann, lines_of("ann", "api", hourly(3)), 100, 1 << 30),
        )
        .await
        .unwrap();
    }

    assert_eq!(store.lines.count(), 3, "the same three chunks");
    assert_eq!(counted(&store, "ann").await, (6, 6 * 1024));
}

#[tokio::test]
async fn a_batch_breaking_a_limit_is_invalid_and_stores_and_counts_nothing() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    let long_name = "p".repeat(257);
    let cases = [
        lines_of("ann", "api", lines(10_001)),
        lines_of("ann", &long_name, lines(1)),
        lines_of(
            "ann",
            "api",
            json!([{"level": "info", "msg": "x".repeat(64 * 1024 + 1), "event_at": NOW}]),
        ),
    ];

    for batch in cases {
        let ann = signed_in(&store, &token).await;
        let err = send_logs(&store.lines, &store.usage, cmd(ann, batch, 10, 1 << 30))
            .await
            .unwrap_err();
        assert!(matches!(err, LogError::Invalid(_)), "{err:?}");
    }

    assert_eq!(store.lines.count(), 0);
    assert_eq!(counted(&store, "ann").await, (0, 0));
}

#[tokio::test]
async fn a_batch_over_what_is_left_of_the_day_is_refused_whole() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    let first = signed_in(&store, &token).await;
    send_logs(
        &store.lines,
        &store.usage,
        cmd(first, lines_of("ann", "api", lines(1)), 100, 2_048),
    )
    .await
    .unwrap();
    // 1 KB charged of 2 KB: another KB fits, a second one does not.
    let second = signed_in(&store, &token).await;
    send_logs(
        &store.lines,
        &store.usage,
        cmd(second, lines_of("ann", "worker", lines(1)), 100, 2_048),
    )
    .await
    .unwrap();
    let third = signed_in(&store, &token).await;

    let err = send_logs(
        &store.lines,
        &store.usage,
        cmd(third, lines_of("ann", "cron", lines(1)), 100, 2_048),
    )
    .await
    .unwrap_err();

    match err {
        LogError::Quota(q) => {
            assert!(q.message.contains("\"ann\""), "{}", q.message);
            assert!(q.message.contains("2048 bytes"), "{}", q.message);
            assert!(q.retry_after >= 1);
        }
        other => panic!("expected Quota, got {other:?}"),
    }
    assert_eq!(store.lines.count(), 2);
    assert_eq!(counted(&store, "ann").await, (2, 2_048));
}

#[tokio::test]
async fn yesterdays_use_does_not_count_against_today() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    let yesterday = Timestamp::parse_str("2025-12-31T12:00:00Z").unwrap();
    store
        .usage
        .count(&user("ann"), &Usage::default(), yesterday, 1, 2_048)
        .await;
    let ann = signed_in(&store, &token).await;

    let stored = send_logs(
        &store.lines,
        &store.usage,
        cmd(ann, lines_of("ann", "api", lines(1)), 100, 2_048),
    )
    .await
    .unwrap();

    assert_eq!(stored, 1);
}

#[tokio::test]
async fn an_empty_batch_stores_nothing() {
    let store = MemoryLogs::new(30);
    let ann = signed_in(&store, &issued(&store, "ann").await).await;

    let stored = send_logs(
        &store.lines,
        &store.usage,
        cmd(ann, lines_of("ann", "api", json!([])), 50, 1 << 30),
    )
    .await
    .unwrap();

    assert_eq!(stored, 0);
    assert_eq!(store.lines.count(), 0);
}

#[tokio::test]
async fn a_failed_write_that_may_have_stored_part_of_the_batch_is_counted() {
    let store = MemoryLogs::new(30);
    let ann = signed_in(&store, &issued(&store, "ann").await).await;
    store.lines.set_failing(true);

    // Three chunks: one BatchWriteItem, which may apply in part.
    let err = send_logs(
        &store.lines,
        &store.usage,
        cmd(ann, lines_of("ann", "api", hourly(3)), 100, 1 << 30),
    )
    .await
    .unwrap_err();

    assert!(
        matches!(err, LogError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
    assert_eq!(counted(&store, "ann").await, (3, 3 * 1024));
}

#[tokio::test]
async fn a_failed_transaction_stored_nothing_and_is_not_counted() {
    let store = MemoryLogs::new(30);
    let ann = signed_in(&store, &issued(&store, "ann").await).await;
    store.lines.set_failing(true);

    // 26 chunks: one transaction, all or nothing.
    let err = send_logs(
        &store.lines,
        &store.usage,
        cmd(ann, lines_of("ann", "api", hourly(26)), 100, 1 << 30),
    )
    .await
    .unwrap_err();

    assert!(matches!(err, LogError::Store(_)), "{err:?}");
    assert_eq!(store.lines.count(), 0);
    assert_eq!(counted(&store, "ann").await, (0, 0));
}

#[tokio::test]
async fn a_transaction_is_charged_twice_its_write_units() {
    let store = MemoryLogs::new(30);
    let ann = signed_in(&store, &issued(&store, "ann").await).await;

    send_logs(
        &store.lines,
        &store.usage,
        cmd(ann, lines_of("ann", "api", hourly(26)), 100, 1 << 30),
    )
    .await
    .unwrap();

    assert_eq!(store.lines.count(), 26);
    assert_eq!(counted(&store, "ann").await, (26, 2 * 26 * 1024));
}

#[tokio::test]
async fn counting_drops_days_out_of_the_window() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    let long_ago = Timestamp::parse_str("2025-11-01T00:00:00Z").unwrap();
    store
        .usage
        .count(&user("ann"), &Usage::default(), long_ago, 9, 999)
        .await;
    let ann = signed_in(&store, &token).await;

    send_logs(
        &store.lines,
        &store.usage,
        cmd(ann, lines_of("ann", "api", lines(1)), 100, 1 << 30),
    )
    .await
    .unwrap();

    let item = store.users.item("ann").unwrap();
    assert!(!item.contains_key("bytes#2025-11-01"), "{item:?}");
    assert!(!item.contains_key("lines#2025-11-01"), "{item:?}");
    assert!(item.contains_key("bytes#2026-01-01"), "{item:?}");
}
