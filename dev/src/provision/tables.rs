//! DynamoDB tables as the template declares them: keys, attributes, global secondary
//! indexes, billing mode and time to live.

use anyhow::{anyhow, Context, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use yaml_serde::Value;

fn list<'a>(props: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    props
        .get(key)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
}

fn text(v: &Value, key: &str) -> Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("missing {key}"))
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>> {
    list(v, "KeySchema")
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(text(k, "AttributeName")?)
                .key_type(KeyType::from(text(k, "KeyType")?.as_str()))
                .build()?)
        })
        .collect()
}

/// Creates table `name` as `props` declares it (an existing table of that name is kept).
pub(crate) async fn create_table(
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
    props: &Value,
) -> Result<()> {
    let mut req = ddb
        .create_table()
        .table_name(name)
        .set_key_schema(Some(key_schema(props)?));
    for a in list(props, "AttributeDefinitions") {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(text(a, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(
                    text(a, "AttributeType")?.as_str(),
                ))
                .build()?,
        );
    }
    for g in list(props, "GlobalSecondaryIndexes") {
        let projection = g.get("Projection").cloned().unwrap_or_default();
        let mut p = Projection::builder().projection_type(ProjectionType::from(
            text(&projection, "ProjectionType")
                .unwrap_or_else(|_| "ALL".into())
                .as_str(),
        ));
        for attr in list(&projection, "NonKeyAttributes") {
            if let Some(a) = attr.as_str() {
                p = p.non_key_attributes(a);
            }
        }
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(g, "IndexName")?)
                .set_key_schema(Some(key_schema(g)?))
                .projection(p.build())
                .build()?,
        );
    }
    let billing = text(props, "BillingMode").unwrap_or_else(|_| "PAY_PER_REQUEST".into());
    req = req.billing_mode(BillingMode::from(billing.as_str()));
    match req.send().await {
        Ok(_) => {}
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(());
        }
        Err(err) => return Err(anyhow::Error::new(err).context("CreateTable")),
    }
    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        if ttl.get("Enabled").and_then(Value::as_bool) == Some(true) {
            ddb.update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(text(ttl, "AttributeName")?)
                        .enabled(true)
                        .build()?,
                )
                .send()
                .await
                .context("UpdateTimeToLive")?;
        }
    }
    Ok(())
}
