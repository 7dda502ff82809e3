//! `list_failed` on the in-memory failed list: a user's failed deliveries, newest first, a page
//! at a time.

use std::time::Duration;

use crate::error::BroadcastError;
use crate::failed::list_failed;
use crate::input::FailedQuery;
use crate::replies::FailedPage;

use super::fixture::{deliver_job, rejected, tenant, time_parts_of, ts, user, World, START};

fn query(user_name: &str, limit: usize, next_token: Option<&str>) -> FailedQuery {
    FailedQuery {
        user_name: user(user_name),
        limit,
        next_token: next_token.map(str::to_owned),
    }
}

async fn page(w: &World, tenant_name: &str, q: &FailedQuery) -> Result<FailedPage, BroadcastError> {
    list_failed(&w.store.failed, &tenant(tenant_name), q).await
}

/// acme's `ops` sends "disk full" to three addresses; each is rejected, a minute apart.
async fn three_failed(w: &World) -> Vec<String> {
    let (_, ids) = w.sent_to_both().await;
    for id in &ids {
        w.messenger.then(rejected());
        w.run(&deliver_job(id), 1).await.unwrap();
        w.clock.advance(Duration::from_secs(60));
    }
    ids.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn failed_deliveries_are_listed_newest_first_a_page_at_a_time() {
    let w = World::new();
    let ids = three_failed(&w).await;

    let first = page(&w, "acme", &query("ops", 2, None)).await.unwrap();
    let token = first.next_token.clone().expect("more follow");
    let second = page(&w, "acme", &query("ops", 2, Some(&token)))
        .await
        .unwrap();
    let whole = page(&w, "acme", &query("ops", 3, None)).await.unwrap();

    let listed =
        |p: &FailedPage| -> Vec<String> { p.data.iter().map(|f| f.delivery_id.clone()).collect() };
    assert_eq!(listed(&first), [ids[2].clone(), ids[1].clone()]);
    assert_eq!(listed(&second), [ids[0].clone()]);
    assert_eq!(second.next_token, None);
    assert_eq!(
        listed(&whole),
        [ids[2].clone(), ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(
        whole.next_token, None,
        "a page that holds the rest has no token"
    );
    let oldest = &second.data[0];
    assert_eq!(
        (
            oldest.sender.as_str(),
            oldest.contact.as_str(),
            oldest.address.as_str()
        ),
        ("ops", "Artem", "-100123")
    );
    assert_eq!(oldest.message, "disk full");
    assert_eq!(oldest.url, "memory://telegram");
    assert_eq!(
        oldest.error,
        "telegram rejected the message (400): chat not found"
    );
    assert_eq!(oldest.failed_at, ts(START));
    assert_eq!(oldest.time, time_parts_of(START));
    assert_eq!(oldest.attempts, 1);
}

#[tokio::test]
async fn a_bad_limit_or_a_token_of_another_list_is_refused() {
    let w = World::new();
    three_failed(&w).await;
    let token = page(&w, "acme", &query("ops", 1, None))
        .await
        .unwrap()
        .next_token
        .unwrap();

    for limit in [0, 1001] {
        let err = page(&w, "acme", &query("ops", limit, None))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, BroadcastError::Invalid(m) if m == "limit must be 1..=1000"),
            "{err:?}"
        );
    }
    for (tenant_name, user_name, token) in [
        ("acme", "dev", token.as_str()),
        ("globex", "ops", token.as_str()),
        ("acme", "ops", "not-a-token"),
    ] {
        let err = page(&w, tenant_name, &query(user_name, 10, Some(token)))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, BroadcastError::Invalid(m) if m == "next_token is invalid"),
            "{tenant_name}/{user_name}: {err:?}"
        );
    }
}

#[tokio::test]
async fn the_list_is_the_users_own_and_only_failed_ones() {
    let w = World::new();
    three_failed(&w).await;
    w.save(
        &tenant("acme"),
        r#"{"user_name": "dev", "contact": {"name": "Olga", "messangers": {"telegram": "-100555"}}}"#,
    )
    .await
    .unwrap();
    w.send(
        &tenant("acme"),
        None,
        r#"{"user_name": "dev", "contact": "Olga", "message": "ok"}"#,
    )
    .await
    .unwrap();
    for d in w.store.deliveries.all() {
        if d.user_name == "dev" {
            w.run(&deliver_job(&d.id().unwrap()), 1).await.unwrap();
        }
    }

    let dev = page(&w, "acme", &query("dev", 10, None)).await.unwrap();
    let other_tenant = page(&w, "globex", &query("ops", 10, None)).await.unwrap();
    let ops = page(&w, "acme", &query("ops", 10, None)).await.unwrap();

    assert!(dev.data.is_empty(), "dev's delivery was sent");
    assert!(other_tenant.data.is_empty());
    assert_eq!(ops.data.len(), 3);
}
