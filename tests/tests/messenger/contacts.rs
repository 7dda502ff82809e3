//! /api/contacts POST, GET, DELETE in-process against moto: the seed's shapes, validation,
//! API keys and tenant isolation.

use aws_sdk_dynamodb::types::AttributeValue;
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

    // Stored: one item in the user's partition, no address for viber; and the tenant's
    // contact count (the quota's).
    let (items, counts): (Vec<_>, Vec<_>) = t
        .items()
        .await
        .into_iter()
        .partition(|i| s(i, "pk").starts_with("CT#"));
    assert_eq!(items.len(), 1);
    assert_eq!(counts.len(), 1);
    assert_eq!(
        (s(&counts[0], "pk"), s(&counts[0], "sk")),
        ("Q#acme".to_owned(), "CONTACTS".to_owned())
    );
    assert_eq!(counts[0]["contacts"].as_n().unwrap(), "1");
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
            json!({"user_name": "u", "contacts": vec![ok.clone(); 100]}).to_string(),
            "limit is 99",
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

/// The admin's alert chat (the stack's `AdminAlertContacts`, `-1001000000001`) cannot be a
/// tenant's contact in any spelling of it (#30: `-01001000000001` and `-001001000000001` are
/// the same chat to Telegram): 403, and nothing of the request is stored.
#[tokio::test]
async fn the_admins_chat_cannot_be_a_tenants_contact() {
    let t = spawn().await;
    let admin_chat = lookout_tests::support::ADMIN_ALERT_CHAT;
    assert_eq!(admin_chat, "-1001000000001");
    for spelling in [
        admin_chat,
        "-01001000000001",
        "-001001000000001",
        " -0001001000000001",
    ] {
        let (status, body) = t
            .create(
                t.key(),
                &json!({"user_name": "ops", "contacts": [
                    contact("Fine", "123456789", "", ""),
                    contact("Sneaky", spelling, "", "")
                ]}),
            )
            .await;
        assert_eq!(
            (status, &body["error"]),
            (403, &json!("forbidden")),
            "{spelling:?}: {body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains("admin's"),
            "{body}"
        );
        assert!(
            t.items().await.is_empty(),
            "{spelling:?}: nothing stored, not even the fine one"
        );
    }
    // The same digits on another messenger are someone else's.
    let (status, body) = t
        .create(
            t.key(),
            &json!({"user_name": "ops", "contact": contact("Other", "", "+1001000000001", "")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A chat id is stored in its one spelling.
    let (status, body) = t
        .create(
            t.key(),
            &json!({"user_name": "ops", "contact": contact("Group", "-000123456789", "", "")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, listed) = t.list(t.key(), &[("user_name", "ops")], "").await;
    assert_eq!(listed["contacts"]["Group"]["telegram"], "-123456789");
}

/// A contact stored with the admin's chat in another spelling (before the check on create
/// compared canonical forms) is never sent to: the send route refuses it with 403 and queues
/// nothing, and a delivery to it that is already queued is recorded as failed, not sent.
#[tokio::test]
async fn a_stored_contact_with_the_admins_chat_is_never_sent_to() {
    let t = spawn().await;
    for (name, spelling) in [("Sneaky", "-01001000000001"), ("Sly", "-001001000000001")] {
        t.app
            .ddb
            .put_item()
            .table_name(t.table())
            .item("pk", AttributeValue::S("CT#acme#ops".into()))
            .item("sk", AttributeValue::S(name.into()))
            .item("name", AttributeValue::S(name.into()))
            .item("telegram", AttributeValue::S(spelling.into()))
            .item(
                "updatedAt",
                AttributeValue::S("2026-01-01T00:00:00.000Z".into()),
            )
            .send()
            .await
            .unwrap();
    }
    let before = t.items().await.len();
    for name in ["Sneaky", "Sly"] {
        let (status, body) = t
            .send(
                t.key(),
                &json!({"user_name": "ops", "contact": name, "message": "[Lookout] DOWN: payments (fake)"}),
            )
            .await;
        assert_eq!(
            (status, &body["error"]),
            (403, &json!("forbidden")),
            "{name}: {body}"
        );
        assert_eq!(t.items().await.len(), before, "no send stored");
        assert!(t.receive().await.is_empty(), "nothing queued");
    }

    // A send that got past the route (queued before the fix): the consumer refuses it.
    let tenant = lookout_core::auth::Tenant::parse("acme").unwrap();
    let user = lookout_messenger::UserName::parse("ops").unwrap();
    let to = lookout_messenger::Addresses {
        telegram: Some("-01001000000001".into()),
        ..Default::default()
    };
    let now = lookout_core::time::Timestamp::now();
    let (send_id, _, _) = t
        .send
        .store
        .sends
        .create_new(
            &tenant,
            &user,
            &[(lookout_messenger::ContactName::parse("Sneaky").unwrap(), to)],
            "[Lookout] DOWN: payments (fake)",
            now,
            now,
        )
        .await
        .unwrap();
    lookout_messenger::queue_fanout(&*t.send.queue, &*t.send.scheduler, &send_id, now, now)
        .await
        .unwrap();
    t.drain().await;
    assert!(
        t.emulator.received().is_empty(),
        "nothing reached any messenger: {:?}",
        t.emulator.received()
    );
    let delivery = t.delivery_of(send_id.as_str(), "telegram").await;
    assert_eq!(s(&delivery, "status"), "failed");
    assert!(
        s(&delivery, "lastError").contains("admin's"),
        "{delivery:?}"
    );
    // Listed with the tenant's failed messages.
    let (status, failed) = t.failed(t.key(), &[("user_name", "ops")], "").await;
    assert_eq!(status, 200);
    assert_eq!(failed["data"].as_array().map(Vec::len), Some(1), "{failed}");
    assert_eq!(failed["data"][0]["address"], "-01001000000001");
}

/// POST with the raw response's `Retry-After`.
async fn create_with_retry_after(
    t: &crate::harness::Msg,
    key: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value, Option<String>) {
    let req = lookout_tests::support::http_request(
        "POST",
        "/api/contacts",
        &[],
        &[("x-api-key", key)],
        &body.to_string(),
    );
    lookout_tests::support::read_with_retry_after(create_contacts::handle(&t.create, req).await)
}

/// Contacts per tenant (`QuotaContactsPerTenant`, here 3): new contacts past it get 429 with
/// Retry-After and nothing of the request is stored; replacing a contact does not count; a
/// delete frees a place; two creates at once cannot both take the last place; another
/// tenant's contacts are its own.
#[tokio::test]
async fn a_tenant_over_its_contacts_quota_gets_429_and_stores_nothing() {
    let mut t = spawn().await;
    t.create.store = t.create.store.clone().with_max_contacts(3);
    let key = t.key().to_owned();
    let (status, body) = t
        .create(
            &key,
            &json!({"user_name": "ops", "contacts": [
            contact("A", "111111111", "", ""), contact("B", "222222222", "", "")]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let before = t.items().await;

    // One replaced and two new: 4 > 3.
    let (status, body, retry) = create_with_retry_after(&t, &key, &json!({"user_name": "ops", "contacts": [
        contact("A", "999999999", "", ""), contact("C", "333333333", "", ""), contact("D", "444444444", "", "")]}))
    .await;
    assert_eq!(
        (status, &body["error"]),
        (429, &json!("quota_exceeded")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("3 contacts"),
        "{body}"
    );
    assert_eq!(retry.as_deref(), Some("3600"));
    assert_eq!(
        t.items().await,
        before,
        "nothing stored, not even the replaced one"
    );

    // One replaced and one new fit; then a replace at the quota is fine, a new one is not.
    let (status, body) = t
        .create(
            &key,
            &json!({"user_name": "ops", "contacts": [
            contact("A", "999999999", "", ""), contact("C", "333333333", "", "")]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = t
        .create(
            &key,
            &json!({"user_name": "ops", "contact": contact("B", "555555555", "", "")}),
        )
        .await;
    assert_eq!(status, 200, "a replace at the quota: {body}");
    let (status, body) = t
        .create(
            &key,
            &json!({"user_name": "other-list", "contact": contact("E", "666666666", "", "")}),
        )
        .await;
    assert_eq!(
        status, 429,
        "the quota is the tenant's, over all its lists: {body}"
    );
    let (_, listed) = t.list(&key, &[("user_name", "ops")], "").await;
    assert_eq!(listed["contacts"]["A"]["telegram"], "999999999", "{listed}");
    assert_eq!(listed["contacts"]["B"]["telegram"], "555555555", "{listed}");
    assert!(listed["contacts"].get("D").is_none(), "{listed}");

    // Another tenant is not counted with this one.
    let other = t.app.key_for("globex").await;
    let (status, body) = t
        .create(&other, &json!({"user_name": "ops", "contacts": [
            contact("X", "777777777", "", ""), contact("Y", "888888888", "", ""), contact("Z", "123123123", "", "")]}))
        .await;
    assert_eq!(status, 200, "{body}");

    // A delete frees a place; two creates at once cannot both take it.
    let (status, body) = t
        .delete(&key, &json!({"user_name": "ops", "contact": "C"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let f_body = json!({"user_name": "ops", "contact": contact("F", "101010101", "", "")});
    let g_body = json!({"user_name": "ops", "contact": contact("G", "202020202", "", "")});
    let (f, g) = tokio::join!(t.create(&key, &f_body), t.create(&key, &g_body));
    let mut statuses = [f.0, g.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 429], "{f:?} {g:?}");
    let (_, listed) = t.list(&key, &[("user_name", "ops")], "").await;
    assert_eq!(listed["contacts"].as_object().unwrap().len(), 3, "{listed}");
}

/// A contact replaced while another request deletes it (#30): the delete lowers the tenant's
/// count; the replace, conditioned on the contact still existing, then creates it again and
/// counts it, instead of restoring it uncounted (which let the quota be bypassed). The delete
/// lands deterministically between the create's read of the stored names and its write: the
/// create's DynamoDB calls go through a proxy that holds its first write.
#[tokio::test]
async fn a_contact_deleted_while_it_is_replaced_stays_counted() {
    let mut t = spawn().await;
    let key = t.key().to_owned();
    let (status, body) = t
        .create(
            &key,
            &json!({"user_name": "ops", "contact": contact("A", "111111111", "", "")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let count = |items: &[std::collections::HashMap<String, AttributeValue>]| -> (usize, String) {
        let contacts = items
            .iter()
            .filter(|i| s(i, "pk").starts_with("CT#"))
            .count();
        let counted = items
            .iter()
            .find(|i| s(i, "pk") == "Q#acme")
            .and_then(|i| i.get("contacts"))
            .and_then(|v| v.as_n().ok().cloned())
            .unwrap_or_default();
        (contacts, counted)
    };
    assert_eq!(count(&t.items().await), (1, "1".to_owned()));

    let proxy =
        lookout_tests::faults::FaultProxy::start(&lookout_dev::moto::endpoint().unwrap()).await;
    let sdk = t
        .app
        .sdk_for("create-contacts")
        .await
        .into_builder()
        .endpoint_url(proxy.url())
        .build();
    t.create.store =
        lookout_messenger::BroadcastStore::new(aws_sdk_dynamodb::Client::new(&sdk), t.table(), 30);
    let gate = proxy.hold_next(&["BatchWriteItem", "TransactWriteItems", "PutItem"]);
    let replace = json!({"user_name": "ops", "contact": contact("A", "999999999", "", "")});
    let (replaced, ()) = tokio::join!(t.create(&key, &replace), async {
        gate.held().await;
        // The create has read "A exists" and waits at its write: A is deleted now.
        let (status, body) = t
            .delete(&key, &json!({"user_name": "ops", "contact": "A"}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(count(&t.items().await), (0, "0".to_owned()));
        gate.open();
    });
    assert_eq!(replaced.0, 200, "{replaced:?}");
    // The last request was the create: A exists, with its new address, and is counted.
    let (contacts, counted) = count(&t.items().await);
    assert_eq!(
        (contacts, counted.as_str()),
        (1, "1"),
        "stored contacts and the count agree"
    );
    let (_, listed) = t.list(&key, &[("user_name", "ops")], "").await;
    assert_eq!(listed["contacts"]["A"]["telegram"], "999999999", "{listed}");
}
