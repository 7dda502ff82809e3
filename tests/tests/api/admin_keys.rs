//! POST /admin/api_keys in-process: admin auth, validation, only the hash is stored.

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::auth::sha256_hex;
use serde_json::json;

use lookout_http::Authenticate;
use lookout_tests::support::{read, read_secret, request, spawn_app, ADMIN_TOKEN};

#[tokio::test]
async fn issues_a_key_that_works_and_stores_only_its_hash() {
    let app = spawn_app().await;
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let body = json!({"tenant": "initech", "label": "ci runner"}).to_string();
    let (status, issued) = read_secret(
        admin_issue_api_key::handle(
            &app.admin,
            request("/admin/api_keys", &[("authorization", &bearer)], &body),
        )
        .await,
    );
    assert_eq!(status, 201, "{issued}");
    let key = issued["apiKey"].as_str().unwrap();
    assert!(key.starts_with("lk_") && key.len() == 67, "{key}");
    assert_eq!(issued["tenant"], "initech");
    assert_eq!(issued["label"], "ci runner");

    let table = app.stack.table("ApiKeysTable").unwrap();
    let stored = stored_key(&app, table, key).await;
    assert_eq!(stored["tenant"].as_s().unwrap(), "initech");
    for item in app.items(table).await {
        for value in item.values() {
            assert_ne!(
                value.as_s().ok().map(String::as_str),
                Some(key),
                "plain key stored"
            );
        }
    }

    // The new key authenticates on a tracker route.
    let (status, _) = read(
        start_session::handle(
            app.tracker("start-session"),
            request(
                "/start_session",
                &[("x-api-key", key)],
                &json!({"userId": "u", "machineId": "m", "startAt": "2024-01-01"}).to_string(),
            ),
        )
        .await,
    );
    assert_eq!(status, 200);
}

#[tokio::test]
async fn refuses_without_the_admin_token_and_validates() {
    let app = spawn_app().await;
    let table = app.stack.table("ApiKeysTable").unwrap().to_owned();
    let before = app.items(&table).await.len();
    let body = json!({"tenant": "initech"}).to_string();
    for headers in [
        vec![],
        vec![("authorization", "Bearer nope")],
        vec![("x-api-key", app.api_key.as_str())],
    ] {
        let (status, reply) = read(
            admin_issue_api_key::handle(&app.admin, request("/admin/api_keys", &headers, &body))
                .await,
        );
        assert_eq!(status, 401, "{headers:?} {reply}");
    }
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    for bad in [
        json!({"tenant": "has space"}),
        json!({"tenant": ""}),
        json!({}),
        json!({"tenant": "ok", "label": "x".repeat(129)}),
        json!({"tenant": "ok", "role": "root"}),
    ] {
        let (status, reply) = read(
            admin_issue_api_key::handle(
                &app.admin,
                request(
                    "/admin/api_keys",
                    &[("authorization", &bearer)],
                    &bad.to_string(),
                ),
            )
            .await,
        );
        assert_eq!(status, 400, "{bad} -> {reply}");
    }
    assert_eq!(app.items(&table).await.len(), before, "nothing written");
}

/// The key lifecycle: issue with scopes and an expiry, list (never the secret), last use,
/// scope refusal (403), expiry and revocation (401 at once), each with its own role.
#[tokio::test]
async fn keys_are_listed_scoped_expire_and_are_revoked() {
    let app = spawn_app().await;
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let admin = [("authorization", bearer.as_str())];
    let issue = |body: serde_json::Value| {
        let app = &app;
        async move {
            read_secret(
                admin_issue_api_key::handle(
                    &app.admin,
                    request("/admin/api_keys", &admin, &body.to_string()),
                )
                .await,
            )
        }
    };
    let (status, cron) =
        issue(json!({"tenant": "initech", "label": "cron", "scopes": ["heartbeats"]})).await;
    assert_eq!(status, 201, "{cron}");
    assert_eq!(cron["scopes"], json!(["heartbeats"]));
    let soon = lookout_core::time::Timestamp::now()
        .plus_millis(2_000)
        .unwrap();
    let (status, brief) =
        issue(json!({"tenant": "initech", "label": "brief", "expires_at": soon.to_rfc3339()}))
            .await;
    assert_eq!(status, 201, "{brief}");
    assert_eq!(
        brief["scopes"],
        json!(["heartbeats", "messenger", "tracker"])
    );
    for bad in [
        json!({"tenant": "initech", "scopes": ["root"]}),
        json!({"tenant": "initech", "expires_at": "2001-01-01T00:00:00Z"}),
        json!({"tenant": "initech", "expires_at": "2099-01-01T00:00:00Z"}),
    ] {
        let (status, reply) = issue(bad.clone()).await;
        assert_eq!(status, 400, "{bad} -> {reply}");
    }

    let own = |binary: &'static str| {
        let app = &app;
        async move {
            lookout_keys::ApiKeys::new(
                app.ddb_for(binary).await,
                app.stack.table("ApiKeysTable").unwrap(),
            )
        }
    };
    let list_deps = admin_list_api_keys::Deps {
        admin: app.admin.admin.clone(),
        keys: own("admin-list-api-keys").await,
        clock: lookout_core::time::system_clock(),
    };
    let revoke_deps = admin_revoke_api_key::Deps {
        admin: app.admin.admin.clone(),
        keys: own("admin-revoke-api-key").await,
        clock: lookout_core::time::system_clock(),
    };
    let list = || async {
        read(
            admin_list_api_keys::handle(
                &list_deps,
                lookout_tests::support::http_request(
                    "GET",
                    "/admin/api_keys",
                    &[("tenant", "initech")],
                    &admin,
                    "",
                ),
            )
            .await,
        )
    };
    let start = |key: &str| {
        let app = &app;
        let key = key.to_owned();
        async move {
            read(
                start_session::handle(
                    app.tracker("start-session"),
                    request(
                        "/start_session",
                        &[("x-api-key", &key)],
                        &json!({"userId": "u", "machineId": "m", "startAt": "2024-01-01"})
                            .to_string(),
                    ),
                )
                .await,
            )
        }
    };

    // The heartbeat-only key is refused on a tracker route (403), the other one works.
    let (status, reply) = start(cron["apiKey"].as_str().unwrap()).await;
    assert_eq!(status, 403, "{reply}");
    assert!(reply["message"]
        .as_str()
        .unwrap()
        .contains("heartbeats, not tracker"));
    let (status, reply) = start(brief["apiKey"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{reply}");

    let (status, listed) = list().await;
    assert_eq!(status, 200, "{listed}");
    let keys = listed["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{listed}");
    let text = listed.to_string();
    for secret in [&cron["apiKey"], &brief["apiKey"]] {
        assert!(!text.contains(secret.as_str().unwrap()), "no secret listed");
    }
    assert!(!text.contains("\"pk\""), "no hash listed");
    let by_label = |label: &str| {
        keys.iter()
            .find(|k| k["label"] == json!(label))
            .unwrap()
            .clone()
    };
    assert!(by_label("brief")["lastUsedAt"].is_string(), "{listed}");
    let listed_expiry =
        lookout_core::time::Timestamp::parse_json(&by_label("brief")["expiresAt"]).unwrap();
    assert_eq!(listed_expiry.unix_seconds(), soon.unix_seconds());
    assert_eq!(by_label("cron")["scopes"], json!(["heartbeats"]));
    assert!(by_label("cron")["active"] == json!(true));

    // Expired: 401 at once, listed as inactive.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let (status, reply) = start(brief["apiKey"].as_str().unwrap()).await;
    assert_eq!(
        (status, reply["message"].as_str()),
        (401, Some("API key expired"))
    );
    let (_, listed) = list().await;
    let brief_now = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["label"] == json!("brief"))
        .unwrap()
        .clone();
    assert_eq!(brief_now["active"], json!(false));

    // Revoked: refused at once; revoking again answers the same; another tenant's id is 404.
    let revoke = |tenant: &str, id: &str| {
        let body = json!({"tenant": tenant, "key_id": id}).to_string();
        let deps = &revoke_deps;
        async move {
            read(
                admin_revoke_api_key::handle(
                    deps,
                    lookout_tests::support::http_request(
                        "DELETE",
                        "/admin/api_keys",
                        &[],
                        &admin,
                        &body,
                    ),
                )
                .await,
            )
        }
    };
    let cron_id = cron["keyId"].as_str().unwrap();
    let (status, other) = revoke("globex", cron_id).await;
    assert_eq!(status, 404, "{other}");
    let (status, revoked) = revoke("initech", cron_id).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(
        (&revoked["revoked"], &revoked["active"]),
        (&json!(true), &json!(false))
    );
    let (status, again) = revoke("initech", cron_id).await;
    assert_eq!((status, &again["revokedAt"]), (200, &revoked["revokedAt"]));
    // The key is refused at once on the route it was for.
    let refused = app
        .keys_for("record-heartbeat")
        .await
        .authenticate(
            &request(
                "/api/apps/",
                &[("x-api-key", cron["apiKey"].as_str().unwrap())],
                "{}",
            ),
            lookout_keys::Scope::Heartbeats,
        )
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status().as_u16(), refused.to_string()),
        (401, "API key revoked".to_owned())
    );
    // Admin only.
    let (status, _) = read(
        admin_list_api_keys::handle(
            &list_deps,
            lookout_tests::support::http_request(
                "GET",
                "/admin/api_keys",
                &[("tenant", "initech")],
                &[],
                "",
            ),
        )
        .await,
    );
    assert_eq!(status, 401);
}

/// Every API-key function records a key's last use as its own role (the first use of a fresh
/// key), which the listing then shows. The IAM check of the test run sees each function's
/// UpdateItem on the keys table this way.
#[tokio::test]
async fn each_api_key_function_records_a_keys_last_use() {
    use lookout_keys::Scope;
    let app = spawn_app().await;
    let table = app.stack.table("ApiKeysTable").unwrap().to_owned();
    let functions = [
        ("start-session", Scope::Tracker),
        ("add-event", Scope::Tracker),
        ("end-session", Scope::Tracker),
        ("get-session", Scope::Tracker),
        ("get-machine-events", Scope::Tracker),
        ("record-heartbeat", Scope::Heartbeats),
        ("record-signal", Scope::Heartbeats),
        ("create-contacts", Scope::Messenger),
        ("delete-contacts", Scope::Messenger),
        ("list-contacts", Scope::Messenger),
        ("send-messages", Scope::Messenger),
        ("list-failed-messages", Scope::Messenger),
    ];
    for (binary, scope) in functions {
        let key = app.key_for(&format!("first-use-{binary}")).await;
        assert!(
            last_used(&app, &table, &key).await.is_none(),
            "{binary}: a fresh key was never used"
        );
        let caller = app
            .keys_for(binary)
            .await
            .authenticate(&request("/", &[("x-api-key", &key)], "{}"), scope)
            .await
            .unwrap_or_else(|e| panic!("{binary}: {e}"));
        assert_eq!(caller.tenant.as_str(), format!("first-use-{binary}"));
        assert!(
            last_used(&app, &table, &key).await.is_some(),
            "{binary} recorded the key's last use"
        );
    }
}

/// A warm process trusts a key it verified for its cache bound (`CredentialCacheSeconds`), so a
/// heartbeat or ping is its own write alone: a revocation made by the admin's function takes
/// effect there within the bound, an unknown key is never remembered (a key issued a moment
/// later works at once), and the key's last use is recorded once, not on every request.
#[tokio::test]
async fn a_warm_process_trusts_a_verified_key_for_its_cache_bound() {
    use lookout_core::{auth::Tenant, time::Timestamp};
    use lookout_keys::{KeyError, Scope};
    use std::time::Duration;
    let app = spawn_app().await;
    let tenant = Tenant::parse("cache-bound").unwrap();
    let issuer = app.keys_for("admin-issue-api-key").await;
    let admin = app.keys_for("admin-revoke-api-key").await;
    let hour = Duration::from_secs(3_600);
    let second = Duration::from_secs(1);

    // Trusted for an hour: still accepted after the admin revoked it.
    let long = app.keys_for("record-heartbeat").await.with_cache(hour);
    let issued = issuer.issue(&tenant, "cached an hour").await.unwrap();
    let now = Timestamp::now();
    let who = long.verify(&issued.api_key, Scope::Heartbeats, now).await;
    assert_eq!(who.unwrap().tenant, tenant);
    assert_eq!(long.cache().map(|c| c.len()), Some(1));
    admin.revoke(&tenant, &issued.key_id, now).await.unwrap();
    let uncached = app.keys_for("record-heartbeat").await;
    assert!(matches!(
        uncached
            .verify(&issued.api_key, Scope::Heartbeats, now)
            .await,
        Err(KeyError::Revoked)
    ));
    assert!(
        long.verify(&issued.api_key, Scope::Heartbeats, now)
            .await
            .is_ok(),
        "within its bound the warm process has not read the revocation"
    );
    // Scopes and expiry are checked on every request against the cached record.
    let terms = lookout_keys::KeyTerms {
        scopes: vec![Scope::Heartbeats],
        expires_at: now.plus_millis(86_400_000),
    };
    let scoped = issuer
        .issue_with(&tenant, "scoped, a day", &terms, now)
        .await
        .unwrap();
    assert!(long
        .verify(&scoped.api_key, Scope::Heartbeats, now)
        .await
        .is_ok());
    assert!(matches!(
        long.verify(&scoped.api_key, Scope::Messenger, now).await,
        Err(KeyError::OutOfScope { .. })
    ));
    let in_two_days = now.plus_millis(2 * 86_400_000).unwrap();
    assert!(matches!(
        long.verify(&scoped.api_key, Scope::Heartbeats, in_two_days)
            .await,
        Err(KeyError::Expired)
    ));

    // Trusted for a second: refused once the bound has passed.
    let short = app.keys_for("record-heartbeat").await.with_cache(second);
    let issued = issuer.issue(&tenant, "cached a second").await.unwrap();
    assert!(short
        .verify(&issued.api_key, Scope::Heartbeats, Timestamp::now())
        .await
        .is_ok());
    admin
        .revoke(&tenant, &issued.key_id, Timestamp::now())
        .await
        .unwrap();
    tokio::time::sleep(second + Duration::from_millis(100)).await;
    assert!(matches!(
        short
            .verify(&issued.api_key, Scope::Heartbeats, Timestamp::now())
            .await,
        Err(KeyError::Revoked)
    ));

    // An unknown key is not remembered: a miss reads the table every time.
    let before = long.cache().map(|c| c.len());
    let unknown = format!("lk_{}", "7".repeat(64));
    assert!(matches!(
        long.verify(&unknown, Scope::Heartbeats, Timestamp::now())
            .await,
        Err(KeyError::Unknown)
    ));
    assert_eq!(long.cache().map(|c| c.len()), before);

    // The last use is written once: the cached record carries it afterwards.
    let issued = issuer.issue(&tenant, "last use").await.unwrap();
    let first = Timestamp::now();
    long.verify(&issued.api_key, Scope::Heartbeats, first)
        .await
        .unwrap();
    let table = app.stack.table("ApiKeysTable").unwrap();
    let recorded = last_used(&app, table, &issued.api_key).await;
    assert_eq!(
        recorded.as_ref().and_then(|v| v.as_s().ok()),
        Some(&first.to_rfc3339())
    );
    // Clear it in the table: a second verification within the hour reads the cache, whose
    // record says the use was just recorded, so it writes nothing.
    app.ddb
        .update_item()
        .table_name(table)
        .key(
            "pk",
            AttributeValue::S(sha256_hex(issued.api_key.as_bytes())),
        )
        .update_expression("REMOVE lastUsedAt")
        .send()
        .await
        .unwrap();
    long.verify(&issued.api_key, Scope::Heartbeats, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        last_used(&app, table, &issued.api_key).await,
        None,
        "no second write of the last use"
    );
}

/// The item of `key` in the keys `table`, stored under the key's hash.
async fn stored_key(
    app: &lookout_tests::support::TestApp,
    table: &str,
    key: &str,
) -> std::collections::HashMap<String, AttributeValue> {
    app.ddb
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(sha256_hex(key.as_bytes())))
        .send()
        .await
        .unwrap()
        .item
        .expect("stored under the key's hash")
}

/// The stored `lastUsedAt` of `key` in the keys `table`, if any.
async fn last_used(
    app: &lookout_tests::support::TestApp,
    table: &str,
    key: &str,
) -> Option<AttributeValue> {
    stored_key(app, table, key).await.get("lastUsedAt").cloned()
}
