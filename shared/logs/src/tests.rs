//! Unit tests: the use cases over the in-memory stores (one file each under `tests/`), and
//! the pure parts (tokens, levels, packing, plans, page tokens) here.

use lookout_core::time::Timestamp;
use serde_json::{json, Value};

use crate::authenticate::{authenticate, LogUser};
use crate::input::Batch;
use crate::issue_token::issue_token;
use crate::level::Level;
use crate::limits::{CHUNK_MAX_SPAN_SECS, CHUNK_TARGET_BYTES};
use crate::output::IssuedToken;
use crate::pack::pack;
use crate::page_token::{decode_token, encode_token};
use crate::planned_write::PlannedWrite;
use crate::store::memory::MemoryLogs;
use crate::tokens::{stored_hash, x_user_token};
use crate::user_name::UserName;
use lookout_core::ddb::write_units;

mod authenticate;
mod issue_token;
mod query_logs;
mod send_logs;

// ------------------------------------------------------------------ fixtures

pub(crate) fn user(name: &str) -> UserName {
    UserName::parse(name).unwrap()
}

pub(crate) fn ts(text: &str) -> Timestamp {
    Timestamp::parse_str(text).unwrap()
}

/// A new log user `name` in `store`, and its token.
pub(crate) async fn issued(store: &MemoryLogs, name: &str) -> IssuedToken {
    issue_token(&store.users, &user(name), false).await.unwrap()
}

/// Log user `name`, authenticated by its token (with the usage its item holds now).
pub(crate) async fn signed_in(store: &MemoryLogs, token: &IssuedToken) -> LogUser {
    authenticate(&store.users, &user(&token.user), &token.x_user_token)
        .await
        .unwrap()
}

/// A batch of `user`'s process `p_name` (pid 1) with `logs` (the wire's lines).
pub(crate) fn lines_of(user: &str, p_name: &str, logs: Value) -> Batch {
    serde_json::from_value(json!({
        "user": user, "pid": 1, "p_name": p_name, "post_time": "2026-01-01T00:00:00Z", "logs": logs
    }))
    .unwrap()
}

// ------------------------------------------------------------------ pure parts

fn batch(lines: usize, msg_len: usize) -> Batch {
    let logs: Vec<Value> = (0..lines)
        .map(|i| json!({"level": "info", "msg": "m".repeat(msg_len), "event_at": 1_700_000_000 + (i as u64), "p_description": "d"}))
        .collect();
    serde_json::from_value(json!({"user": "u", "pid": 1, "p_name": "p", "post_time": "2024-01-01T00:00:00Z", "logs": logs})).unwrap()
}

#[test]
fn md5_token_matches_the_client() {
    // md5("hello")
    assert_eq!(x_user_token("hello"), "5d41402abc4b2a76b9719d911017c592");
    // What is stored: SHA-256 of the md5 hex, whatever its case (stored user items hold it).
    let stored = "4914e23374bb211e3dca0df7636fefffc7fedd94f1340ae81c7d6c07b7113e9b";
    assert_eq!(stored_hash("5d41402abc4b2a76b9719d911017c592"), stored);
    assert_eq!(stored_hash("5D41402ABC4B2A76B9719D911017C592"), stored);
}

#[test]
fn packing_is_deterministic_bounded_and_keeps_every_line() {
    let a = pack(batch(2000, 100), None).unwrap();
    let b = pack(batch(2000, 100), None).unwrap();
    assert_eq!(
        a.iter().map(|c| &c.sk).collect::<Vec<_>>(),
        b.iter().map(|c| &c.sk).collect::<Vec<_>>()
    );
    assert_eq!(a.iter().map(|c| c.n).sum::<usize>(), 2000);
    for c in &a {
        assert!(
            c.lines.len() <= CHUNK_TARGET_BYTES + 200,
            "{}",
            c.lines.len()
        );
        let span = c.max_at.unix_seconds() - c.min_at.unix_seconds();
        assert!(span <= CHUNK_MAX_SPAN_SECS);
    }
}

#[test]
fn levels_take_python_numbers() {
    let level = |v: serde_json::Value| serde_json::from_value::<Level>(v);
    assert_eq!(level(json!(30)).unwrap(), Level::Warning);
    assert_eq!(level(json!(40)).unwrap(), Level::Error);
    assert_eq!(level(json!(50)).unwrap(), Level::Critical);
    assert_eq!(level(json!(35)).unwrap(), Level::Warning);
    assert_eq!(level(json!(10)).unwrap(), Level::Debug);
    assert_eq!(level(json!(20)).unwrap(), Level::Info);
    assert_eq!(level(json!(60)).unwrap(), Level::Critical);
    assert!(level(json!(-1)).is_err());
    assert!(level(json!(40.5)).is_err());
    assert!(level(json!(null)).is_err());
    assert_eq!(level(json!("error")).unwrap(), Level::Error);
}

#[test]
fn levels_accept_aliases_and_reject_others() {
    assert_eq!(Level::parse("WARN").unwrap(), Level::Warning);
    assert_eq!(Level::parse("crit").unwrap(), Level::Critical);
    assert!(Level::parse("loud").is_err());
}

#[test]
fn packed_items_cost_a_fraction_of_one_item_per_line() {
    // One item per ~120-byte line would cost one write unit per line.
    let lines = 1000;
    let packed: usize = pack(batch(lines, 100), Some(0))
        .unwrap()
        .iter()
        .map(|c| write_units(&serde_dynamo::to_item(c).unwrap()))
        .sum();
    assert!(
        packed * 4 <= lines,
        "packed {packed} units for {lines} lines"
    );
}

/// A batch of `lines` lines an hour and a second apart: one chunk per line.
fn hourly(lines: usize) -> Batch {
    let logs: Vec<Value> = (0..lines)
        .map(
            |i| json!({"level": "info", "msg": "m", "event_at": 1_700_000_000 + 3601 * (i as u64)}),
        )
        .collect();
    serde_json::from_value(json!({"user": "u", "pid": 1, "p_name": "p", "post_time": "2024-01-01T00:00:00Z", "logs": logs})).unwrap()
}

#[test]
fn a_plan_bills_a_write_unit_per_started_kb_and_a_transaction_twice() {
    let empty = PlannedWrite::new(hourly(0), 0).unwrap();
    assert_eq!((empty.lines, empty.billed_bytes), (0, 0));
    // Up to 25 chunks: one BatchWriteItem, a write unit (1 KB) per small chunk.
    let one_call = PlannedWrite::new(hourly(25), 0).unwrap();
    assert_eq!(one_call.chunks.len(), 25);
    assert_eq!(one_call.billed_bytes, 25 * 1024);
    assert!(one_call.may_write_partly());
    // 26..=100 chunks: one transaction, atomic, at twice the units.
    let transaction = PlannedWrite::new(hourly(26), 0).unwrap();
    assert_eq!(transaction.billed_bytes, 2 * 26 * 1024);
    assert!(!transaction.may_write_partly());
    // More: several calls again.
    let several = PlannedWrite::new(hourly(101), 0).unwrap();
    assert_eq!(several.billed_bytes, 101 * 1024);
    assert!(several.may_write_partly());
}

#[test]
fn page_tokens_roundtrip_and_are_bound_to_their_user() {
    let token = encode_token("U#ann", "2024-01-01T00:00:00.000Z#ab#0000", 7);
    assert_eq!(
        decode_token(&token, "U#ann").unwrap(),
        ("2024-01-01T00:00:00.000Z#ab#0000".to_owned(), 7)
    );
    assert!(decode_token(&token, "U#bob").is_err());
    assert!(decode_token("zz", "U#ann").is_err());
    assert!(decode_token(&encode_token("U#ann", "", 0), "U#ann").is_err());
}
