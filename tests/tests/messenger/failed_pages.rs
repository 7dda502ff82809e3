//! GET /api/get_failed_mess pages by bytes as well as by count (#30): a message of control
//! characters is six times its length as JSON, so 1,000 of them overran Lambda's 6 MB
//! response limit in one page. Authenticated reads are `Cache-Control: no-store`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use crate::harness::{contact, key_header, s, spawn, Msg};
use lookout_messenger::MAX_TEXT_CHARS;
use lookout_tests::support::http_request;

/// Copies of the real failed delivery stored beside it.
const COPIES: usize = 1000;
/// The newest copies carry plain letters (one byte each as JSON), the others control
/// characters (six bytes each): the first page then reads more than one DynamoDB page (1 MB
/// each) before its 4 MiB are full.
const PLAIN_COPIES: usize = 300;
/// `lookout_core::page::MAX_PAGE_BYTES`, written out: the bound the issue asks for.
const PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Room for `{"data":[…],"next_token":"…"}` around the items.
const ENVELOPE: usize = 4096;

/// The longest message (4,096 characters), of characters that JSON escapes as `\u00XX`.
fn control_message(seed: usize) -> String {
    let escaped: Vec<char> = (1..=7_u8).chain(14..=31).map(char::from).collect();
    (0..MAX_TEXT_CHARS)
        .map(|k| escaped[(seed + k) % escaped.len()])
        .collect()
}

fn plain_message(seed: usize) -> String {
    (0..MAX_TEXT_CHARS)
        .map(|k| char::from(b'a' + u8::try_from((seed + k) % 26).unwrap()))
        .collect()
}

/// The copy `i` (1..=COPIES) of the stored failed delivery `real`, in its stored shape: its
/// own send id, delivery id, message and failure time (2001-01-01, older than the real one
/// and older the smaller `i` is).
fn copy_of(
    real: &HashMap<String, AttributeValue>,
    i: usize,
) -> (HashMap<String, AttributeValue>, String, String, String) {
    let send = format!("{i:032x}");
    let delivery = format!("{send}-0000");
    let failed_at = format!(
        "2001-01-01T{:02}:{:02}:{:02}.000Z",
        i / 3600,
        i / 60 % 60,
        i % 60
    );
    let message = if i > COPIES - PLAIN_COPIES {
        plain_message(i)
    } else {
        control_message(i)
    };
    let mut item = real.clone();
    for (k, v) in [
        ("pk", format!("SEND#{send}")),
        ("sk", "D#0000".to_owned()),
        ("deliveryId", delivery.clone()),
        ("failedAt", failed_at.clone()),
        ("updatedAt", failed_at.clone()),
        ("failedSk", format!("{failed_at}#{delivery}")),
        ("message", message.clone()),
    ] {
        item.insert(k.to_owned(), AttributeValue::S(v));
    }
    (item, delivery, failed_at, message)
}

async fn put_all(t: &Msg, items: Vec<HashMap<String, AttributeValue>>) {
    for chunk in items.chunks(25) {
        let writes: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        let out = t
            .app
            .ddb
            .batch_write_item()
            .request_items(t.table(), writes)
            .send()
            .await
            .unwrap();
        assert!(
            out.unprocessed_items().is_none_or(HashMap::is_empty),
            "moto kept items unprocessed"
        );
    }
}

/// GET /api/get_failed_mess through the real handler: the whole response.
async fn failed_raw(t: &Msg, key: Option<&str>, query: &[(&str, &str)]) -> Response<Body> {
    let headers = key.map(key_header);
    let req = http_request(
        "GET",
        "/api/get_failed_mess",
        query,
        headers.as_ref().map_or(&[][..], |h| &h[..]),
        "",
    );
    list_failed_messages::handle(&t.crud["list-failed-messages"], req)
        .await
        .unwrap()
}

fn cache_control(resp: &Response<Body>) -> Option<&str> {
    resp.headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap())
}

fn delivery_ids(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["deliveryId"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_failed_page_is_bounded_by_its_json_bytes_and_not_cached() {
    // Arrange: one delivery fails for real (a rejection, through the routes and the
    // consumer) with 4,096 control characters, then 1,000 copies of its stored item.
    let t = spawn().await;
    t.given_contacts("u", &[contact("Blocked", "@blocked_user", "", "")])
        .await;
    let send_id = t.send_now("u", &["Blocked"], &control_message(0)).await;
    t.drain().await;
    let real = t.deliveries(&send_id).await.remove(0);
    assert_eq!(s(&real, "status"), "failed");
    assert_eq!(s(&real, "message"), control_message(0));
    let (status, first) = t.failed(t.key(), &[("user_name", "u")], "").await;
    assert_eq!(status, 200);
    let proto = first["data"][0].clone();
    assert_eq!(proto["message"], control_message(0));

    let mut items = Vec::new();
    let mut expected = vec![proto.clone()];
    for i in (1..=COPIES).rev() {
        let (item, delivery, failed_at, message) = copy_of(&real, i);
        items.push(item);
        let mut entry = proto.clone();
        entry["deliveryId"] = json!(delivery);
        entry["failedAt"] = json!(failed_at);
        entry["message"] = json!(message);
        expected.push(entry);
    }
    put_all(&t, items).await;
    let total: usize = expected.iter().map(|e| e.to_string().len()).sum();
    assert!(total > 6_000_000, "{total} bytes of JSON");

    // Act: every page at the largest `limit`, through the real handler.
    let mut all: Vec<Value> = Vec::new();
    let mut sizes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("user_name", "u"), ("limit", "1000")];
        if let Some(tk) = token.as_deref() {
            query.push(("next_token", tk));
        }
        let resp = failed_raw(&t, Some(t.key()), &query).await;
        // Assert: each page as the client gets it.
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(cache_control(&resp), Some("no-store"));
        let body = resp.body().to_vec();
        sizes.push(body.len());
        assert!(
            body.len() <= PAGE_BYTES + ENVELOPE,
            "page {} is {} bytes",
            sizes.len(),
            body.len()
        );
        let page: Value = serde_json::from_slice(&body).unwrap();
        let data = page["data"].as_array().unwrap();
        assert!(!data.is_empty(), "page {} makes no progress", sizes.len());
        all.extend(data.iter().cloned());
        token = page["next_token"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
        assert!(sizes.len() < 40, "pages do not end: {sizes:?}");
    }

    // Assert: every failed delivery once, newest first, exactly as stored.
    assert!(sizes.len() >= 5, "{total} bytes in pages of {sizes:?}");
    assert_eq!(all.len(), COPIES + 1, "pages of {sizes:?}");
    if let Some(at) = (0..all.len()).find(|&i| all[i] != expected[i]) {
        panic!(
            "entry {at} differs (pages of {sizes:?}): got {:?}, expected {:?}",
            delivery_ids(&all[at..(at + 3).min(all.len())]),
            delivery_ids(&expected[at..(at + 3).min(expected.len())]),
        );
    }
    assert!(all == expected);
}

#[tokio::test]
async fn contacts_and_failed_lists_are_not_cached() {
    let t = spawn().await;
    t.given_contacts("u", &[contact("A", "someone_a", "", "")])
        .await;
    let list = |key: Option<&str>| {
        let headers = key.map(key_header);
        let req = http_request(
            "GET",
            "/api/contacts",
            &[("user_name", "u")],
            headers.as_ref().map_or(&[][..], |h| &h[..]),
            "",
        );
        list_contacts::handle(&t.crud["list-contacts"], req)
    };
    let ok = list(Some(t.key())).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let body: Value = serde_json::from_slice(ok.body()).unwrap();
    assert_eq!(body["contacts"]["A"]["telegram"], "someone_a", "{body}");
    assert_eq!(cache_control(&ok), Some("no-store"));
    let denied = list(None).await.unwrap();
    assert_eq!(denied.status().as_u16(), 401);
    assert_eq!(cache_control(&denied), Some("no-store"));

    let ok = failed_raw(&t, Some(t.key()), &[("user_name", "u")]).await;
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(cache_control(&ok), Some("no-store"));
    let denied = failed_raw(&t, None, &[("user_name", "u")]).await;
    assert_eq!(denied.status().as_u16(), 401);
    assert_eq!(cache_control(&denied), Some("no-store"));
}
