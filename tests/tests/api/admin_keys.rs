//! POST /admin/api_keys in-process: admin auth, validation, only the hash is stored.

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::auth::sha256_hex;
use serde_json::json;

use lookout_tests::support::{read, read_secret, request, spawn_app, ADMIN_TOKEN};

#[tokio::test]
async fn issues_a_key_that_works_and_stores_only_its_hash() {
    let app = spawn_app().await;
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let body = json!({"tenant": "initech", "label": "ci runner"}).to_string();
    let (status, issued) = read_secret(
        admin_api_keys::handle(
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
    let stored = app
        .ddb
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(sha256_hex(key.as_bytes())))
        .send()
        .await
        .unwrap()
        .item
        .expect("stored under the key's hash");
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
            admin_api_keys::handle(&app.admin, request("/admin/api_keys", &headers, &body)).await,
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
            admin_api_keys::handle(
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
