//! End to end over HTTP through `cargo lambda watch`: contacts, a send now and one later, the
//! local event pump (in-process, with an injected clock) firing the schedule and driving the
//! queue into `deliver-messages`, the messenger emulator recording what arrived, and the
//! Viber failures in /api/get_failed_mess.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lookout_dev::emulator::Received;
use lookout_dev::moto;
use lookout_tests::support::{live, messenger_pump, pump_turn, Live};
use serde_json::{json, Value};

async fn call(
    l: &Live,
    method: &str,
    path: &str,
    key: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = Live::http()
        .request(method, format!("{}{path}", l.base))
        .query(query)
        .header("x-api-key", key);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("request to cargo lambda watch");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON reply {status}: {text}"));
    (status, value)
}

/// What the emulator got for `address`: (messenger, accepted, text), in arrival order.
fn calls_to(received: &[Received], address: &str) -> Vec<(String, bool, String)> {
    received
        .iter()
        .filter(|r| r.address == address)
        .map(|r| (r.messenger.clone(), r.accepted, r.text.clone()))
        .collect()
}

#[tokio::test]
async fn e2e_contacts_send_now_and_later_through_the_pump() {
    let l = live().await;
    let _turn = pump_turn().await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let key = l.issue_key(&format!("msg-{}", &run[..8])).await;
    let telegram = format!("@e2e_{}", &run[..8]);
    let digits: String = run
        .bytes()
        .filter(u8::is_ascii_digit)
        .chain(std::iter::repeat(b'7'))
        .take(7)
        .map(char::from)
        .collect();
    let whatsapp = format!("+1555{digits}");
    let viber = format!("e2e{}=", &run[..10]);

    // Contacts, the seed's way (Lera has only Viber, which always fails).
    let (status, body) = call(&l, "POST", "/api/contacts", &key, &[], Some(&json!({
        "user_name": "test",
        "contact": {"name": "Artem", "messangers": {"telegram": telegram, "whatsApp": whatsapp, "viber": ""}},
        "name": "Artem",
    }))).await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let (status, _) = call(
        &l,
        "POST",
        "/api/contacts",
        &key,
        &[],
        Some(&json!({
            "user_name": "test",
            "contacts": [
                {"name": "Lera", "messangers": {"viber": viber}},
                {"name": "Temp", "messangers": {"telegram": "12345"}},
            ],
        })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &l,
        "DELETE",
        "/api/contacts",
        &key,
        &[],
        Some(&json!({"user_name": "test", "contact": "Temp"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"success": true, "not_found": []}))
    );
    let want = json!({"contacts": {
        "Artem": {"telegram": telegram, "whatsApp": whatsapp, "viber": ""},
        "Lera": {"telegram": "", "whatsApp": "", "viber": viber},
    }});
    assert_eq!(
        call(
            &l,
            "GET",
            "/api/contacts",
            &key,
            &[("user_name", "test")],
            None
        )
        .await,
        (200, want.clone())
    );
    assert_eq!(
        call(
            &l,
            "GET",
            "/api/contacts",
            &key,
            &[],
            Some(&json!({"user_name": "test"}))
        )
        .await,
        (200, want),
        "GET with the seed's JSON body"
    );
    assert_eq!(
        call(
            &l,
            "GET",
            "/api/contacts",
            "",
            &[("user_name", "test")],
            None
        )
        .await
        .0,
        401
    );
    let (status, body) = call(
        &l,
        "PUT",
        "/api/contacts",
        &key,
        &[],
        Some(&json!({"user_name": "test", "contact": ["Ghost"], "message": "x"})),
    )
    .await;
    assert_eq!((status, body["error"].clone()), (404, json!("not_found")));

    // Send now (the seed's past time) and an hour from now.
    let (status, now_send) = call(&l, "PUT", "/api/contacts", &key, &[], Some(&json!({
        "user_name": "test", "contact": ["Artem", "Lera"], "message": "Hello there", "time": [2019, 11, 30, 14, 0, 6],
    }))).await;
    assert_eq!(status, 200, "{now_send}");
    assert_eq!(now_send["scheduled"], false);
    let due: DateTime<Utc> = Utc::now() + chrono::Duration::hours(1);
    let (status, later_send) = call(&l, "PUT", "/api/contacts", &key, &[], Some(&json!({
        "user_name": "test", "contacts": ["Artem", "Lera"], "message": "See you later", "time": due.to_rfc3339(),
    }))).await;
    assert_eq!(status, 200, "{later_send}");
    assert_eq!(later_send["scheduled"], true);

    // The pump serves only this stack's consumer and schedule group.
    let group = l.stack.schedule_groups["MessengerScheduleGroup"].clone();
    let sdk = moto::sdk_config(&l.moto).await;
    let mut pump = messenger_pump(&l).await;
    let attempts: usize = l.stack.params["MessengerMaxAttempts"].parse().unwrap();

    // Now: Artem's two messengers get "Hello there"; Viber fails `attempts` times.
    let expect_now = |r: &[Received]| {
        calls_to(r, &telegram).len() == 1
            && calls_to(r, &whatsapp).len() == 1
            && calls_to(r, &viber).len() == attempts
    };
    let mut ticks = 0;
    while !expect_now(&l.emulator_received().await) {
        let report = pump.tick(Utc::now()).await;
        assert_eq!(report.schedules_fired, 0, "the later send is not due yet");
        ticks += 1;
        assert!(ticks < 60, "deliveries did not finish: {report:?}");
    }
    // The failure is recorded as the last attempt is answered: give it a moment.
    let failed = wait_for_failed(&l, &key, 1).await;
    assert_eq!(failed[0]["message"], "Hello there");

    // An hour later (injected): the schedule fires, deletes itself, and the same happens.
    let report = pump.tick(due + chrono::Duration::seconds(1)).await;
    assert_eq!(report.schedules_fired, 1, "{report:?}");
    let left = aws_sdk_scheduler::Client::new(&sdk)
        .list_schedules()
        .group_name(&group)
        .send()
        .await
        .unwrap()
        .schedules;
    assert!(left.is_empty(), "ActionAfterCompletion DELETE: {left:?}");
    let expect_later = |r: &[Received]| {
        calls_to(r, &telegram).len() == 2
            && calls_to(r, &whatsapp).len() == 2
            && calls_to(r, &viber).len() == 2 * attempts
    };
    ticks = 0;
    while !expect_later(&l.emulator_received().await) {
        pump.tick(Utc::now()).await;
        ticks += 1;
        assert!(ticks < 60, "scheduled deliveries did not finish");
    }
    let received = l.emulator_received().await;
    let ok = |m: &str, text: &str| (m.to_owned(), true, text.to_owned());
    assert_eq!(
        calls_to(&received, &telegram),
        [
            ok("telegram", "Hello there"),
            ok("telegram", "See you later")
        ]
    );
    assert_eq!(
        calls_to(&received, &whatsapp),
        [
            ok("whatsapp", "Hello there"),
            ok("whatsapp", "See you later")
        ]
    );
    assert!(calls_to(&received, &viber)
        .iter()
        .all(|(m, accepted, _)| m == "viber" && !accepted));

    // Both Viber deliveries are in the failed list, newest first, in the seed's shape.
    let failed = wait_for_failed(&l, &key, 2).await;
    let messages: Vec<&Value> = failed.iter().map(|f| &f["message"]).collect();
    assert_eq!(messages, [&json!("See you later"), &json!("Hello there")]);
    for f in &failed {
        assert_eq!(f["sender"], "test");
        assert_eq!(f["contact"], "Lera");
        assert_eq!(
            f["url"],
            format!("{}/viber/pa/send_message", l.emulator_url())
        );
        assert_eq!(f["attempts"], attempts);
        assert_eq!(f["time"].as_array().unwrap().len(), 6);
    }
    assert_eq!(failed[1]["time"], json!([2019, 11, 30, 14, 0, 6]));

    // Idle afterwards: nothing left to deliver, nothing sent twice.
    let report = pump.tick(Utc::now()).await;
    assert_eq!(
        report.messages_deleted + report.messages_left,
        0,
        "{report:?}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(expect_later(&l.emulator_received().await));
}

async fn wait_for_failed(l: &Live, key: &str, n: usize) -> Vec<Value> {
    for _ in 0..50 {
        let (status, page) = call(
            l,
            "GET",
            "/api/get_failed_mess",
            key,
            &[("user_name", "test")],
            None,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let data = page["data"].as_array().unwrap().clone();
        if data.len() >= n {
            assert_eq!(data.len(), n, "{page}");
            return data;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{n} failed deliveries never appeared");
}
