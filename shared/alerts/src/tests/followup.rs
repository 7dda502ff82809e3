//! Repeats, escalation and acknowledgement links.

use std::time::Duration;

use lookout_core::auth::Tenant;
use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};

use super::{alert, channel, sealer, t0, Fakes};
use crate::channel::ChannelId;
use crate::deliver::{deliver, DeliverOutcome};
use crate::manage::put_routes;
use crate::routes::{FollowUp, Routes, Rule, MAX_ROUNDS};
use crate::store::MemoryAlerts;

fn ids() -> [ChannelId; 3] {
    [
        "ch_000000000000000a",
        "ch_000000000000000b",
        "ch_000000000000000c",
    ]
    .map(|s| ChannelId::parse(s).unwrap())
}

#[test]
fn repeats_come_every_interval_and_climb_the_escalation_steps() {
    let [a, b, c] = ids();
    let rule = Rule {
        channels: vec![a.clone()],
        repeat_minutes: Some(5),
        escalate_after_minutes: Some(15),
        escalation: vec![vec![b.clone()], vec![c.clone()]],
        ..Rule::default()
    };
    let plan: Vec<(u32, usize)> = (1..=7)
        .map(|r| {
            rule.follow_up(r)
                .map(|f| (f.after_minutes, f.step))
                .unwrap()
        })
        .collect();
    assert_eq!(
        plan,
        [(5, 0), (10, 0), (15, 1), (20, 1), (25, 1), (30, 2), (35, 2)]
    );
    assert_eq!(rule.chain_at(0), std::slice::from_ref(&a));
    assert_eq!(rule.chain_at(2), std::slice::from_ref(&c));
    assert!(rule.follow_up(0).is_none());
    assert!(rule.follow_up(MAX_ROUNDS + 1).is_none());
    // Escalation alone: one follow-up per step, then nothing.
    let escalate_only = Rule {
        repeat_minutes: None,
        ..rule.clone()
    };
    assert_eq!(
        escalate_only.follow_up(1),
        Some(FollowUp {
            round: 1,
            after_minutes: 15,
            step: 1
        })
    );
    assert_eq!(escalate_only.follow_up(2).map(|f| f.step), Some(2));
    assert!(escalate_only.follow_up(3).is_none());
    // Neither: no follow-up.
    assert!(Rule {
        channels: vec![a],
        ..Rule::default()
    }
    .follow_up(1)
    .is_none());
    // The shape is checked.
    let bad = |r: Rule| {
        Routes {
            default: vec![],
            rules: vec![r],
            ..Routes::default()
        }
        .validate()
        .is_err()
    };
    assert!(bad(Rule {
        escalate_after_minutes: None,
        ..rule.clone()
    }));
    assert!(bad(Rule {
        repeat_minutes: Some(0),
        ..rule.clone()
    }));
    assert!(bad(Rule {
        escalation: vec![vec![b.clone()]; 4],
        ..rule.clone()
    }));
    assert!(bad(Rule {
        escalation: vec![vec![]],
        ..rule
    }));
}

#[test]
fn acknowledgement_links_name_one_incident_until_they_expire() {
    let s = sealer();
    let token = s.ack_token("acme", "inc-42", 1_000);
    assert_eq!(
        s.open_ack(&token, 999),
        Some(("acme".into(), "inc-42".into()))
    );
    assert_eq!(s.open_ack(&token, 1_001), None, "expired");
    let (payload, sig) = token.rsplit_once('.').unwrap();
    let forged = format!("{payload}.{}", "0".repeat(sig.len()));
    assert_eq!(s.open_ack(&forged, 0), None);
    let other = s.ack_token("acme", "inc-43", 1_000);
    let spliced = format!("{}.{sig}", other.rsplit_once('.').unwrap().0);
    assert_eq!(
        s.open_ack(&spliced, 0),
        None,
        "a signature belongs to its payload"
    );
    assert_eq!(
        crate::Sealer::from_secret("another secret of 32 characters!!").open_ack(&token, 0),
        None
    );
    assert_eq!(s.open_ack("garbage", 0), None);
    assert_eq!(s.open_ack(&"a".repeat(700), 0), None);
}

#[test]
fn telegram_buttons_and_the_webhook_secret_belong_to_one_tenant() {
    let s = sealer();
    let incident = "0b9c4f5e-8f1a-4c55-9a8e-3f2d1c0b9a87";
    let data = s.telegram_callback("acme", incident).unwrap();
    assert!(data.len() <= 64, "{}", data.len());
    assert_eq!(
        s.open_telegram_callback("acme", &data),
        Some(incident.to_owned())
    );
    assert_eq!(
        s.open_telegram_callback("globex", &data),
        None,
        "another tenant's bot cannot replay the button"
    );
    let forged = format!("a:{incident}:{}", "0".repeat(16));
    assert_eq!(s.open_telegram_callback("acme", &forged), None);
    let other = s.telegram_callback("acme", "inc-2").unwrap();
    let spliced = format!("a:inc-3:{}", other.rsplit_once(':').unwrap().1);
    assert_eq!(s.open_telegram_callback("acme", &spliced), None);
    assert_eq!(s.open_telegram_callback("acme", "garbage"), None);
    assert_eq!(
        s.telegram_callback("acme", &"x".repeat(60)),
        None,
        "over 64 bytes"
    );
    let secret = s.telegram_secret("acme");
    assert_eq!(secret.len(), 32);
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(s.telegram_secret_matches("acme", &secret));
    assert!(!s.telegram_secret_matches("globex", &secret));
    assert!(!s.telegram_secret_matches("acme", ""));
    assert_ne!(secret, s.telegram_secret("globex"));
}

fn needs_someone(id: &str) -> TenantAlert {
    let mut a = alert(
        id,
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Critical,
        "backup",
    );
    a.ack_incident = Some(format!("inc-{id}"));
    a
}

#[tokio::test]
async fn an_unacknowledged_alert_repeats_escalates_and_stops_once_acknowledged() {
    let store = MemoryAlerts::default();
    let tenant = Tenant::parse("acme").unwrap();
    let first = channel(&store, "slack", "http://127.0.0.1:9/slack/services/T/B/x").await;
    let pager = channel(&store, "webhook", "http://127.0.0.1:9/webhook/pager").await;
    let routes = Routes {
        default: vec![],
        rules: vec![Rule {
            min_level: Some(TenantAlertLevel::Error),
            channels: vec![first.clone()],
            repeat_minutes: Some(5),
            escalate_after_minutes: Some(10),
            escalation: vec![vec![pager.clone()]],
            ..Rule::default()
        }],
        ..Routes::default()
    };
    put_routes(&store, &tenant, &routes, t0()).await.unwrap();
    let f = Fakes::at(t0());
    let ports = f.ports(&store, Some("https://api.example.com/"));
    let a = needs_someone("down-1");
    assert_eq!(deliver(&ports, &a).await.unwrap(), DeliverOutcome::Done);
    // Delivered with its link, and the first repeat scheduled 5 minutes after the alert.
    let scheduled = f.follow_ups.scheduled();
    assert_eq!(scheduled.len(), 1);
    let (name, repeat, at) = scheduled[0].clone();
    assert!(
        name.starts_with("alert-") && name.ends_with("-r1"),
        "{name}"
    );
    assert_eq!(
        (repeat.round, at),
        (Some(1), t0().plus_millis(300_000).unwrap())
    );
    // Delivered again (a redelivered message): nothing sent, the same schedule.
    assert_eq!(deliver(&ports, &a).await.unwrap(), DeliverOutcome::Done);
    assert_eq!(f.sender.sent().len(), 1);
    assert_eq!(f.follow_ups.scheduled().len(), 1);

    // Round 1 (5 min): the first chain again, as a repeat of its own.
    f.clock.advance(Duration::from_secs(300));
    assert_eq!(
        deliver(&ports, &repeat).await.unwrap(),
        DeliverOutcome::Done
    );
    // Round 2 (10 min): escalated to the pager.
    let r2 = f
        .follow_ups
        .scheduled()
        .into_iter()
        .find(|(n, ..)| n.ends_with("-r2"))
        .unwrap()
        .1;
    f.clock.advance(Duration::from_secs(300));
    assert_eq!(deliver(&ports, &r2).await.unwrap(), DeliverOutcome::Done);
    let sent: Vec<(String, String)> = f
        .sender
        .sent()
        .into_iter()
        .map(|(k, _, id)| (k.as_str().to_owned(), id))
        .collect();
    assert_eq!(
        sent,
        [
            ("slack".into(), "down-1".into()),
            ("slack".into(), "down-1-r1".into()),
            ("webhook".into(), "down-1-r2".into()),
        ]
    );
    // Acknowledged: round 3 fires, sends nothing and schedules nothing more.
    f.incidents.close("inc-down-1");
    let r3 = f
        .follow_ups
        .scheduled()
        .into_iter()
        .find(|(n, ..)| n.ends_with("-r3"))
        .unwrap()
        .1;
    f.clock.advance(Duration::from_secs(300));
    assert_eq!(deliver(&ports, &r3).await.unwrap(), DeliverOutcome::Done);
    assert_eq!(f.sender.sent().len(), 3);
    assert!(!f
        .follow_ups
        .scheduled()
        .iter()
        .any(|(n, ..)| n.ends_with("-r4")));

    // A recovery (no incident to acknowledge) neither carries a link nor repeats.
    let mut up = alert(
        "up-1",
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Critical,
        "backup",
    );
    up.ack_incident = None;
    assert_eq!(deliver(&ports, &up).await.unwrap(), DeliverOutcome::Done);
    assert_eq!(f.follow_ups.scheduled().len(), 3);
}
