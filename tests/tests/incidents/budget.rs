//! Each incident app's alert budget (#30): past it, a new incident is stored and counted as
//! usual but not mailed on its own; the scanner sends one digest of the held ones when the
//! hour is over.

use lookout_heartbeats::{HeartbeatStore, Notify};
use lookout_mail::{AdminMail, Mailer};
use serde_json::json;

use crate::setup;

#[tokio::test]
async fn an_incident_app_past_its_alert_budget_is_held_for_the_hourly_digest() {
    let mut t = setup().await;
    t.report.heartbeats = t.report.heartbeats.take().map(|h| h.with_alert_budget(2));
    let code = t.code_for("Noisy").await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let (status, body) = t
            .report(json!({
                "incident": {"title": format!("boom {i}"), "message": "m", "level": "error"},
                "app_name": "Noisy", "code": code
            }))
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    // Two mailed; the other two stored, and marked as held back.
    assert_eq!(t.mails().await.len(), 2);
    for id in &ids[2..] {
        let (_, detail) = t.get(id).await;
        assert_eq!(detail["notified"], false, "{detail}");
        assert!(
            detail.to_string().contains("alert budget"),
            "the incident says why it was not mailed: {detail}"
        );
    }
    // The scanner, an hour later, sends the digest of the held ones.
    let sdk = t.app.sdk_for("scan-silent-apps").await;
    let store = HeartbeatStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        t.app.stack.table("HeartbeatTable").unwrap(),
    );
    let mail = AdminMail::new(
        Mailer::from_sdk(&sdk, t.app.stack.params["SenderEmail"].clone()),
        t.admin_to.clone(),
    );
    let later = lookout_core::time::Timestamp::now()
        .plus_millis(3_600_000)
        .unwrap();
    let report = store
        .scan(
            Notify {
                mail: &mail,
                events: None,
            },
            later,
        )
        .await;
    assert_eq!((report.digests, report.errors), (1, 0), "{report:?}");
    let mails = t.mails().await;
    assert_eq!(mails.len(), 3);
    let digest = &mails[2];
    assert!(
        digest
            .subject
            .starts_with("[Lookout] incident app Noisy: 2 more alerts"),
        "{}",
        digest.subject
    );
    for i in 2..4 {
        assert!(
            digest.body.contains(&format!("boom {i}")),
            "{}",
            digest.body
        );
    }
}
