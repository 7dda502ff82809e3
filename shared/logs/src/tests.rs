use super::*;
use serde_json::json;

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
    assert_eq!(
        stored_hash("5D41402ABC4B2A76B9719D911017C592"),
        stored_hash("5d41402abc4b2a76b9719d911017c592")
    );
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
