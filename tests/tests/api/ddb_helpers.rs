//! shared::ddb against moto.

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use lookout_core::ddb::batch_write_all;

use lookout_tests::support::spawn_app;

#[tokio::test]
async fn batch_write_all_writes_every_item_in_chunks_of_25() {
    let app = spawn_app().await;
    let table = app.tracker_table().to_owned();
    let requests: Vec<WriteRequest> = (0..60)
        .map(|i| {
            let put = PutRequest::builder()
                .item("pk", AttributeValue::S(format!("BATCH#{i}")))
                .item("sk", AttributeValue::S("X".into()))
                .build()
                .unwrap();
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    let stats = batch_write_all(&app.ddb, &table, requests).await.unwrap();
    assert_eq!(stats.calls, 3);
    assert_eq!(app.items(&table).await.len(), 60);
}

/// A retried `put_new` whose first attempt was written (its answer lost to a client timeout,
/// so the SDK sent it again) finds its own item: that is a success, not a conflict; another
/// writer's item under the same key is one.
#[tokio::test]
async fn put_new_takes_its_own_retried_write_as_written_and_another_as_a_conflict() {
    let app = spawn_app().await;
    let table = app.tracker_table().to_owned();
    let pk = format!("PUTNEW#{}", uuid::Uuid::new_v4());
    let mine = serde_json::json!({"pk": pk, "sk": "X", "token": "a1", "n": 7});
    assert!(lookout_core::ddb::put_new(&app.ddb, &table, &mine)
        .await
        .unwrap());
    assert!(
        lookout_core::ddb::put_new(&app.ddb, &table, &mine)
            .await
            .unwrap(),
        "the same request again: its own write"
    );
    let theirs = serde_json::json!({"pk": pk, "sk": "X", "token": "b2", "n": 7});
    assert!(
        !lookout_core::ddb::put_new(&app.ddb, &table, &theirs)
            .await
            .unwrap(),
        "another item under the key: a conflict"
    );
    let stored = app
        .ddb
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S("X".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(stored["token"].as_s().unwrap(), "a1", "nothing overwritten");
}
