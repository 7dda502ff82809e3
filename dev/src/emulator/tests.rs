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

#[tokio::test]
async fn slack_webhooks_answer_as_slack_does() -> Result<()> {
    let e = Emulator::start("127.0.0.1:0")?;
    crate::init_tls();
    let http = reqwest::Client::new();
    let url = format!("{}/slack/services/T01/B02/s3cret", e.url());
    let post = |url: String, body: Value| http.post(url).json(&body).send();

    let r = post(url.clone(), json!({"text": "hi", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Hi"}}]})).await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await?, "ok");
    let r = post(url.clone(), json!({"blocks": []})).await?;
    assert_eq!(
        (r.status().as_u16(), r.text().await?),
        (400, "invalid_payload".into())
    );
    let r = http.post(&url).body("not json").send().await?;
    assert_eq!(
        (r.status().as_u16(), r.text().await?),
        (400, "invalid_payload".into())
    );
    let r = post(url.clone(), json!({"text": "x".repeat(40_001)})).await?;
    assert_eq!(
        (r.status().as_u16(), r.text().await?),
        (400, "msg_too_long".into())
    );
    let r = post(url.clone(), json!({"text": "x".repeat(40_000)})).await?;
    assert_eq!(r.status(), 200, "at the limit");
    let r = post(url.clone(), json!({"text": "t", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}}]})).await?;
    assert_eq!(
        (r.status().as_u16(), r.text().await?),
        (400, "invalid_blocks".into())
    );
    let many: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
    let r = post(url.clone(), json!({"text": "t", "blocks": many})).await?;
    assert_eq!(
        (r.status().as_u16(), r.text().await?),
        (400, "invalid_blocks".into())
    );
    let gone = format!("{}/slack/services/T01/B02/deleted-hook", e.url());
    let r = post(gone, json!({"text": "hi"})).await?;
    assert_eq!(
        (r.status().as_u16(), r.text().await?),
        (404, "no_service".into())
    );
    let r = http
        .post(format!("{}/_fail", e.url()))
        .json(&json!({"messenger": "slack", "status": 429}))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let r = post(url.clone(), json!({"text": "hi"})).await?;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(r.text().await?, "rate_limited");

    let got = e.received();
    assert_eq!(got.len(), 9);
    assert!(got
        .iter()
        .all(|r| r.messenger == "slack" && r.headers.is_none()));
    assert_eq!(got[0].address, "T01/B02");
    assert_eq!(got[0].credential, "s3cret");
    assert_eq!(got[0].text, "hi");
    assert_eq!(got[0].body["blocks"][0]["text"]["text"], "Hi");
    let statuses: Vec<(u16, bool)> = got.iter().map(|r| (r.status, r.accepted)).collect();
    assert_eq!(
        statuses,
        [
            (200, true),
            (400, false),
            (400, false),
            (400, false),
            (200, true),
            (400, false),
            (400, false),
            (404, false),
            (429, false)
        ]
    );
    // The other services' records keep their JSON shape: no `headers` key.
    let listed: Value = http
        .get(format!("{}/_received", e.url()))
        .send()
        .await?
        .json()
        .await?;
    assert!(listed[0].get("headers").is_none());
    Ok(())
}

#[tokio::test]
async fn discord_webhooks_answer_as_discord_does() -> Result<()> {
    let e = Emulator::start("127.0.0.1:0")?;
    crate::init_tls();
    let http = reqwest::Client::new();
    let url = format!("{}/discord/api/webhooks/123/tok", e.url());
    let post = |url: String, body: Value| http.post(url).json(&body).send();
    let embed = |title: String| json!({"title": title, "description": "d", "fields": [{"name": "n", "value": "v"}]});

    let r = post(
        url.clone(),
        json!({"content": "hi", "embeds": [embed("t".into())]}),
    )
    .await?;
    assert_eq!(r.status(), 204);
    assert_eq!(r.text().await?, "");
    let r = post(format!("{url}?wait=true"), json!({"content": "hi"})).await?;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await?;
    assert_eq!(
        (v["content"].clone(), v["webhook_id"].clone()),
        (json!("hi"), json!("123"))
    );

    let invalid = |v: &Value| (v["code"].clone(), v["message"].clone());
    let form = (json!(50035), json!("Invalid Form Body"));
    let r = post(url.clone(), json!({"content": "x".repeat(2001)})).await?;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await?;
    assert_eq!(invalid(&v), form);
    assert_eq!(
        v["errors"]["content"]["_errors"][0]["code"],
        "BASE_TYPE_MAX_LENGTH"
    );
    let r = post(url.clone(), json!({"content": "x".repeat(2000)})).await?;
    assert_eq!(r.status(), 204, "at the limit");
    let eleven: Vec<Value> = (0..11).map(|i| embed(format!("e{i}"))).collect();
    let r = post(url.clone(), json!({"embeds": eleven})).await?;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await?;
    assert_eq!(invalid(&v), form);
    assert!(v["errors"]["embeds"]["_errors"].is_array());
    let r = post(url.clone(), json!({"embeds": [embed("t".repeat(257))]})).await?;
    let v: Value = r.json().await?;
    assert_eq!(invalid(&v), form);
    assert!(v["errors"]["embeds"]["0"]["title"]["_errors"].is_array());
    let big = json!({"title": "t", "description": "d".repeat(4096), "fields": (0..3).map(|i| json!({"name": format!("n{i}"), "value": "v".repeat(1024)})).collect::<Vec<_>>()});
    let r = post(url.clone(), json!({"embeds": [big]})).await?;
    assert_eq!(r.status(), 400, "over 6,000 in all");
    let v: Value = r.json().await?;
    assert_eq!(
        v["errors"]["embeds"]["_errors"][0]["code"],
        "MAX_EMBED_SIZE_EXCEEDED"
    );
    let r = post(url.clone(), json!({"content": ""})).await?;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await?["code"], 50006);
    let r = post(
        format!("{}/discord/api/webhooks/123/deleted", e.url()),
        json!({"content": "hi"}),
    )
    .await?;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await?,
        json!({"message": "Unknown Webhook", "code": 10015})
    );
    e.fail_next("discord", 429, 1);
    let r = post(url.clone(), json!({"content": "hi"})).await?;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(
        r.json::<Value>().await?,
        json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": false})
    );

    let got = e.received();
    assert!(got.iter().all(|r| r.messenger == "discord"));
    assert_eq!(
        (
            got[0].address.as_str(),
            got[0].credential.as_str(),
            got[0].text.as_str()
        ),
        ("123", "tok", "hi")
    );
    assert_eq!(got[0].body["embeds"][0]["title"], "t");
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [204, 200, 400, 204, 400, 400, 400, 400, 404, 429]);
    Ok(())
}

#[tokio::test]
async fn the_generic_webhook_records_the_signature_headers() -> Result<()> {
    let e = Emulator::start("127.0.0.1:0")?;
    crate::init_tls();
    let http = reqwest::Client::new();
    let body = json!({"version": 1, "id": "evt_1", "text": "hello"});
    let r = http
        .post(format!("{}/webhook/ops", e.url()))
        .header("Lookout-Signature", "t=1,v1=ab")
        .header("Lookout-Event-Id", "evt_1")
        .header("X-Other", "not kept")
        .json(&body)
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await?, json!({"ok": true}));
    let r = http
        .post(format!("{}/webhook/ops", e.url()))
        .body("nope")
        .send()
        .await?;
    assert_eq!(r.status(), 400);
    let r = http
        .post(format!("{}/webhook/deleted", e.url()))
        .json(&body)
        .send()
        .await?;
    assert_eq!(r.status(), 410);
    e.fail_next("webhook", 429, 1);
    let r = http
        .post(format!("{}/webhook/ops", e.url()))
        .json(&body)
        .send()
        .await?;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(
        http.get(format!("{}/webhook/ops", e.url()))
            .send()
            .await?
            .status(),
        405
    );

    let got: Vec<Received> = http
        .get(format!("{}/_received", e.url()))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(got, e.received(), "headers survive the JSON listing");
    let first = &got[0];
    assert_eq!(
        (
            first.messenger.as_str(),
            first.address.as_str(),
            first.text.as_str()
        ),
        ("webhook", "ops", "hello")
    );
    assert_eq!(first.body, body);
    let headers = first.headers.clone().unwrap_or_default();
    assert_eq!(
        headers.into_iter().collect::<Vec<_>>(),
        [
            ("content-type".to_owned(), "application/json".to_owned()),
            ("lookout-event-id".to_owned(), "evt_1".to_owned()),
            ("lookout-signature".to_owned(), "t=1,v1=ab".to_owned()),
        ]
    );
    let statuses: Vec<(u16, bool)> = got.iter().map(|r| (r.status, r.accepted)).collect();
    assert_eq!(
        statuses,
        [(200, true), (400, false), (410, false), (429, false)]
    );
    Ok(())
}

#[tokio::test]
async fn telegram_set_webhook_is_recorded_and_checked_like_telegram() -> Result<()> {
    let e = Emulator::start("127.0.0.1:0")?;
    crate::init_tls();
    let http = reqwest::Client::new();
    let set = |token: &str, url: &str| {
        http.post(format!("{}/telegram/bot{token}/setWebhook", e.url()))
            .json(&json!({"url": url, "secret_token": "s3cret", "allowed_updates": ["callback_query"]}))
            .send()
    };
    let r = set("1:AA", "https://lookout.example/ack/telegram/acme").await?;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await?;
    assert_eq!(
        v,
        json!({"ok": true, "result": true, "description": "Webhook was set"})
    );
    assert_eq!(set("1:revoked", "https://x.example/").await?.status(), 401);
    let r = set("1:AA", "http://lookout.example/hook").await?;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await?;
    assert!(v["description"]
        .as_str()
        .unwrap_or_default()
        .contains("HTTPS"));
    assert_eq!(
        set("1:AA", "http://127.0.0.1:9000/ack/telegram/acme")
            .await?
            .status(),
        200
    );
    let got = e.received();
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|r| r.messenger == "telegram_webhook"));
    assert_eq!(got[0].address, "https://lookout.example/ack/telegram/acme");
    assert_eq!(got[0].credential, "1:AA");
    assert_eq!(got[0].body["secret_token"], "s3cret");
    Ok(())
}
