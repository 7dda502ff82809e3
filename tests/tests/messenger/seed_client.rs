//! Seed 003's real client (the interactive `client/client.py` of ArtemZaitsev1994/test404, on
//! aiohttp) and its README's curl calls, replayed byte for byte through `cargo lambda watch`
//! (docs/seed-clients.md). The client's only setting is `HOST`; with Lookout it becomes
//! `http://lookout:<key>@host`, which aiohttp and curl send as `Authorization: Basic`.
//!
//! What the client reads: `data['success']` of POST/PUT/DELETE (and `wrong_contacts` when it is
//! false), `res_data['contacts']` of the GET as `{name: {messenger: address}}`, and
//! `data['data']` of get_failed_mess as a list of `{contact, message, url}`. GET requests carry
//! their JSON body. `time` is the client machine's local wall-clock time as `[Y,M,D,h,m,s]`
//! (or `null` for now): the user's time zone, set once, places it.

use chrono::Utc;
use serde_json::{json, Value};

use lookout_tests::support::{
    aiohttp_bytes, curl_bytes, live, messenger_pump, pump_turn, python_json_str, raw_exchange, Live,
};

async fn client(l: &Live, key: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    let reply = raw_exchange(&l.base, &aiohttp_bytes(method, &l.base, path, key, body)).await;
    (reply.status, reply.json())
}

async fn curl(l: &Live, key: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    let reply = raw_exchange(&l.base, &curl_bytes(method, &l.base, path, key, body)).await;
    (reply.status, reply.json())
}

#[tokio::test]
async fn e2e_the_test404_client_and_readme_calls_work_unchanged() {
    let l = live().await;
    let _turn = pump_turn().await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let key = l.issue_key(&format!("seed3-{}", &run[..8])).await;
    let user = format!("artem{}", &run[..6]);
    let telegram = format!("seed3_{}", &run[..10]);
    let viber = format!("s3{}=", &run[..10]);
    let digits: String = run
        .bytes()
        .filter(u8::is_ascii_digit)
        .chain(std::iter::repeat(b'5'))
        .take(8)
        .map(char::from)
        .collect();
    let whatsapp = format!("+7920{digits}");

    // Once, outside the client: the user's zone (the client's clock is in Moscow).
    let (status, reply) = curl(
        &l,
        &key,
        "POST",
        "/api/contacts",
        &format!(r#"{{"user_name": "{user}", "time_zone": "Europe/Moscow"}}"#),
    )
    .await;
    assert_eq!(
        (status, reply),
        (200, json!({"success": true, "time_zone": "Europe/Moscow"}))
    );

    // add_user (menu 1): `messengers`, empty strings for skipped messengers.
    let add = format!(
        r#"{{"user_name": "{user}", "contact": {{"name": "Artem", "messengers": {{"telegram": "{telegram}", "whatsApp": "{whatsapp}", "viber": ""}}}}}}"#
    );
    let (status, reply) = client(&l, &key, "post", "/api/contacts", &add).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["success"], true);
    // The README's curl: `messangers` and a repeated top-level `name`; Cyrillic as json.dumps
    // would not escape it (curl sends the bytes as typed).
    let (status, reply) = curl(
        &l,
        &key,
        "POST",
        "/api/contacts",
        &format!(
            r#"{{"user_name": "{user}", "contact": {{"name": "Лера", "messangers": {{"telegram": "", "whatsApp": "", "viber": "{viber}"}}}}, "name": "Лера"}}"#
        ),
    )
    .await;
    assert_eq!((status, &reply["success"]), (200, &json!(true)), "{reply}");

    // get_contacts: GET with a JSON body; every messenger present, "" when unset.
    let get = format!(r#"{{"user_name": "{user}"}}"#);
    let (status, reply) = client(&l, &key, "get", "/api/contacts", &get).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["contacts"],
        json!({
            "Artem": {"telegram": telegram, "whatsApp": whatsapp, "viber": ""},
            "Лера": {"telegram": "", "whatsApp": "", "viber": viber},
        })
    );

    // send_mess (menu 2) for now (`time` null): json.dumps escapes the Cyrillic text.
    let send_now = format!(
        r#"{{"user_name": "{user}", "contacts": ["Artem", {}], "message": {}, "time": null}}"#,
        python_json_str("Лера"),
        python_json_str("Привет")
    );
    let (status, reply) = client(&l, &key, "put", "/api/contacts", &send_now).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (&reply["success"], &reply["wrong_contacts"]),
        (&json!(true), &json!([]))
    );
    assert_eq!(reply["scheduled"], false);

    // send_mess with a delay: the client sends its local wall clock (Moscow) plus one hour.
    let due = Utc::now() + chrono::Duration::hours(1);
    let moscow = due + chrono::Duration::hours(3);
    let wall = moscow.format("[%Y, %-m, %-d, %-H, %-M, %-S]").to_string();
    let send_later = format!(
        r#"{{"user_name": "{user}", "contacts": ["Artem"], "message": "later", "time": {wall}}}"#
    );
    let (status, reply) = client(&l, &key, "put", "/api/contacts", &send_later).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (&reply["success"], &reply["scheduled"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(
        reply["scheduledAt"],
        due.format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
        "09:00 in Moscow is 06:00 UTC, not 09:00"
    );
    assert_eq!(reply["timeZone"], "Europe/Moscow");
    let later_id = reply["sendId"].as_str().unwrap().to_owned();

    // The README's send: `contact` as a list, a past time, one name that is no contact: sent to
    // the others, success false and the unknown one in wrong_contacts (the client prints them).
    let (status, reply) = curl(
        &l,
        &key,
        "PUT",
        "/api/contacts",
        &format!(
            r#"{{"user_name": "{user}", "contact": ["Artem", "Vasya"], "message": "Hello there", "time": [2019, 11, 30, 14, 0, 6]}}"#
        ),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["success"], false);
    assert_eq!(
        reply["wrong_contacts"],
        json!([{"name": "Vasya", "error": "no contact in base"}])
    );
    assert_eq!(reply["deliveries"], 2);

    // The deliveries happen (the pump drives the queue); Viber always fails in the emulator.
    let mut pump = messenger_pump(&l).await;
    let attempts: usize = l.stack.params["MessengerMaxAttempts"].parse().unwrap();
    let done = |r: &[lookout_dev::emulator::Received]| {
        let to = |a: &str| r.iter().filter(|x| x.address == a).count();
        to(&telegram) == 2 && to(&whatsapp) == 2 && to(&viber) == attempts
    };
    let mut failed = Vec::new();
    for _ in 0..80 {
        pump.tick(Utc::now()).await;
        // get_failed_mess (menu 4): GET with a JSON body; reads data[*].url/contact/message.
        let (status, reply) = client(&l, &key, "get", "/api/get_failed_mess", &get).await;
        assert_eq!(status, 200, "{reply}");
        failed = reply["data"].as_array().unwrap().clone();
        if !failed.is_empty() && done(&l.emulator_received().await) {
            break;
        }
    }
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["contact"], "Лера");
    assert_eq!(failed[0]["message"], "Привет");
    assert_eq!(failed[0]["sender"], user.as_str());
    assert_eq!(failed[0]["messenger"], "viber");
    assert!(
        failed[0]["url"].as_str().unwrap().contains("/viber/"),
        "{failed:?}"
    );
    let received = l.emulator_received().await;
    let texts = |address: &str| -> Vec<String> {
        received
            .iter()
            .filter(|r| r.address == address && r.accepted)
            .map(|r| r.text.clone())
            .collect()
    };
    for address in [&telegram, &whatsapp] {
        let mut to_artem = texts(address);
        to_artem.sort();
        assert_eq!(to_artem, ["Hello there", "Привет"], "{address}");
    }
    assert_eq!(
        received.iter().filter(|r| r.address == viber).count(),
        attempts
    );

    // rm_user (menu 3), then the README's DELETE of a contact that is gone: success both times.
    let (status, reply) = client(
        &l,
        &key,
        "delete",
        "/api/contacts",
        &format!(r#"{{"user_name": "{user}", "contact": "Artem"}}"#),
    )
    .await;
    assert_eq!((status, &reply["success"]), (200, &json!(true)), "{reply}");
    let (status, reply) = curl(
        &l,
        &key,
        "DELETE",
        "/api/contacts",
        &format!(r#"{{"user_name": "{user}", "contact": "Artem"}}"#),
    )
    .await;
    assert_eq!((status, &reply["success"]), (200, &json!(true)), "{reply}");
    let (_, reply) = client(&l, &key, "get", "/api/contacts", &get).await;
    assert_eq!(
        reply["contacts"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["Лера"]
    );

    // The later send's schedule is this test's only leftover: remove it, so another test's
    // pump in this stack finds the schedule group as it left it.
    let group = &l.stack.schedule_groups["MessengerScheduleGroup"];
    let id = lookout_messenger::SendId::parse(&later_id).unwrap();
    aws_sdk_scheduler::Client::new(&lookout_dev::moto::sdk_config(&l.moto).await)
        .delete_schedule()
        .group_name(group)
        .name(lookout_messenger::schedule_name(&id))
        .send()
        .await
        .unwrap();
}
