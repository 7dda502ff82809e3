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
