//! `send` on the in-memory stores, queue and scheduler: what is stored, what is queued, what
//! is counted, and what is refused (leaving nothing behind).

use std::time::Duration;

use lookout_core::StoreError;

use crate::error::BroadcastError;
use crate::ids::{IdempotencyKey, Job, SendId};
use crate::input::{Contact, ContactName};
use crate::memory_dispatch::Dispatched;
use crate::outbound::kind::MessengerKind;
use crate::records::Status;
use crate::store::contacts::Contacts;
use crate::store::memory::MemoryFault;
use crate::store::usage::UsageCounts;

use super::fixture::{telegram, tenant, ts, user, World, ADMIN_CHAT, START, TWO_CONTACTS};

const TO_BOTH: &str =
    r#"{"user_name": "ops", "contact": ["Artem", "Lera"], "message": "disk full"}"#;

fn fanout(id: &SendId) -> Job {
    Job::Fanout {
        send_id: id.clone(),
    }
}

async fn sends_today(w: &World) -> u64 {
    w.store
        .usage
        .sends_today(&tenant("acme"), w.now())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_send_now_stores_a_pending_delivery_per_messenger_and_queues_its_fanout() {
    let w = World::new();
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    let reply = w.send(&acme, None, TO_BOTH).await.unwrap();

    assert!(reply.success && reply.wrong_contacts.is_empty());
    assert_eq!(reply.deliveries, 3);
    assert!(!reply.scheduled);
    assert_eq!(reply.scheduled_at, ts(START));
    assert_eq!(reply.time_zone, None);
    let sends = w.store.sends.all();
    assert_eq!(sends.len(), 1);
    let send = &sends[0];
    assert_eq!(
        (
            send.tenant.as_str(),
            send.user_name.as_str(),
            send.message.as_str()
        ),
        ("acme", "ops", "disk full")
    );
    assert_eq!((send.deliveries, send.scheduled), (3, false));
    assert_eq!(send.expires_at, ts(START).unix_seconds() + 30 * 86_400);
    let stored: Vec<_> = w
        .deliveries(&reply.send_id)
        .into_iter()
        .map(|d| (d.contact, d.messenger, d.address, d.status, d.attempts))
        .collect();
    assert_eq!(
        stored,
        [
            (
                "Artem".into(),
                MessengerKind::Telegram,
                "-100123".into(),
                Status::Pending,
                0
            ),
            (
                "Artem".into(),
                MessengerKind::WhatsApp,
                "+799200828615".into(),
                Status::Pending,
                0
            ),
            (
                "Lera".into(),
                MessengerKind::Viber,
                "lera01".into(),
                Status::Pending,
                0
            ),
        ]
    );
    assert_eq!(
        w.dispatch.log(),
        [Dispatched::Enqueued(fanout(&reply.send_id))]
    );
    assert_eq!(sends_today(&w).await, 1);
}

#[tokio::test]
async fn unknown_names_are_reported_and_a_send_to_none_stores_nothing() {
    let w = World::new();
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    let partly = w
        .send(
            &acme,
            None,
            r#"{"user_name": "ops", "contact": ["Ghost", "Lera"], "message": "hi"}"#,
        )
        .await
        .unwrap();
    let none = w
        .send(
            &acme,
            None,
            r#"{"user_name": "ops", "contact": ["Ghost", "Nobody"], "message": "hi"}"#,
        )
        .await
        .unwrap_err();

    assert!(!partly.success);
    let wrong: Vec<_> = partly
        .wrong_contacts
        .iter()
        .map(|c| (c.name.as_str(), c.error))
        .collect();
    assert_eq!(wrong, [("Ghost", "no contact in base")]);
    assert_eq!(partly.deliveries, 1);
    let BroadcastError::NoSuchContacts { user, names } = none else {
        panic!("expected NoSuchContacts, got {none:?}");
    };
    assert_eq!(
        (user.as_str(), names),
        ("ops", vec!["Ghost".into(), "Nobody".into()])
    );
    assert_eq!(w.store.sends.all().len(), 1, "only the first send");
    assert_eq!(w.dispatch.log().len(), 1);
    assert_eq!(sends_today(&w).await, 1);
}

#[tokio::test]
async fn a_later_send_is_scheduled_in_the_users_zone_and_a_near_one_is_delayed() {
    let w = World::new();
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();
    w.save(
        &acme,
        r#"{"user_name": "ops", "time_zone": "Europe/Moscow"}"#,
    )
    .await
    .unwrap();

    // 15:00 in Moscow is 12:00 UTC, two hours ahead.
    let later = w
        .send(
            &acme,
            None,
            r#"{"user_name": "ops", "contact": "Lera", "message": "hi", "time": [2030, 1, 1, 15, 0, 0]}"#,
        )
        .await
        .unwrap();
    let near = w
        .send(
            &acme,
            None,
            r#"{"user_name": "ops", "contact": "Lera", "message": "hi", "time": "2030-01-01T10:00:30Z"}"#,
        )
        .await
        .unwrap();

    let noon = ts("2030-01-01T12:00:00Z");
    assert!(later.scheduled);
    assert_eq!(later.scheduled_at, noon);
    assert_eq!(later.time_zone.map(|z| z.name()), Some("Europe/Moscow"));
    assert_eq!(w.deliveries(&later.send_id)[0].scheduled_at, noon);
    assert!(near.scheduled);
    assert_eq!(
        w.dispatch.log(),
        [
            Dispatched::Scheduled {
                name: format!("send-{}", later.send_id.as_str()),
                job: fanout(&later.send_id),
                at: noon,
            },
            Dispatched::Delayed {
                job: fanout(&near.send_id),
                after: Duration::from_secs(30),
            },
        ]
    );
    assert_eq!(sends_today(&w).await, 2);
}

#[tokio::test]
async fn the_quotas_refuse_a_send_and_store_nothing() {
    let mut w = World::new();
    w.quotas.sends_per_day = 2;
    w.quotas.schedule_ahead_days = 1;
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    let too_far = w
        .send(
            &acme,
            None,
            r#"{"user_name": "ops", "contact": "Lera", "message": "hi", "time": "2030-01-02T10:00:05Z"}"#,
        )
        .await
        .unwrap_err();
    w.send(&acme, None, TO_BOTH).await.unwrap();
    w.send(&acme, None, TO_BOTH).await.unwrap();
    let third = w.send(&acme, None, TO_BOTH).await.unwrap_err();

    let BroadcastError::Quota(far) = too_far else {
        panic!("expected the horizon quota, got {too_far:?}");
    };
    assert_eq!(far.retry_after, 5);
    let BroadcastError::Quota(day) = third else {
        panic!("expected the daily quota, got {third:?}");
    };
    assert_eq!(day.retry_after, 14 * 3600, "until midnight UTC");
    assert_eq!(w.store.sends.all().len(), 2);
    assert_eq!(w.store.deliveries.all().len(), 6);
    assert_eq!(w.dispatch.log().len(), 2);
    assert_eq!(sends_today(&w).await, 2);
    // Another tenant, and the next UTC day, have their own counts.
    w.save(&tenant("globex"), TWO_CONTACTS).await.unwrap();
    w.send(&tenant("globex"), None, TO_BOTH).await.unwrap();
    w.clock.advance(Duration::from_secs(14 * 3600));
    w.send(&acme, None, TO_BOTH).await.unwrap();
    assert_eq!(w.store.sends.all().len(), 4);
}

#[tokio::test]
async fn a_repeated_keyed_send_is_answered_again_and_another_body_is_refused() {
    let mut w = World::new();
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    let first = w.send(&acme, Some("order-42"), TO_BOTH).await.unwrap();
    let again = w.send(&acme, Some("order-42"), TO_BOTH).await.unwrap();
    let other_body = w
        .send(
            &acme,
            Some("order-42"),
            r#"{"user_name": "ops", "contact": "Lera", "message": "other"}"#,
        )
        .await
        .unwrap_err();

    let id = SendId::for_key(&acme, &IdempotencyKey::parse("order-42").unwrap());
    assert_eq!(first.send_id, id);
    assert_eq!((again.send_id.clone(), again.deliveries), (id.clone(), 3));
    assert!(
        matches!(other_body, BroadcastError::KeyReused),
        "{other_body:?}"
    );
    let sends = w.store.sends.all();
    assert_eq!(sends.len(), 1);
    assert!(sends[0].request_hash.is_some());
    assert_eq!(w.store.deliveries.all().len(), 3);
    // Queued again (harmless: a delivery is claimed once) and counted again.
    assert_eq!(
        w.dispatch.log(),
        [
            Dispatched::Enqueued(fanout(&id)),
            Dispatched::Enqueued(fanout(&id))
        ]
    );
    assert_eq!(sends_today(&w).await, 2);

    // Over the daily quota, a repeat is still answered; a new key is refused.
    w.quotas.sends_per_day = 2;
    let over = w.send(&acme, Some("order-42"), TO_BOTH).await.unwrap();
    assert_eq!(over.send_id, id);
    let new_key = w.send(&acme, Some("order-43"), TO_BOTH).await;
    assert!(
        matches!(new_key, Err(BroadcastError::Quota(_))),
        "{new_key:?}"
    );
    // The same key of another tenant is another send.
    w.save(&tenant("globex"), TWO_CONTACTS).await.unwrap();
    let theirs = w
        .send(&tenant("globex"), Some("order-42"), TO_BOTH)
        .await
        .unwrap();
    assert_ne!(theirs.send_id, id);
}

#[tokio::test]
async fn a_send_that_cannot_be_queued_is_removed_and_not_counted() {
    let w = World::new();
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    w.dispatch.fail_next();
    let plain = w.send(&acme, None, TO_BOTH).await.unwrap_err();
    w.dispatch.fail_next();
    let keyed = w.send(&acme, Some("k-1"), TO_BOTH).await.unwrap_err();

    assert!(matches!(plain, BroadcastError::Fault(_)), "{plain:?}");
    assert!(matches!(keyed, BroadcastError::Fault(_)), "{keyed:?}");
    assert!(w.store.sends.all().is_empty());
    assert!(w.store.deliveries.all().is_empty());
    assert!(w.dispatch.log().is_empty());
    assert_eq!(sends_today(&w).await, 0);
    // The keyed request tried again is created afresh.
    let retried = w.send(&acme, Some("k-1"), TO_BOTH).await.unwrap();
    assert_eq!(retried.deliveries, 3);
    assert_eq!(w.store.deliveries.all().len(), 3);
}

#[tokio::test]
async fn a_contact_stored_with_an_admin_address_refuses_the_send() {
    let w = World::new();
    let acme = tenant("acme");
    // Stored before the admin's chat was this one (the save would refuse it now).
    let boss = Contact {
        name: ContactName::parse("Boss").unwrap(),
        addresses: telegram(ADMIN_CHAT),
    };
    w.store
        .contacts
        .put(&acme, &user("ops"), &[boss], None, w.now())
        .await
        .unwrap();
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    let err = w
        .send(
            &acme,
            None,
            r#"{"user_name": "ops", "contact": ["Lera", "Boss"], "message": "hi"}"#,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, BroadcastError::Reserved(_)), "{err:?}");
    assert!(w.store.sends.all().is_empty());
    assert!(w.dispatch.log().is_empty());
}

#[tokio::test]
async fn a_store_failure_fails_the_send_before_anything_is_queued() {
    let w = World::new();
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    w.store.fail_next(MemoryFault::ReadContacts);
    let read = w.send(&acme, None, TO_BOTH).await.unwrap_err();
    w.store.fail_next(MemoryFault::WriteSend);
    let write = w.send(&acme, None, TO_BOTH).await.unwrap_err();

    for err in [read, write] {
        assert!(
            matches!(err, BroadcastError::Store(StoreError::Unavailable(_))),
            "{err:?}"
        );
    }
    assert!(w.store.sends.all().is_empty());
    assert!(w.dispatch.log().is_empty());
    assert_eq!(sends_today(&w).await, 0);
}
