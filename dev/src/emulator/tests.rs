//! The emulator end to end over HTTP: each service's answers, the recording, injected failures
//! and passes, and the text limits.

use anyhow::Result;
use serde_json::{json, Value};

use super::limits::text_len;
use super::{Emulator, Received};

#[tokio::test]
async fn records_answers_and_injects_failures() -> Result<()> {
    let e = Emulator::start("127.0.0.1:0")?;
    crate::init_tls();
    let http = reqwest::Client::new();
    let tg = format!("{}/telegram/botTOKEN/sendMessage", e.url());
    let r = http
        .post(&tg)
        .json(&json!({"chat_id": 42, "text": "hi"}))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await?;
    assert_eq!(v["ok"], true);
    let r = http
        .post(&tg)
        .json(&json!({"chat_id": "@blocked_user", "text": "hi"}))
        .send()
        .await?;
    assert_eq!(r.status(), 403);
    e.fail_next("telegram", 503, 1);
    let r = http
        .post(&tg)
        .json(&json!({"chat_id": 42, "text": "x"}))
        .send()
        .await?;
    assert_eq!(r.status(), 503);
    let r = http
        .post(format!("{}/viber/pa/send_message", e.url()))
        .header("X-Viber-Auth-Token", "vt")
        .json(&json!({"receiver": "abc=", "type": "text", "text": "hi", "sender": {"name": "L"}}))
        .send()
        .await?;
    let v: Value = r.json().await?;
    assert_eq!(v["status"], 12, "Viber always fails");
    let r = http
        .post(format!("{}/whatsapp/1/messages", e.url()))
        .json(&json!({"messaging_product": "whatsapp", "to": "+1555", "type": "text", "text": {"body": "hi"}}))
        .send()
        .await?;
    assert_eq!(r.status(), 401, "bearer required");

    let got: Vec<Received> = http
        .get(format!("{}/_received", e.url()))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(got, e.received());
    let summary: Vec<(&str, &str, u16, bool)> = got
        .iter()
        .map(|r| {
            (
                r.messenger.as_str(),
                r.address.as_str(),
                r.status,
                r.accepted,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("telegram", "42", 200, true),
            ("telegram", "@blocked_user", 403, false),
            ("telegram", "42", 503, false),
            ("viber", "abc=", 200, false),
            ("whatsapp", "+1555", 401, false),
        ]
    );
    assert_eq!(got[0].credential, "TOKEN");
    assert_eq!(
        http.get(format!("{}/nope", e.url())).send().await?.status(),
        404
    );
    Ok(())
}

#[tokio::test]
async fn texts_over_each_limit_are_refused_as_the_services_refuse_them() -> Result<()> {
    let e = Emulator::start("127.0.0.1:0")?;
    crate::init_tls();
    let http = reqwest::Client::new();
    let tg = format!("{}/telegram/botTOKEN/sendMessage", e.url());
    let wa = format!("{}/whatsapp/1/messages", e.url());
    let vb = format!("{}/viber/pa/send_message", e.url());
    let telegram = |text: String| {
        http.post(&tg)
            .json(&json!({"chat_id": 42, "text": text}))
            .send()
    };
    let whatsapp = |text: String| {
        http.post(&wa)
            .bearer_auth("t")
            .json(&json!({"messaging_product": "whatsapp", "to": "+1555", "type": "text", "text": {"body": text}}))
            .send()
    };
    let viber = |text: String| {
        http.post(&vb)
            .header("X-Viber-Auth-Token", "vt")
            .json(
                &json!({"receiver": "abc=", "type": "text", "text": text, "sender": {"name": "L"}}),
            )
            .send()
    };

    // At the limit: taken (an emoji counts two).
    assert_eq!(telegram("👋".repeat(2048)).await?.status(), 200);
    assert_eq!(whatsapp("x".repeat(4096)).await?.status(), 200);
    let v: Value = viber("x".repeat(7000)).await?.json().await?;
    assert_eq!(v["status"], 12, "only the usual rate limit");

    // One unit over: refused for good.
    let r = telegram(format!("{}x", "👋".repeat(2048))).await?;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await?,
        json!({"ok": false, "error_code": 400, "description": "Bad Request: message is too long"})
    );
    let r = whatsapp("x".repeat(4097)).await?;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await?;
    assert_eq!(v["error"]["code"], 100);
    assert_eq!(
        v["error"]["message"],
        "(#100) Param text['body'] must be at most 4096 characters long."
    );
    let r = viber("x".repeat(7001)).await?;
    assert_eq!(r.status(), 200, "Viber answers failures with 200");
    let v: Value = r.json().await?;
    assert_eq!(
        (v["status"].clone(), v["status_message"].clone()),
        (json!(3), json!("badData"))
    );

    let seen: Vec<(String, u16, bool, usize)> = e
        .received()
        .into_iter()
        .map(|r| (r.messenger, r.status, r.accepted, text_len(&r.text)))
        .collect();
    let want = [
        ("telegram", 200, true, 4096),
        ("whatsapp", 200, true, 4096),
        ("viber", 200, false, 7000),
        ("telegram", 400, false, 4097),
        ("whatsapp", 400, false, 4097),
        ("viber", 200, false, 7001),
    ]
    .map(|(m, status, accepted, len)| (m.to_owned(), status, accepted, len));
    assert_eq!(seen, want, "each recorded, with its whole text");

    // A failure for the second part of a text: the first passes.
    e.pass_next("telegram", 1);
    e.fail_next("telegram", 503, 1);
    assert_eq!(telegram("(1/2) a".into()).await?.status(), 200);
    assert_eq!(telegram("(2/2) b".into()).await?.status(), 503);
    assert_eq!(telegram("c".into()).await?.status(), 200);
    Ok(())
}
