//! `authenticate`: a log user by its `X-User-Token`, with the usage its item holds.

use lookout_core::time::Timestamp;

use super::{issued, user};
use crate::authenticate::authenticate;
use crate::error::LogError;
use crate::store::memory::MemoryLogs;
use crate::store::usage::LogUsageCounts;
use crate::usage::Usage;

#[tokio::test]
async fn the_users_current_token_signs_it_in() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;

    let signed = authenticate(&store.users, &user("ann"), &token.x_user_token)
        .await
        .unwrap();

    assert_eq!(signed.name, user("ann"));
    assert_eq!(
        signed.usage,
        Usage::default(),
        "a new user has used nothing"
    );
}

#[tokio::test]
async fn the_token_is_matched_whatever_its_case_and_spacing() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    let shouted = format!(" {} ", token.x_user_token.to_ascii_uppercase());

    let signed = authenticate(&store.users, &user("ann"), &shouted).await;

    assert!(signed.is_ok(), "{signed:?}");
}

#[tokio::test]
async fn another_users_token_or_the_raw_token_is_a_mismatch() {
    let store = MemoryLogs::new(30);
    let ann = issued(&store, "ann").await;
    let bob = issued(&store, "bob").await;

    let crossed = authenticate(&store.users, &user("ann"), &bob.x_user_token).await;
    let raw = authenticate(&store.users, &user("ann"), &ann.token).await;

    assert!(
        matches!(crossed, Err(LogError::TokenMismatch)),
        "{crossed:?}"
    );
    assert!(matches!(raw, Err(LogError::TokenMismatch)), "{raw:?}");
}

#[tokio::test]
async fn an_unknown_user_is_the_same_mismatch() {
    let store = MemoryLogs::new(30);
    let ann = issued(&store, "ann").await;

    let err = authenticate(&store.users, &user("ghost"), &ann.x_user_token).await;

    assert!(matches!(err, Err(LogError::TokenMismatch)), "{err:?}");
}

#[tokio::test]
async fn the_user_comes_with_the_usage_counted_on_its_item() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    let now = Timestamp::now();
    let ann = user("ann");
    store
        .usage
        .count(&ann, &Usage::default(), now, 10, 4_096)
        .await;
    store
        .usage
        .count(&ann, &Usage::default(), now, 5, 1_024)
        .await;

    let signed = authenticate(&store.users, &ann, &token.x_user_token)
        .await
        .unwrap();

    assert_eq!(signed.usage.bytes_today(now), 5_120);
    let today = signed.usage.series(now).pop().unwrap();
    assert_eq!((today.lines, today.bytes), (15, 5_120));
}

#[tokio::test]
async fn a_token_alone_finds_its_user_until_it_is_rotated_away() {
    use crate::authenticate::authenticate_token;
    use crate::issue_token::issue_token;
    let store = MemoryLogs::new(30);
    let ann = issued(&store, "ann").await;
    let bob = issued(&store, "bob").await;

    let signed = authenticate_token(&store.users, &ann.x_user_token)
        .await
        .unwrap();
    assert_eq!(signed.name, user("ann"));
    let signed = authenticate_token(&store.users, &bob.x_user_token)
        .await
        .unwrap();
    assert_eq!(signed.name, user("bob"));
    let wrong = authenticate_token(&store.users, &"0".repeat(32)).await;
    assert!(matches!(wrong, Err(LogError::TokenMismatch)), "{wrong:?}");

    let rotated = issue_token(&store.users, &user("ann"), true).await.unwrap();
    let old = authenticate_token(&store.users, &ann.x_user_token).await;
    assert!(matches!(old, Err(LogError::TokenMismatch)), "{old:?}");
    let new = authenticate_token(&store.users, &rotated.x_user_token)
        .await
        .unwrap();
    assert_eq!(new.name, user("ann"));
}
