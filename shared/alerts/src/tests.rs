//! Unit tests on the in-memory store and a scripted sender.

mod dependencies;
mod followup;
mod quiet;
mod windows;

use std::time::Duration;

use lookout_core::auth::Tenant;
use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};
use lookout_core::time::{ManualClock, Timestamp};
use lookout_webhooks::{Outcome, Policy};

use crate::channel::{ChannelId, NewChannel};
use crate::deliver::{deliver, DeliverOutcome, DeliverPorts, MAX_ATTEMPTS};
use crate::delivery::StepStatus;
use crate::manage::{create_channel, delete_channel, failures, put_routes, ChannelSetup};
use crate::routes::{Routes, Rule};
use crate::seal::Sealer;
use crate::sender::ScriptedSender;
use crate::store::{AlertStore, MemoryAlerts};
use crate::AlertError;

pub(super) const LOOPBACK: Policy = Policy {
    allow_http_loopback: true,
};

pub(super) fn t0() -> Timestamp {
    Timestamp::parse_str("2026-12-07T10:00:00Z").unwrap()
}

pub(super) fn alert(
    id: &str,
    kind: TenantAlertKind,
    level: TenantAlertLevel,
    app: &str,
) -> TenantAlert {
    TenantAlert {
        tenant: "acme".into(),
        alert_id: id.into(),
        kind,
        level,
        title: format!("{app} is down"),
        text: "silent".into(),
        app: Some(app.into()),
        tags: vec!["db".into()],
        url: None,
        at: t0(),
        ack_incident: None,
        round: None,
        release: None,
    }
}

pub(super) fn sealer() -> Sealer {
    Sealer::from_secret("0123456789abcdef0123456789abcdef-test")
}

pub(super) async fn channel(store: &MemoryAlerts, kind: &str, url: &str) -> ChannelId {
    let tenant = Tenant::parse("acme").unwrap();
    let new = NewChannel::parse(kind, kind, url, LOOPBACK).unwrap();
    let sender = ScriptedSender::default();
    let setup = ChannelSetup {
        sender: &sender,
        origin: None,
        public_base: "https://lookout.example",
    };
    let made = create_channel(store, &sealer(), &tenant, &new, setup, t0())
        .await
        .unwrap();
    ChannelId::parse(&made.channel.id).unwrap()
}

#[test]
fn sealed_values_open_only_in_their_context() {
    let s = sealer();
    let sealed = s
        .seal(b"https://hooks.slack.com/services/T/B/x", "acme\nch_1")
        .unwrap();
    assert!(sealed.starts_with("v1."));
    assert!(!sealed.contains("hooks.slack.com"));
    assert_eq!(
        s.open(&sealed, "acme\nch_1").unwrap(),
        b"https://hooks.slack.com/services/T/B/x"
    );
    assert!(matches!(
        s.open(&sealed, "other\nch_1"),
        Err(AlertError::Sealed)
    ));
    assert!(Sealer::from_secret("another secret of thirty-two chars!")
        .open(&sealed, "acme\nch_1")
        .is_err());
    let mut tampered = sealed.clone();
    tampered.pop();
    tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
    assert!(s.open(&tampered, "acme\nch_1").is_err());
    // Two seals of one value differ (fresh nonce).
    assert_ne!(
        sealed,
        s.seal(b"https://hooks.slack.com/services/T/B/x", "acme\nch_1")
            .unwrap()
    );
}

#[test]
fn channel_urls_pass_the_ssrf_guard_and_name_their_service() {
    let prod = Policy::default();
    for bad in [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/",
        "https://10.0.0.1/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://0x7f.1/hook",
        "http://example.com/hook",
        "https://user:pw@example.com/hook",
    ] {
        let err = NewChannel::parse("webhook", "w", bad, prod).unwrap_err();
        assert!(err.to_string().starts_with("url refused"), "{bad}: {err}");
    }
    assert!(NewChannel::parse("webhook", "w", "https://example.com/hook", prod).is_ok());
    assert!(NewChannel::parse(
        "slack",
        "s",
        "https://hooks.slack.com/services/T0/B0/x",
        prod
    )
    .is_ok());
    assert!(NewChannel::parse("slack", "s", "https://example.com/services/T0/B0/x", prod).is_err());
    assert!(
        NewChannel::parse("discord", "d", "https://discord.com/api/webhooks/1/t", prod).is_ok()
    );
    assert!(NewChannel::parse("discord", "d", "https://discord.com/other", prod).is_err());
    // The emulator's loopback address only under the local policy.
    assert!(NewChannel::parse(
        "slack",
        "s",
        "http://127.0.0.1:8081/slack/services/T/B/x",
        prod
    )
    .is_err());
    assert!(NewChannel::parse(
        "slack",
        "s",
        "http://127.0.0.1:8081/slack/services/T/B/x",
        LOOPBACK
    )
    .is_ok());
    assert!(NewChannel::parse("telegram", "t", "https://example.com/", prod).is_err());
    assert!(NewChannel::parse(
        "telegram",
        "t",
        "https://api.telegram.org/bot1:AA/sendMessage?chat_id=-100123",
        prod
    )
    .is_ok());
    for bad in [
        "https://api.telegram.org/bot1:AA/sendMessage",
        "https://api.telegram.org/bot1:AA/getUpdates?chat_id=1",
        "https://example.com/bot1:AA/sendMessage?chat_id=1",
    ] {
        assert!(
            NewChannel::parse("telegram", "t", bad, prod).is_err(),
            "{bad}"
        );
    }
    assert!(NewChannel::parse("viber", "v", "https://example.com/", prod).is_err());
    assert!(NewChannel::parse("webhook", " ", "https://example.com/", prod).is_err());
}

#[tokio::test]
async fn a_telegram_channel_first_tells_its_bot_where_button_presses_go() {
    let store = MemoryAlerts::default();
    let tenant = Tenant::parse("acme").unwrap();
    let url = "https://api.telegram.org/bot1:AA/sendMessage?chat_id=-100123";
    let new = NewChannel::parse("telegram", "ops chat", url, Policy::default()).unwrap();
    let sender = ScriptedSender::default();
    let setup = ChannelSetup {
        sender: &sender,
        origin: Some("https://abc.execute-api.eu-west-1.amazonaws.com"),
        public_base: "https://ops.example.com",
    };
    let made = create_channel(&store, &sealer(), &tenant, &new, setup, t0())
        .await
        .unwrap();
    assert_eq!(made.channel.kind, "telegram");
    assert!(
        !made.channel.url.contains("1:AA"),
        "the bot token is masked"
    );
    let sent = sender.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, "https://api.telegram.org/bot1:AA/setWebhook");
    let body: serde_json::Value = serde_json::from_str(&sent[0].2).unwrap();
    assert_eq!(body["url"], "https://ops.example.com/ack/telegram/acme");
    assert_eq!(body["secret_token"], sealer().telegram_secret("acme"));
    assert_eq!(
        body["allowed_updates"],
        serde_json::json!(["callback_query"])
    );
}

#[test]
fn the_first_matching_rule_names_the_chain_else_the_default() {
    let [a, b, c] = [
        "ch_000000000000000a",
        "ch_000000000000000b",
        "ch_000000000000000c",
    ]
    .map(|s| ChannelId::parse(s).unwrap());
    let routes = Routes {
        default: vec![c.clone()],
        rules: vec![
            Rule {
                kind: Some(TenantAlertKind::Heartbeat),
                min_level: Some(TenantAlertLevel::Error),
                app: None,
                tag: None,
                channels: vec![a.clone(), b.clone()],
                ..Rule::default()
            },
            Rule {
                kind: None,
                min_level: None,
                app: None,
                tag: Some("db".into()),
                channels: vec![b.clone()],
                ..Rule::default()
            },
        ],
        ..Routes::default()
    };
    routes.validate().unwrap();
    let hb = |l| alert("x", TenantAlertKind::Heartbeat, l, "backup");
    assert_eq!(
        routes.chain_for(&hb(TenantAlertLevel::Critical)),
        [a.clone(), b.clone()]
    );
    assert_eq!(
        routes.chain_for(&hb(TenantAlertLevel::Error)),
        [a.clone(), b.clone()]
    );
    // Info misses the first rule; the tag rule takes it.
    assert_eq!(
        routes.chain_for(&hb(TenantAlertLevel::Info)),
        std::slice::from_ref(&b)
    );
    let mut untagged = alert(
        "y",
        TenantAlertKind::Incident,
        TenantAlertLevel::Error,
        "web",
    );
    untagged.tags.clear();
    assert_eq!(routes.chain_for(&untagged), std::slice::from_ref(&c));

    let twice = Routes {
        default: vec![a.clone(), a.clone()],
        rules: vec![],
        ..Routes::default()
    };
    assert!(twice.validate().unwrap_err().to_string().contains("twice"));
    let empty_rule = Routes {
        default: vec![],
        rules: vec![Rule {
            kind: None,
            min_level: None,
            app: None,
            tag: None,
            channels: vec![],
            ..Rule::default()
        }],
        ..Routes::default()
    };
    assert!(empty_rule.validate().is_err());
}

/// What a delivery test drives besides the store: a scripted sender, the sealer, a manual
/// clock, in-memory follow-ups and incident states.
pub(super) struct Fakes {
    pub sender: ScriptedSender,
    pub sealer: Sealer,
    pub clock: ManualClock,
    pub follow_ups: crate::followup::MemoryFollowUps,
    pub incidents: crate::followup::MemoryIncidents,
}

impl Fakes {
    /// The fakes, the clock at `now`.
    pub fn at(now: Timestamp) -> Self {
        Self {
            sender: ScriptedSender::default(),
            sealer: sealer(),
            clock: ManualClock::new(now),
            follow_ups: crate::followup::MemoryFollowUps::default(),
            incidents: crate::followup::MemoryIncidents::default(),
        }
    }

    /// The delivery's ports over `store` and these fakes (follow-ups and incidents included).
    pub fn ports<'a>(
        &'a self,
        store: &'a MemoryAlerts,
        ack_base: Option<&'a str>,
    ) -> DeliverPorts<'a> {
        DeliverPorts {
            store,
            sender: &self.sender,
            sealer: &self.sealer,
            clock: &self.clock,
            follow_ups: Some(&self.follow_ups),
            incidents: Some(&self.incidents),
            ack_base,
        }
    }
}

fn ports<'a>(
    store: &'a MemoryAlerts,
    sender: &'a ScriptedSender,
    sealer: &'a Sealer,
    clock: &'a ManualClock,
) -> DeliverPorts<'a> {
    DeliverPorts {
        store,
        sender,
        sealer,
        clock,
        follow_ups: None,
        incidents: None,
        ack_base: None,
    }
}

#[tokio::test]
async fn delivered_on_the_first_channel_once_and_a_repeat_sends_nothing() {
    let store = MemoryAlerts::default();
    let slack = channel(&store, "slack", "http://127.0.0.1:9/slack/services/T/B/x").await;
    let tenant = Tenant::parse("acme").unwrap();
    put_routes(
        &store,
        &tenant,
        &Routes {
            default: vec![slack],
            rules: vec![],
            ..Routes::default()
        },
        t0(),
    )
    .await
    .unwrap();
    let sender = ScriptedSender::default();
    let (s, clock) = (sealer(), ManualClock::new(t0()));
    let a = alert(
        "inc-1",
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Error,
        "backup",
    );
    let p = ports(&store, &sender, &s, &clock);
    assert_eq!(deliver(&p, &a).await.unwrap(), DeliverOutcome::Done);
    assert_eq!(deliver(&p, &a).await.unwrap(), DeliverOutcome::Done);
    let sent = sender.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].1, "http://127.0.0.1:9/slack/services/T/B/x");
    assert_eq!(store.steps()[0].status, StepStatus::Sent);
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_a_dead_webhook_falls_back_to_the_next_channel() {
    let store = MemoryAlerts::default();
    let discord = channel(
        &store,
        "discord",
        "http://127.0.0.1:9/discord/api/webhooks/1/t",
    )
    .await;
    let hook = channel(&store, "webhook", "http://127.0.0.1:9/webhook/ops").await;
    let tenant = Tenant::parse("acme").unwrap();
    let routes = Routes {
        default: vec![discord.clone(), hook.clone()],
        rules: vec![],
        ..Routes::default()
    };
    put_routes(&store, &tenant, &routes, t0()).await.unwrap();
    let sender = ScriptedSender::new([
        Outcome::Retry {
            after: Some(Duration::from_secs(2)),
        },
        Outcome::Permanent {
            status: Some(404),
            reason: "Unknown Webhook".into(),
        },
    ]);
    let (s, clock) = (sealer(), ManualClock::new(t0()));
    let a = alert(
        "inc-2",
        TenantAlertKind::Incident,
        TenantAlertLevel::Critical,
        "web",
    );
    let p = ports(&store, &sender, &s, &clock);
    assert_eq!(
        deliver(&p, &a).await.unwrap(),
        DeliverOutcome::RetryAfter(Duration::from_secs(2))
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(deliver(&p, &a).await.unwrap(), DeliverOutcome::Done);
    let sent: Vec<_> = sender
        .sent()
        .into_iter()
        .map(|(k, _, id)| (k.as_str(), id))
        .collect();
    assert_eq!(
        sent,
        [
            ("discord", "inc-2".into()),
            ("discord", "inc-2".into()),
            ("webhook", "inc-2".into())
        ]
    );
    let steps = store.steps();
    assert_eq!(
        steps
            .iter()
            .map(|s| (s.status, s.attempts))
            .collect::<Vec<_>>(),
        [(StepStatus::Failed, 2), (StepStatus::Sent, 1)]
    );
    let failed = failures(&store, &tenant, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].channel, "discord (discord)");
    assert_eq!(failed[0].error, "HTTP 404: Unknown Webhook");
    assert_eq!(failed[0].fell_back_to.as_deref(), Some(hook.as_str()));
}

#[tokio::test]
async fn attempts_used_up_a_deleted_channel_and_an_interrupted_send_each_fall_back() {
    let store = MemoryAlerts::default();
    let tenant = Tenant::parse("acme").unwrap();
    let first = channel(&store, "webhook", "http://127.0.0.1:9/webhook/a").await;
    let second = channel(&store, "webhook", "http://127.0.0.1:9/webhook/b").await;
    let third = channel(&store, "webhook", "http://127.0.0.1:9/webhook/c").await;
    let routes = Routes {
        default: vec![first.clone(), second.clone(), third.clone()],
        rules: vec![],
        ..Routes::default()
    };
    put_routes(&store, &tenant, &routes, t0()).await.unwrap();
    // The second is deleted behind the routes' back (as if between two runs).
    assert!(store.delete_channel("acme", &second).await.unwrap());
    let busy = Outcome::Retry { after: None };
    let sender = ScriptedSender::new(vec![busy; MAX_ATTEMPTS as usize]);
    let (s, clock) = (sealer(), ManualClock::new(t0()));
    let a = alert(
        "inc-3",
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Error,
        "backup",
    );
    let p = ports(&store, &sender, &s, &clock);
    let mut runs = 0;
    while let DeliverOutcome::RetryAfter(d) = deliver(&p, &a).await.unwrap() {
        clock.advance(d);
        runs += 1;
        assert!(runs < 10);
    }
    assert_eq!(runs, MAX_ATTEMPTS as usize - 1);
    let urls: Vec<_> = sender.sent().into_iter().map(|(_, u, _)| u).collect();
    assert_eq!(urls.len(), MAX_ATTEMPTS as usize + 1);
    assert_eq!(urls.last().unwrap(), "http://127.0.0.1:9/webhook/c");
    let failed = failures(&store, &tenant, 10).await.unwrap();
    let errors: Vec<_> = failed.iter().rev().map(|f| f.error.as_str()).collect();
    assert_eq!(
        errors,
        [
            "still rate limited or unavailable after 5 attempts",
            "the channel was deleted"
        ]
    );
    assert_eq!(failed[0].channel, "deleted");

    // A claim whose consumer died: failed without a resend, the next channel takes it.
    let b = alert(
        "inc-4",
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Error,
        "backup",
    );
    let only_first = Routes {
        default: vec![first.clone(), third.clone()],
        rules: vec![],
        ..Routes::default()
    };
    put_routes(&store, &tenant, &only_first, t0())
        .await
        .unwrap();
    let mut step = crate::delivery::StepRecord::new("acme", "inc-4", 0, first.clone(), clock.now());
    store.create_step(&step).await.unwrap();
    step.status = StepStatus::Sending;
    step.lease_until = clock.now().plus_millis(60_000);
    assert!(store
        .replace_step(&step, StepStatus::Pending, 0)
        .await
        .unwrap());
    let before = sender.sent().len();
    assert!(matches!(
        deliver(&p, &b).await.unwrap(),
        DeliverOutcome::RetryAfter(_)
    ));
    assert_eq!(sender.sent().len(), before, "a held claim is waited for");
    clock.advance(Duration::from_secs(61));
    assert_eq!(deliver(&p, &b).await.unwrap(), DeliverOutcome::Done);
    let sent = sender.sent();
    assert_eq!(sent.len(), before + 1);
    assert_eq!(sent.last().unwrap().1, "http://127.0.0.1:9/webhook/c");
}

#[tokio::test]
async fn channels_in_use_cannot_be_deleted_and_routes_name_only_known_channels() {
    let store = MemoryAlerts::default();
    let tenant = Tenant::parse("acme").unwrap();
    let a = channel(&store, "webhook", "http://127.0.0.1:9/webhook/a").await;
    let stranger = ChannelId::parse("ch_00000000000000ff").unwrap();
    let bad = Routes {
        default: vec![a.clone(), stranger.clone()],
        rules: vec![],
        ..Routes::default()
    };
    assert!(matches!(
        put_routes(&store, &tenant, &bad, t0()).await,
        Err(AlertError::UnknownChannel(id)) if id == stranger.as_str()
    ));
    assert_eq!(store.routes("acme").await.unwrap(), Routes::default());
    put_routes(
        &store,
        &tenant,
        &Routes {
            default: vec![a.clone()],
            rules: vec![],
            ..Routes::default()
        },
        t0(),
    )
    .await
    .unwrap();
    assert!(matches!(
        delete_channel(&store, &tenant, &a).await,
        Err(AlertError::InUse(_))
    ));
    put_routes(&store, &tenant, &Routes::default(), t0())
        .await
        .unwrap();
    delete_channel(&store, &tenant, &a).await.unwrap();
    assert!(matches!(
        delete_channel(&store, &tenant, &a).await,
        Err(AlertError::UnknownChannel(_))
    ));
    // Another tenant's channel is unknown here.
    let other = Tenant::parse("other").unwrap();
    let b = channel(&store, "webhook", "http://127.0.0.1:9/webhook/b").await;
    assert!(delete_channel(&store, &other, &b).await.is_err());
}
