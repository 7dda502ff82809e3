//! Incidents over HTTP through cargo lambda watch: register, report, mail, list, update.

use lookout_tests::support::{live, sent_mail, EMULATOR_ADMIN_CHAT};
use serde_json::json;

#[tokio::test]
async fn e2e_incident_lifecycle() {
    let l = live().await;
    let admin = format!("Bearer {}", l.admin_token);
    let name = format!("e2e-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (status, app) = l
        .post_raw(
            "/admin/apps",
            &[("authorization", &admin)],
            &json!({"name": name}).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let code = app["code"].as_str().unwrap();
    let title = format!("Checkout broken {name}");
    let incident = json!({"incident": {"title": title, "message": "500s on /pay", "level": "crit", "logs": "trace 1\ntrace 2"}, "app_name": name, "code": code});
    let (status, created) = l.post_raw("/incidents", &[], &incident.to_string()).await;
    assert_eq!(status, 201, "{created}");
    let (status, grouped) = l.post_raw("/incidents", &[], &incident.to_string()).await;
    assert_eq!((status, grouped["count"].clone()), (200, json!(2)));
    let mut wrong = incident.clone();
    wrong["code"] = json!("000000");
    assert_eq!(
        l.post_raw("/incidents", &[], &wrong.to_string()).await.0,
        403
    );
    assert_eq!(l.post_raw("/incidents", &[], "{\"incident\":").await.0, 400);

    let mails: Vec<_> = sent_mail(&l.moto)
        .await
        .into_iter()
        .filter(|m| m.subject.contains(&title))
        .collect();
    assert_eq!(
        mails.len(),
        1,
        "one mail for the new incident, none for the repeat"
    );
    assert_eq!(
        mails[0].subject,
        format!("[Lookout] CRIT in {name}: {title}")
    );
    assert!(mails[0].body.contains("trace 2"));
    // Also announced in the Telegram admin chat: report-incident read the bot token from the
    // messenger secret (Secrets Manager) at its cold start; no token is in its environment.
    let announced: Vec<_> = l
        .emulator_received()
        .await
        .into_iter()
        .filter(|r| r.address == EMULATOR_ADMIN_CHAT && r.text.contains(&title))
        .collect();
    assert_eq!(announced.len(), 1, "{announced:?}");
    assert_eq!(announced[0].messenger, "telegram");
    assert_eq!(announced[0].credential, "emulator-bot-token");

    let (status, page) = l
        .get(
            "/admin/incidents",
            &[("app", &name)],
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["incidents"][0]["id"], created["id"]);
    assert_eq!(l.get("/admin/incidents", &[], &[]).await.0, 401);

    let id = created["id"].as_str().unwrap();
    let patch = reqwest_patch(
        &l.base,
        &admin,
        &json!({"id": id, "status": "acknowledged", "assignee": "sam"}),
    )
    .await;
    assert_eq!(patch.0, 200, "{}", patch.1);
    let (status, detail) = l
        .get(
            "/admin/incident",
            &[("id", id)],
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(detail["status"], "acknowledged");
    assert_eq!(detail["count"], 2);
    assert_eq!(detail["history"].as_array().unwrap().len(), 2);
}

async fn reqwest_patch(
    base: &str,
    admin: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let resp = lookout_tests::support::Live::http()
        .patch(format!("{base}/admin/incident"))
        .header("authorization", admin)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}
