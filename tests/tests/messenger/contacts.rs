//! /api/contacts POST, GET, DELETE in-process against moto: the seed's shapes, validation,
//! API keys and tenant isolation.

use serde_json::json;

use crate::harness::{contact, s, spawn};

/// The seed README's curl example, byte for byte (with its stray top-level "name").
const SEED_CREATE: &str = r#"{"user_name": "test", "contact": {"name": "Artem", "messangers": {"telegram": "ArtemZaitsev", "whatsApp": "+799200828615", "viber": ""}}, "name": "Artem"}"#;

#[tokio::test]
async fn contacts_round_trip_in_the_seed_shapes() {
    let t = spawn().await;
    let key = t.key();
    let (status, body) = t.create_raw(key, SEED_CREATE).await;
    assert_eq!((status, body), (200, json!({"success": true})));

    // GET with the seed's JSON body, and with a query string: the same answer.
    let want = json!({"contacts": {"Artem": {"telegram": "ArtemZaitsev", "whatsApp": "+799200828615", "viber": ""}}});
    assert_eq!(
        t.list(key, &[], r#"{"user_name": "test"}"#).await,
        (200, want.clone())
    );
    assert_eq!(t.list(key, &[("user_name", "test")], "").await, (200, want));

    // Stored: one item in the user's partition, no address for viber.
    let items = t.items().await;
    assert_eq!(items.len(), 1);
    assert_eq!(s(&items[0], "pk"), "CT#acme#test");
    assert_eq!(s(&items[0], "sk"), "Artem");
    assert!(!items[0].contains_key("viber"));

    // POST again replaces; `contacts` adds several; Unicode names work.
    let (status, _) = t
        .create(
            key,
            &json!({"user_name": "test", "contact": contact("Artem", "-100123456", "", "")}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = t
        .create(
            key,
            &json!({"user_name": "test", "contacts": [
                contact("Лера", "", "+7 (999) 123-45-67", "01234567890A="),
                {"name": "Vasya", "messengers": {"whatsapp": "+15550001111"}},
            ]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, listed) = t.list(key, &[("user_name", "test")], "").await;
    assert_eq!(
        listed,
        json!({"contacts": {
            "Artem": {"telegram": "-100123456", "whatsApp": "", "viber": ""},
            "Vasya": {"telegram": "", "whatsApp": "+15550001111", "viber": ""},
            "Лера": {"telegram": "", "whatsApp": "+79991234567", "viber": "01234567890A="},
        }})
    );

    // DELETE one (the seed's shape), then a list where one is unknown: as in the seed, the
    // known one is deleted and the unknown one is no error (it is named in not_found).
    let (status, body) = t
        .delete(key, &json!({"user_name": "test", "contact": "Artem"}))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"success": true, "not_found": []}))
    );
    let (status, body) = t
        .delete(
            key,
            &json!({"user_name": "test", "contacts": ["Vasya", "Ghost"]}),
        )
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"success": true, "not_found": ["Ghost"]}))
    );
    let (_, listed) = t.list(key, &[("user_name", "test")], "").await;
    let names: Vec<&String> = listed["contacts"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["Лера"]);
    let (status, body) = t
        .delete(key, &json!({"user_name": "test", "contact": "Artem"}))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"success": true, "not_found": ["Artem"]})),
        "already deleted"
    );

    // Another user of the same tenant has an empty book.
    assert_eq!(
        t.list(key, &[("user_name", "other")], "").await,
        (200, json!({"contacts": {}}))
    );
}

#[tokio::test]
async fn bad_contact_requests_are_400_with_a_reason_and_write_nothing() {
    let t = spawn().await;
    let key = t.key();
    let ok = contact("Artem", "ArtemZaitsev", "", "");
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "JSON object"),
        ("{".into(), "invalid JSON"),
        ("[]".into(), "invalid JSON"),
        (json!({"contact": ok}).to_string(), "user_name"),
        (
            json!({"user_name": "", "contact": ok}).to_string(),
            "user_name",
        ),
        (
            json!({"user_name": "x".repeat(65), "contact": ok}).to_string(),
            "user_name",
        ),
        (
            json!({"user_name": "a\nb", "contact": ok}).to_string(),
            "control",
        ),
        (
            json!({"user_name": "u"}).to_string(),
            "contact (or contacts) is required",
        ),
        (
            json!({"user_name": "u", "contact": ok, "contacts": [ok]}).to_string(),
            "not both",
        ),
        (
            json!({"user_name": "u", "contacts": []}).to_string(),
            "empty",
        ),
        (
            json!({"user_name": "u", "contacts": [ok, ok]}).to_string(),
            "twice",
        ),
        (
            json!({"user_name": "u", "contact": {"name": "A", "messangers": {}}}).to_string(),
            "no messenger address",
        ),
        (
            json!({"user_name": "u", "contact": contact("A", "", "", "")}).to_string(),
            "no messenger address",
        ),
        (
            // Unknown fields are ignored (as the seed did), so a misspelt messenger leaves none.
            json!({"user_name": "u", "contact": {"name": "A", "messangers": {"telegramm": "x"}}})
                .to_string(),
            "no messenger address",
        ),
        (
            json!({"user_name": "u", "contact": {"name": "A"}}).to_string(),
            "messangers",
        ),
        (
            json!({"user_name": "u", "contact": contact("A", "no spaces please", "", "")})
                .to_string(),
            "telegram address",
        ),
        (
            json!({"user_name": "u", "contact": contact("A", "", "call me", "")}).to_string(),
            "international format",
        ),
        (
            json!({"user_name": "u", "contact": contact("A", "", "", "with space")}).to_string(),
            "viber address",
        ),
        (
            json!({"user_name": "u", "contact": contact("", "ArtemZaitsev", "", "")}).to_string(),
            "contact name",
        ),
        (
            json!({"user_name": "u", "contacts": vec![ok.clone(); 101]}).to_string(),
            "limit is 100",
        ),
    ];
    for (body, reason) in &cases {
        let (status, reply) = t.create_raw(key, body).await;
        assert_eq!(status, 400, "{body} -> {reply}");
        assert_eq!(reply["error"], "validation");
        let message = reply["message"].as_str().unwrap();
        assert!(
            message.contains(reason),
            "{body}: {message:?} should mention {reason:?}"
        );
    }
    for (body, reason) in [
        (json!({"user_name": "u"}), "required"),
        (json!({"user_name": "u", "contact": 5}), "contact #1"),
        (
            json!({"user_name": "u", "contact": "A", "contacts": "B"}),
            "not both",
        ),
        (json!({"contact": "A"}), "user_name"),
    ] {
        let (status, reply) = t.delete(key, &body).await;
        assert_eq!(status, 400, "{body} -> {reply}");
        assert!(
            reply["message"].as_str().unwrap().contains(reason),
            "{reply}"
        );
    }
    for (query, body, reason) in [
        (vec![], "", "user_name is required"),
        (
            vec![("user_name", "a"), ("colour", "red")],
            "",
            "unknown parameter",
        ),
        (vec![("user_name", "a")], r#"{"user_name": "b"}"#, "differs"),
        (vec![], "not json", "invalid JSON"),
        (vec![], r#"{"user_name": 5}"#, "must be a string"),
    ] {
        let (status, reply) = t.list(key, &query, body).await;
        assert_eq!(status, 400, "{query:?} {body} -> {reply}");
        assert!(
            reply["message"].as_str().unwrap().contains(reason),
            "{reply}"
        );
    }
    assert!(t.items().await.is_empty(), "nothing was written");
}

#[tokio::test]
async fn contact_routes_need_an_api_key_and_tenants_are_isolated() {
    let t = spawn().await;
    t.given_contacts("test", &[contact("Artem", "ArtemZaitsev", "", "")])
        .await;
    let before = t.items().await.len();

    let body = json!({"user_name": "test", "contact": contact("Eve", "EveTheSpy", "", "")});
    for key in ["", "lk_not-a-real-key"] {
        assert_eq!(t.create(key, &body).await.0, 401);
        assert_eq!(
            t.delete(key, &json!({"user_name": "test", "contact": "Artem"}))
                .await
                .0,
            401
        );
        assert_eq!(t.list(key, &[("user_name", "test")], "").await.0, 401);
        assert_eq!(
            t.send(
                key,
                &json!({"user_name": "test", "contact": "Artem", "message": "hi"})
            )
            .await
            .0,
            401
        );
        let (status, reply) = t.failed(key, &[("user_name", "test")], "").await;
        assert_eq!(
            (status, reply["error"].clone()),
            (401, json!("unauthorized"))
        );
    }

    // Tenant globex has its own "test" user: it sees, deletes and messages nothing of acme's.
    let globex = t.app.key_for("globex").await;
    assert_eq!(
        t.list(&globex, &[("user_name", "test")], "").await,
        (200, json!({"contacts": {}}))
    );
    assert_eq!(
        t.delete(&globex, &json!({"user_name": "test", "contact": "Artem"}))
            .await,
        (200, json!({"success": true, "not_found": ["Artem"]}))
    );
    let (status, reply) = t
        .send(
            &globex,
            &json!({"user_name": "test", "contact": "Artem", "message": "hi"}),
        )
        .await;
    assert_eq!(status, 404, "{reply}");
    assert_eq!(t.items().await.len(), before, "nothing written or deleted");
    assert_eq!(t.depth(&t.queue_url).await, 0, "nothing enqueued");

    // globex's own contact of the same name lives apart from acme's.
    let (status, _) = t
        .create(
            &globex,
            &json!({"user_name": "test", "contact": contact("Artem", "GlobexArtem", "", "")}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, acme) = t.list(t.key(), &[("user_name", "test")], "").await;
    assert_eq!(acme["contacts"]["Artem"]["telegram"], "ArtemZaitsev");
    let (_, theirs) = t.list(&globex, &[("user_name", "test")], "").await;
    assert_eq!(theirs["contacts"]["Artem"]["telegram"], "GlobexArtem");
    let pks: Vec<String> = t
        .items()
        .await
        .iter()
        .map(|i| s(i, "pk"))
        .collect::<Vec<_>>();
    assert!(pks.contains(&"CT#globex#test".to_owned()) && pks.contains(&"CT#acme#test".to_owned()));
}

/// The admin's alert chat (the stack's `AdminAlertContacts`) cannot be a tenant's contact, so
/// no tenant can message it: 403, and nothing of the request is stored.
#[tokio::test]
async fn the_admins_chat_cannot_be_a_tenants_contact() {
    let t = spawn().await;
    let admin_chat = lookout_tests::support::ADMIN_ALERT_CHAT;
    let (status, body) = t
        .create(
            t.key(),
            &json!({"user_name": "ops", "contacts": [
                contact("Fine", "123456789", "", ""),
                contact("Sneaky", admin_chat, "", "")
            ]}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (403, &json!("forbidden")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("admin's"),
        "{body}"
    );
    assert!(
        t.items().await.is_empty(),
        "nothing stored, not even the fine one"
    );
    // The same number on another messenger is someone else's.
    let (status, body) = t
        .create(
            t.key(),
            &json!({"user_name": "ops", "contact": contact("Other", "", &format!("+{admin_chat}"), "")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}
