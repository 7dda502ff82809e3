//! `issue_token`: a new log user with a token, or a new token for one; only its hash stored.

use lookout_core::time::Timestamp;

use super::{issued, user};
use crate::authenticate::authenticate;
use crate::error::LogError;
use crate::issue_token::issue_token;
use crate::store::memory::MemoryLogs;
use crate::store::usage::LogUsageCounts;
use crate::tokens::{stored_hash, x_user_token};
use crate::usage::Usage;

fn stored_token_hash(store: &MemoryLogs, name: &str) -> String {
    let item = store.users.item(name).unwrap();
    item["tokenSha256"].as_s().unwrap().clone()
}

#[tokio::test]
async fn creates_the_user_and_stores_only_the_hash_of_its_token() {
    let store = MemoryLogs::new(30);

    let token = issue_token(&store.users, &user("ann"), false)
        .await
        .unwrap();

    assert_eq!(token.user, "ann");
    assert!(!token.rotated);
    assert_eq!(token.token.len(), 48, "24 random bytes, hex");
    assert!(token.token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(token.x_user_token, x_user_token(&token.token));
    assert_eq!(store.users.count(), 1);
    let item = store.users.item("ann").unwrap();
    assert_eq!(
        stored_token_hash(&store, "ann"),
        stored_hash(&token.x_user_token)
    );
    assert_eq!(item["createdAt"], item["rotatedAt"]);
    let stored = format!("{item:?}");
    assert!(
        !stored.contains(&token.token),
        "the token itself is not stored"
    );
    assert!(!stored.contains(&token.x_user_token), "nor its md5");
}

#[tokio::test]
async fn each_issue_draws_a_new_token() {
    let store = MemoryLogs::new(30);

    let a = issued(&store, "ann").await;
    let b = issued(&store, "bob").await;

    assert_ne!(a.token, b.token);
    assert_eq!(store.users.count(), 2);
}

#[tokio::test]
async fn creating_an_existing_user_is_refused_and_keeps_its_token() {
    let store = MemoryLogs::new(30);
    let first = issued(&store, "ann").await;

    let err = issue_token(&store.users, &user("ann"), false)
        .await
        .unwrap_err();

    assert!(
        matches!(&err, LogError::UserExists(u) if u == "ann"),
        "{err:?}"
    );
    assert_eq!(
        stored_token_hash(&store, "ann"),
        stored_hash(&first.x_user_token)
    );
}

#[tokio::test]
async fn rotating_replaces_the_token_and_keeps_the_usage() {
    let store = MemoryLogs::new(30);
    let old = issued(&store, "ann").await;
    let now = Timestamp::now();
    store
        .usage
        .count(&user("ann"), &Usage::default(), now, 3, 700)
        .await;

    let new = issue_token(&store.users, &user("ann"), true).await.unwrap();

    assert!(new.rotated);
    assert_ne!(new.token, old.token);
    assert_eq!(
        stored_token_hash(&store, "ann"),
        stored_hash(&new.x_user_token)
    );
    let old_token = authenticate(&store.users, &user("ann"), &old.x_user_token).await;
    assert!(matches!(old_token, Err(LogError::TokenMismatch)));
    let signed = authenticate(&store.users, &user("ann"), &new.x_user_token)
        .await
        .unwrap();
    assert_eq!(signed.usage.bytes_today(now), 700);
}

#[tokio::test]
async fn rotating_an_unknown_user_is_refused_and_creates_none() {
    let store = MemoryLogs::new(30);

    let err = issue_token(&store.users, &user("ghost"), true)
        .await
        .unwrap_err();

    assert!(
        matches!(&err, LogError::UnknownUser(u) if u == "ghost"),
        "{err:?}"
    );
    assert_eq!(store.users.count(), 0);
}
