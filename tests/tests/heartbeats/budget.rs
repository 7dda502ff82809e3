//! Alert budgets (#30): past its budget per hour, a tenant's alerts are folded into one
//! digest sent when the hour is over; never dropped, and the incidents still open one by one.

use serde_json::{json, Value};

use crate::harness::spawn;
use crate::scanner::drain;

#[tokio::test]
async fn a_tenant_past_its_alert_budget_gets_one_digest_for_the_rest_of_the_hour() {
    let mut hb = spawn().await;
    for store in [
        &mut hb.heartbeat.store,
        &mut hb.signal.store,
        &mut hb.scanner.store,
    ] {
        *store = store.clone().with_alert_budget(3);
    }
    // Six apps fail, one after another, within the hour: three alerts go out, three are held.
    for id in 0..6 {
        hb.signal_at(10, "success", &json!({"app_id": id})).await;
    }
    for id in 0..6 {
        let (status, body) = hb.signal_at(60 + id, "fail", &json!({"app_id": id})).await;
        assert_eq!(
            (status, body["state"].clone()),
            (200, json!("down")),
            "{body}"
        );
    }
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert_eq!(drain(&hb, "MessengerQueue").await.len(), 3);
    // Every transition still reaches the incidents queue: six incidents.
    assert_eq!(drain(&hb, "AppEventsQueue").await.len(), 6);
    for id in 0..6 {
        let item = hb.item("acme", &id.to_string()).await.unwrap();
        assert!(
            !item.contains_key("outbox"),
            "announced or folded: {item:?}"
        );
    }

    // Within the hour the scanner sends nothing; after it, one digest on every channel.
    let report = hb.scan_at(3000).await;
    assert_eq!(report.digests, 0, "{report:?}");
    let report = hb.scan_at(3601).await;
    assert_eq!((report.digests, report.mails_sent), (1, 1), "{report:?}");
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 4);
    let digest = &mails[3];
    assert_eq!(
        digest.subject,
        "[Lookout] tenant acme: 3 more alerts in the hour from 2030-01-01T00:00:00.000Z (over its budget of 3 an hour)"
    );
    for id in 3..6 {
        assert!(
            digest
                .body
                .contains(&format!("[Lookout] DOWN: app {id} (acme): run failed")),
            "{}",
            digest.body
        );
    }
    let alerts = drain(&hb, "MessengerQueue").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert: Value = serde_json::from_str(&alerts[0]).unwrap();
    assert!(alert["alertId"].as_str().unwrap().starts_with("budget-"));
    // Sent once.
    let again = hb.scan_at(3700).await;
    assert_eq!(again.digests, 0, "{again:?}");
    assert_eq!(hb.mails().await.len(), 4);
}
