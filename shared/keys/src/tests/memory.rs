//! The in-memory adapter keeps the DynamoDB adapter's semantics the use cases rely on.

use super::*;
use crate::{ApiKeyRecord, KeyRecords};

fn record(pk: &str, key_id: &str, tenant_name: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        pk: pk.into(),
        key_id: key_id.into(),
        tenant: tenant_name.into(),
        label: "cron".into(),
        created_at: ts(T0),
        revoked: false,
        scopes: vec![],
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
    }
}

#[tokio::test]
async fn put_new_refuses_an_existing_hash_and_keeps_the_first() {
    let keys = MemoryKeyRecords::new();
    let first = record("h1", "k1", "acme");

    assert!(keys.put_new(&first).await.unwrap());
    assert!(!keys.put_new(&record("h1", "k2", "globex")).await.unwrap());

    assert_eq!(keys.records(), vec![first]);
}

#[tokio::test]
async fn touch_and_mark_revoked_write_only_an_existing_record() {
    let keys = MemoryKeyRecords::new();

    keys.touch("h1", ts(T0)).await.unwrap();
    let revoked = keys.mark_revoked("h1", ts(T0), 42).await.unwrap();

    assert_eq!(revoked, None);
    assert!(keys.is_empty());
}

#[tokio::test]
async fn mark_revoked_returns_the_record_after_the_write() {
    let keys = MemoryKeyRecords::new();
    keys.insert(record("h1", "k1", "acme"));

    let after = keys.mark_revoked("h1", ts(T0), 42).await.unwrap().unwrap();

    assert!(after.revoked);
    assert_eq!(after.revoked_at, Some(ts(T0)));
    assert_eq!(after.expires_at, Some(42));
    assert_eq!(keys.record("k1"), Some(after));
}

#[tokio::test]
async fn a_tenants_records_come_by_key_id_and_find_needs_the_tenant() {
    let keys = MemoryKeyRecords::new();
    keys.insert(record("h1", "k2", "acme"));
    keys.insert(record("h2", "k1", "acme"));
    keys.insert(record("h3", "k3", "globex"));

    let listed = keys.list_by_tenant(&tenant("acme")).await.unwrap();
    let found = keys.find(&tenant("acme"), "k1").await.unwrap();
    let elsewhere = keys.find(&tenant("globex"), "k1").await.unwrap();

    let ids: Vec<&str> = listed.iter().map(|r| r.key_id()).collect();
    assert_eq!(ids, vec!["k1", "k2"]);
    assert_eq!(found.map(|r| r.pk), Some("h2".to_owned()));
    assert_eq!(elsewhere, None);
}
