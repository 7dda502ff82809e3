//! One app through beats and scanner runs (the use cases [`beat`](crate::beat) and
//! [`scan`](crate::scan) over the in-memory stores): up, late, down and back with one mail per
//! transition, unsent mails retried after their lease, flapping held within the cooldown, and
//! the outage book.

use std::collections::BTreeMap;

use lookout_core::events::TransitionKind;

use super::{ts, World, T0};
use crate::input::AppState;
use crate::limits::{MAIL_LEASE_MS, MAX_MAIL_ATTEMPTS};
use crate::mail::PendingMail;
use crate::output::ScanReport;
use crate::record::{MailKind, ALERT_COOLDOWN_MS};
use crate::state::mail_sent;
use crate::time::{from_millis, millis};

/// What a scanner run did with the one app.
fn did(report: &ScanReport) -> &'static str {
    assert_eq!(report.errors, 0, "{report:?}");
    if report.due == 0 {
        "not due"
    } else if report.went_down > 0 {
        "went down"
    } else if report.retried > 0 {
        "retried mail"
    } else if report.mails_dropped > 0 {
        "dropped mail"
    } else if report.mails_sent > 0 {
        "announced"
    } else {
        "nothing"
    }
}

#[tokio::test]
async fn up_then_late_then_down_then_back_with_one_mail_per_transition() {
    let sim = World::new();
    let reply = sim.beat("OK").await;
    assert_eq!(reply.state, AppState::Up);
    assert_eq!(
        reply.due_by,
        Some(ts("2030-01-01T00:02:00Z")),
        "period 60 s + grace 60 s"
    );

    // Late: past the period, inside the grace. Still up, not even due.
    sim.at_ms(90_000);
    assert_eq!(did(&sim.scan().await), "not due");
    assert_eq!(sim.rec().state, AppState::Up);

    // A beat in the grace moves the deadline.
    sim.beat("still OK").await;
    assert_eq!(sim.rec().deadline, millis(ts(T0)) + 90_000 + 120_000);
    sim.at_ms(90_000 + 120_000);
    assert_eq!(
        did(&sim.scan().await),
        "nothing",
        "due in the index at the deadline, down only after it"
    );
    sim.at_ms(90_000 + 120_001);
    assert_eq!(did(&sim.scan().await), "went down");
    assert_eq!(sim.rec().state, AppState::Down);
    assert_eq!(
        sim.rec().down_since,
        Some(from_millis(millis(ts(T0)) + 210_000))
    );
    assert!(sim.rec().outbox.is_none(), "the mail was sent and cleared");
    assert_eq!(sim.rec().due_at, None, "a down app leaves the due index");

    // Later runs do not mail again.
    sim.at_ms(3_600_000);
    assert_eq!(did(&sim.scan().await), "not due");
    assert_eq!(sim.subjects().len(), 1);

    let reply = sim.beat("back").await;
    assert_eq!(reply.state, AppState::Up);
    assert_eq!(
        sim.subjects(),
        [
            "[Lookout] DOWN: app 7 (acme) is silent",
            "[Lookout] UP: app 7 (acme) is back"
        ]
    );
    let up = &sim.mail.sent()[1].text;
    assert!(
        up.contains("Down since:     2030-01-01T00:03:30.000Z (about 56 min)"),
        "{up}"
    );
    assert!(up.contains("Message:        back"), "{up}");
    assert_eq!(sim.rec().down_since, None);
    assert_eq!(sim.rec().beats, 3);
    // Each transition also went to the incidents queue and the messengers, once.
    let events = sim.events.transitions();
    assert_eq!(
        events.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [TransitionKind::Down, TransitionKind::Up]
    );
    assert_eq!(
        events[0].reason.as_deref().map(|r| r.starts_with("silent")),
        Some(true)
    );
    assert!(events[0].seq < events[1].seq);
    assert_eq!(sim.events.alerts().len(), 2);
}

#[tokio::test]
async fn an_unsent_mail_is_retried_after_its_lease_then_given_up() {
    let sim = World::new();
    sim.beat("OK").await;
    sim.mail.set_failing(true);
    sim.at_ms(120_001);
    assert_eq!(did(&sim.scan().await), "went down");
    let outbox = sim.rec().outbox.clone().unwrap();
    assert_eq!((outbox.kind, outbox.attempts), (MailKind::Down, 1));
    assert_eq!(
        sim.rec().due_at,
        Some(millis(ts(T0)) + 120_001 + MAIL_LEASE_MS)
    );

    // Inside the lease the writer may still be sending: nobody else does.
    sim.at_ms(120_001 + MAIL_LEASE_MS - 1);
    assert_eq!(did(&sim.scan().await), "not due");
    let mut t = 120_001;
    for attempt in 2..=MAX_MAIL_ATTEMPTS {
        t += MAIL_LEASE_MS;
        sim.at_ms(t);
        assert_eq!(did(&sim.scan().await), "retried mail");
        assert_eq!(sim.rec().outbox.as_ref().unwrap().attempts, attempt);
    }
    t += MAIL_LEASE_MS;
    sim.at_ms(t);
    assert_eq!(did(&sim.scan().await), "dropped mail");
    assert!(sim.rec().outbox.is_none());
    assert_eq!(sim.rec().due_at, None);
    assert_eq!(
        sim.rec().state,
        AppState::Down,
        "giving up a mail changes no state"
    );
    assert!(sim.subjects().is_empty());

    // SES is back: the recovery is mailed at once.
    sim.mail.set_failing(false);
    sim.beat("back").await;
    assert_eq!(sim.subjects(), ["[Lookout] UP: app 7 (acme) is back"]);
}

#[tokio::test]
async fn a_recovery_replaces_an_unsent_down_mail_and_the_late_send_clears_nothing() {
    let sim = World::new();
    sim.beat("OK").await;
    sim.mail.set_failing(true);
    sim.at_ms(120_001);
    did(&sim.scan().await);
    let down = PendingMail::of(&sim.rec()).unwrap();
    sim.at_ms(130_000);
    sim.beat("back").await;
    let up = sim.rec().outbox.clone().unwrap();
    assert_eq!(up.kind, MailKind::Up);
    assert_ne!(up.seq, down.seq);
    assert!(
        mail_sent(&sim.rec(), down.seq).is_none(),
        "the old mail's send must not clear the new one"
    );
    assert!(mail_sent(&sim.rec(), up.seq).is_some());
}

#[tokio::test]
async fn a_flapping_app_is_announced_once_per_cooldown_with_how_often_it_flapped() {
    let sim = World::new();
    sim.beat("OK").await;
    // Down at 121 s (announced), back at 150 s (a recovery is always announced).
    sim.at_ms(121_000);
    assert_eq!(did(&sim.scan().await), "went down");
    sim.at_ms(150_000);
    sim.beat("back").await;
    assert_eq!(sim.subjects().len(), 2);

    // Down again at 271 s, back at 300 s, down at 421 s: within 10 minutes of the last
    // announcement, so held.
    sim.at_ms(271_000);
    assert_eq!(did(&sim.scan().await), "went down");
    sim.at_ms(300_000);
    sim.beat("back again").await;
    sim.at_ms(421_000);
    assert_eq!(did(&sim.scan().await), "went down");
    assert_eq!(sim.subjects().len(), 2, "{:?}", sim.subjects());
    assert_eq!(sim.rec().held, 3);
    assert_eq!(
        sim.rec().due_at,
        Some(millis(ts(T0)) + 150_000 + ALERT_COOLDOWN_MS),
        "due when the cooldown ends"
    );

    // The cooldown ends (10 min after the last announcement) with the app down: one mail says
    // so, and how often it flapped.
    sim.at_ms(150_000 + ALERT_COOLDOWN_MS);
    assert_eq!(did(&sim.scan().await), "announced");
    let mails = sim.mail.sent();
    assert_eq!(mails.len(), 3);
    assert_eq!(mails[2].subject, "[Lookout] DOWN: app 7 (acme) is silent");
    assert!(mails[2]
        .text
        .contains("changed state 3 times within 10 minutes"));
    assert_eq!(sim.rec().due_at, None);
}

#[tokio::test]
async fn a_flap_that_ends_where_the_admin_was_told_sends_nothing_more() {
    let sim = World::new();
    sim.beat("OK").await;
    sim.at_ms(121_000);
    did(&sim.scan().await);
    sim.at_ms(130_000);
    sim.beat("back").await;
    // Down (held) and back (no news) within the cooldown.
    sim.at_ms(251_000);
    assert_eq!(did(&sim.scan().await), "went down");
    sim.at_ms(260_000);
    sim.beat("back").await;
    for at in [370_000, 480_000, 600_000, 700_000] {
        sim.at_ms(at);
        sim.beat("fine").await;
    }
    sim.at_ms(130_000 + ALERT_COOLDOWN_MS);
    assert_eq!(
        did(&sim.scan().await),
        "nothing",
        "settled: the admin knows it is up"
    );
    assert_eq!(sim.subjects().len(), 2, "{:?}", sim.subjects());
    assert_eq!((sim.rec().held, sim.rec().hold_until), (0, None));
    assert_eq!(sim.rec().state, AppState::Up);
    // It is watched as usual afterwards: the next silence is announced.
    sim.at_ms(700_000 + 121_000);
    assert_eq!(did(&sim.scan().await), "went down");
    assert_eq!(sim.subjects().len(), 3);
}

#[tokio::test]
async fn a_recovery_books_its_outage() {
    let sim = World::new();
    sim.beat("OK").await;
    sim.at_ms(121_000);
    did(&sim.scan().await); // down since 120 s
    sim.at_ms(420_000);
    sim.beat("back").await;
    assert_eq!(
        sim.rec().downtime,
        BTreeMap::from([("2030-01-01".to_owned(), 300)])
    );
    assert_eq!(
        sim.rec().view().downtime["2030-01-01"],
        300,
        "listed with the app"
    );
}
