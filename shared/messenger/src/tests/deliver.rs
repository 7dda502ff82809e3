//! `run_job` (fanout, deliver, alert) on the in-memory stores, queue and messenger: each
//! delivery's state machine, `pending → sending → sent | failed` and back to `pending`.

use std::time::Duration;

use lookout_core::StoreError;

use crate::deliver::JobOutcome;
use crate::error::BroadcastError;
use crate::ids::{DeliveryId, Job, SendId};
use crate::input::ContactName;
use crate::memory_dispatch::Dispatched;
use crate::outbound::error::Delivered;
use crate::outbound::kind::MessengerKind;
use crate::outbound::memory::Sent;
use crate::records::{DeliveryRecord, Status};
use crate::store::deliveries::{Claim, Deliveries};
use crate::store::memory::MemoryFault;
use crate::store::sends::Sends;

use super::fixture::{
    deliver_job, rejected, telegram, tenant, ts, unavailable, user, World, ADMIN_CHAT, START,
};

/// Claims a delivery as another consumer would.
async fn claim(w: &World, id: &DeliveryId) -> DeliveryRecord {
    match w.store.deliveries.claim(id, w.now(), w.policy.lease).await {
        Ok(Claim::Claimed(d)) => *d,
        other => panic!("expected a claim, got {other:?}"),
    }
}

fn delivered(id: &str) -> Result<Delivered, crate::outbound::error::MessengerError> {
    Ok(Delivered {
        provider_id: Some(id.into()),
    })
}

#[tokio::test]
async fn fanout_queues_a_deliver_job_per_pending_delivery() {
    let w = World::new();
    let (send_id, ids) = w.sent_to_both().await;
    let fanout = Job::Fanout {
        send_id: send_id.clone(),
    };

    let first = w.run(&fanout, 1).await.unwrap();
    w.run(&deliver_job(&ids[0]), 1).await.unwrap();
    let from = w.dispatch.log().len();
    let again = w.run(&fanout, 2).await.unwrap();
    let unknown = w
        .run(
            &Job::Fanout {
                send_id: SendId::new(),
            },
            1,
        )
        .await
        .unwrap();

    assert_eq!((first, again), (JobOutcome::Ack, JobOutcome::Ack));
    assert_eq!(
        w.dispatched_from(1)[..3],
        [
            Dispatched::Enqueued(deliver_job(&ids[0])),
            Dispatched::Enqueued(deliver_job(&ids[1])),
            Dispatched::Enqueued(deliver_job(&ids[2])),
        ]
    );
    assert_eq!(
        w.dispatched_from(from),
        [
            Dispatched::Enqueued(deliver_job(&ids[1])),
            Dispatched::Enqueued(deliver_job(&ids[2])),
        ],
        "a sent delivery is not queued again"
    );
    assert_eq!(unknown, JobOutcome::Retry(Some(Duration::ZERO)));
}

#[tokio::test]
async fn a_delivery_is_claimed_sent_and_recorded_once() {
    let w = World::new();
    let (_, ids) = w.sent_to_both().await;
    w.messenger.then(delivered("m-1"));
    w.clock.advance(Duration::from_secs(5));

    let outcome = w.run(&deliver_job(&ids[0]), 1).await.unwrap();
    let duplicate = w.run(&deliver_job(&ids[0]), 1).await.unwrap();

    assert_eq!((outcome, duplicate), (JobOutcome::Ack, JobOutcome::Ack));
    let d = w.delivery(&ids[0]);
    assert_eq!((d.status, d.attempts), (Status::Sent, 1));
    assert_eq!(d.sent_at, Some(ts("2030-01-01T10:00:05Z")));
    assert_eq!(d.provider_id.as_deref(), Some("m-1"));
    assert_eq!((d.lease_until, d.failed_pk), (None, None));
    assert_eq!(
        w.messenger.sent(),
        [Sent {
            kind: MessengerKind::Telegram,
            address: "-100123".into(),
            text: "disk full".into(),
        }],
        "the duplicate job sent nothing"
    );
    assert_eq!(w.delivery(&ids[1]).status, Status::Pending, "untouched");
}

#[tokio::test]
async fn a_transient_failure_goes_back_to_pending_until_sent() {
    let w = World::new();
    let (_, ids) = w.sent_to_both().await;
    w.messenger.then(unavailable(503)).then(delivered("m-2"));

    let first = w.run(&deliver_job(&ids[0]), 1).await.unwrap();
    let after_first = w.delivery(&ids[0]);
    let second = w.run(&deliver_job(&ids[0]), 2).await.unwrap();

    let JobOutcome::Retry(Some(after)) = first else {
        panic!("expected a retry, got {first:?}");
    };
    assert!(
        after >= Duration::from_secs(15) && after <= Duration::from_secs(30),
        "{after:?}"
    );
    assert_eq!(
        (after_first.status, after_first.attempts),
        (Status::Pending, 1)
    );
    assert_eq!(
        after_first.last_error.as_deref(),
        Some("telegram unavailable (503): try later")
    );
    assert_eq!(after_first.lease_until, None);
    assert_eq!(second, JobOutcome::Ack);
    let d = w.delivery(&ids[0]);
    assert_eq!((d.status, d.attempts), (Status::Sent, 2));
    assert_eq!(w.messenger.sent().len(), 2);
}

#[tokio::test]
async fn a_rejected_delivery_fails_with_its_message_and_endpoint() {
    let w = World::new();
    let (_, ids) = w.sent_to_both().await;
    w.messenger.then(rejected());

    let outcome = w.run(&deliver_job(&ids[0]), 1).await.unwrap();

    assert_eq!(outcome, JobOutcome::Ack);
    let d = w.delivery(&ids[0]);
    assert_eq!(
        (d.status, d.attempts, d.interrupted),
        (Status::Failed, 1, false)
    );
    assert_eq!(
        d.last_error.as_deref(),
        Some("telegram rejected the message (400): chat not found")
    );
    assert_eq!(d.message.as_deref(), Some("disk full"));
    assert_eq!(d.url.as_deref(), Some("memory://telegram"));
    assert_eq!(d.failed_at, Some(ts(START)));
    assert_eq!(d.failed_pk.as_deref(), Some("F#acme#ops"));
    assert_eq!(d.failed_all.as_deref(), Some("FAILED"));
}

#[tokio::test]
async fn the_last_attempt_and_the_last_receive_fail_for_good() {
    let mut w = World::new();
    w.policy.max_attempts = 2;
    let (_, ids) = w.sent_to_both().await;
    w.messenger
        .then(unavailable(429))
        .then(unavailable(429))
        .then(unavailable(503));

    let first = w.run(&deliver_job(&ids[0]), 1).await.unwrap();
    let last = w.run(&deliver_job(&ids[0]), 2).await.unwrap();
    let max = w.policy.max_receives;
    let last_receive = w.run(&deliver_job(&ids[1]), max).await.unwrap();

    assert!(matches!(first, JobOutcome::Retry(Some(_))), "{first:?}");
    assert_eq!((last, last_receive), (JobOutcome::Ack, JobOutcome::Ack));
    let gave_up = w.delivery(&ids[0]);
    assert_eq!((gave_up.status, gave_up.attempts), (Status::Failed, 2));
    assert_eq!(
        gave_up.last_error.as_deref(),
        Some("telegram unavailable (429): try later (gave up after 2 attempts)")
    );
    let dead = w.delivery(&ids[1]);
    assert_eq!((dead.status, dead.attempts), (Status::Failed, 1));
    assert!(
        dead.last_error.as_deref().unwrap().ends_with(&format!(
            "(gave up: its job was received {max} times, the queue's limit)"
        )),
        "{:?}",
        dead.last_error
    );
}

#[tokio::test]
async fn a_delivery_held_by_another_consumer_is_looked_at_after_its_lease() {
    let w = World::new();
    let (_, ids) = w.sent_to_both().await;
    let lease = w.policy.lease;
    // Another consumer claims it first.
    claim(&w, &ids[0]).await;
    w.clock.advance(Duration::from_secs(20));

    let outcome = w.run(&deliver_job(&ids[0]), 1).await.unwrap();

    assert_eq!(
        outcome,
        JobOutcome::Retry(Some(
            lease - Duration::from_secs(20) + Duration::from_secs(1)
        ))
    );
    let d = w.delivery(&ids[0]);
    assert_eq!((d.status, d.attempts), (Status::Sending, 1));
    assert!(w.messenger.sent().is_empty());
}

#[tokio::test]
async fn an_attempt_cut_off_past_its_lease_is_failed_not_sent_again() {
    let w = World::new();
    let (_, ids) = w.sent_to_both().await;
    let lease = w.policy.lease;
    let claimed = claim(&w, &ids[0]).await;
    w.clock.advance(lease + Duration::from_secs(1));

    let outcome = w.run(&deliver_job(&ids[0]), 2).await.unwrap();

    assert_eq!(outcome, JobOutcome::Ack);
    let d = w.delivery(&ids[0]);
    assert_eq!(
        (d.status, d.interrupted, d.attempts),
        (Status::Failed, true, 1)
    );
    assert_eq!(
        d.message.as_deref(),
        Some("disk full"),
        "copied from the send"
    );
    assert!(
        d.last_error
            .as_deref()
            .unwrap()
            .starts_with("the previous attempt was interrupted"),
        "{:?}",
        d.last_error
    );
    assert!(w.messenger.sent().is_empty());
    // The slow attempt then reports it sent: corrected, out of the failed list.
    let recorded = w
        .store
        .deliveries
        .mark_sent(&claimed, w.now(), Some("late"))
        .await
        .unwrap();
    assert!(recorded);
    let d = w.delivery(&ids[0]);
    assert_eq!((d.status, d.interrupted), (Status::Sent, false));
    assert_eq!((d.failed_pk, d.failed_all, d.failed_at), (None, None, None));
}

#[tokio::test]
async fn each_transition_happens_only_from_its_state_and_attempt() {
    let w = World::new();
    let (_, ids) = w.sent_to_both().await;
    let pending = w.delivery(&ids[0]);
    let store = &w.store.deliveries;
    let now = w.now();

    // Nothing but a claim moves a pending delivery.
    assert!(!store.mark_sent(&pending, now, None).await.unwrap());
    assert!(!store.mark_retry(&pending, now, "x").await.unwrap());
    assert!(!store
        .mark_failed(&pending, now, "x", None, "m")
        .await
        .unwrap());
    assert!(!store.release(&pending, now).await.unwrap());
    let claimed = claim(&w, &ids[0]).await;
    assert_eq!((claimed.status, claimed.attempts), (Status::Sending, 1));
    assert_eq!(claimed.lease_until, Some(ts("2030-01-01T10:02:00Z")));
    // An outcome of another attempt (a stale claim) is not recorded.
    assert!(!store.mark_retry(&pending, now, "x").await.unwrap());
    // Given back: pending, the attempt not counted; given back twice: no change.
    assert!(store.release(&claimed, now).await.unwrap());
    assert!(!store.release(&claimed, now).await.unwrap());
    let released = w.delivery(&ids[0]);
    assert_eq!((released.status, released.attempts), (Status::Pending, 0));
    // Claimed again and failed: done; nothing moves it but an interrupted one's late send.
    let again = claim(&w, &ids[0]).await;
    assert!(store
        .mark_failed(&again, now, "no", Some("u"), "m")
        .await
        .unwrap());
    assert!(!store.mark_sent(&again, now, None).await.unwrap());
    assert!(matches!(
        store.claim(&ids[0], now, w.policy.lease).await.unwrap(),
        Claim::Done(Status::Failed)
    ));
    let missing = DeliveryId {
        send: SendId::new(),
        n: 1,
    };
    assert!(matches!(
        store.claim(&missing, now, w.policy.lease).await.unwrap(),
        Claim::Missing
    ));
}

#[tokio::test]
async fn a_job_for_an_unknown_delivery_is_left_for_the_dead_letter_queue() {
    let w = World::new();
    let id = DeliveryId {
        send: SendId::new(),
        n: 0,
    };

    let outcome = w.run(&deliver_job(&id), 1).await.unwrap();

    assert_eq!(outcome, JobOutcome::Retry(Some(Duration::ZERO)));
    assert!(w.store.deliveries.all().is_empty());
}

#[tokio::test]
async fn a_tenants_delivery_to_an_admin_address_is_refused_unsent() {
    let w = World::new();
    // A send stored to the admin's chat (before the chat was the admin's, say).
    let (send_id, _, _) = w
        .store
        .sends
        .create_new(
            &tenant("acme"),
            &user("ops"),
            &[(ContactName::parse("Boss").unwrap(), telegram("-0100999"))],
            "hi boss",
            w.now(),
            w.now(),
        )
        .await
        .unwrap();
    let id = DeliveryId {
        send: send_id,
        n: 0,
    };

    let outcome = w.run(&deliver_job(&id), 1).await.unwrap();

    assert_eq!(outcome, JobOutcome::Ack);
    let d = w.delivery(&id);
    assert_eq!(d.status, Status::Failed);
    assert!(
        d.last_error
            .as_deref()
            .unwrap()
            .starts_with("refused: this address is the admin's"),
        "{:?}",
        d.last_error
    );
    assert!(w.messenger.sent().is_empty());
}

#[tokio::test]
async fn a_send_that_cannot_be_read_gives_the_attempt_back_and_a_gone_one_fails() {
    let w = World::new();
    let (send_id, ids) = w.sent_to_both().await;

    w.store.fail_next(MemoryFault::ReadSend);
    let unread = w.run(&deliver_job(&ids[0]), 1).await.unwrap_err();
    let given_back = w.delivery(&ids[0]);
    let retried = w.run(&deliver_job(&ids[0]), 2).await.unwrap();
    w.store.sends.forget(&send_id);
    let gone = w.run(&deliver_job(&ids[1]), 1).await.unwrap();

    assert!(
        matches!(unread, BroadcastError::Store(StoreError::Unavailable(_))),
        "{unread:?}"
    );
    assert_eq!(
        (given_back.status, given_back.attempts),
        (Status::Pending, 0)
    );
    assert_eq!(retried, JobOutcome::Ack);
    assert_eq!(w.delivery(&ids[0]).status, Status::Sent);
    assert_eq!(gone, JobOutcome::Ack);
    let d = w.delivery(&ids[1]);
    assert_eq!(d.status, Status::Failed);
    assert_eq!(d.last_error.as_deref(), Some("the send record is missing"));
    assert_eq!(
        w.messenger.sent().len(),
        1,
        "only the first delivery was sent"
    );
}

#[tokio::test]
async fn an_alert_is_one_send_to_the_admin_fanned_out_and_delivered() {
    let mut w = World::new();
    let alert = Job::Alert {
        alert_id: "hb-1".into(),
        text: "app down".into(),
    };
    let unset = w.run(&alert, 1).await.unwrap();
    assert_eq!(unset, JobOutcome::Ack);
    assert!(
        w.store.sends.all().is_empty(),
        "no ADMIN_ALERT_CONTACTS: nothing sent"
    );
    w.alert_to = Some(telegram(ADMIN_CHAT));

    let first = w.run(&alert, 1).await.unwrap();
    let repeated = w.run(&alert, 1).await.unwrap();

    assert_eq!((first, repeated), (JobOutcome::Ack, JobOutcome::Ack));
    let sends = w.store.sends.all();
    assert_eq!(sends.len(), 1, "a repeated alert is one send");
    assert_eq!(
        (
            sends[0].tenant.as_str(),
            sends[0].user_name.as_str(),
            sends[0].message.as_str()
        ),
        ("_alerts", "lookout", "app down")
    );
    let Dispatched::Enqueued(job) = w.dispatch.log()[0].clone() else {
        panic!("expected a deliver job");
    };
    assert_eq!(
        w.dispatch.log(),
        [
            Dispatched::Enqueued(job.clone()),
            Dispatched::Enqueued(job.clone())
        ]
    );
    // The admin's chat gets the alerts' own sends.
    assert_eq!(w.run(&job, 1).await.unwrap(), JobOutcome::Ack);
    assert_eq!(w.messenger.sent()[0].address, ADMIN_CHAT);
    assert_eq!(w.messenger.sent()[0].text, "app down");
}
