//! DynamoDB tables as the template declares them: keys, attributes, global secondary
//! indexes, billing mode and time to live.

use anyhow::{anyhow, Context, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use std::collections::BTreeMap;

use yaml_serde::Value;

use crate::template::intrinsic;

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

/// A list item as the stack's `conditions` make it: an `!If [condition, item, other]` is the
/// branch the condition picks; `None` for `!Ref AWS::NoValue` (no item).
fn conditional<'a>(
    item: &'a Value,
    conditions: &BTreeMap<String, bool>,
) -> Result<Option<&'a Value>> {
    let picked = match intrinsic(item) {
        Some(("Fn::If", Value::Sequence(parts))) if parts.len() == 3 => {
            let name = parts[0].as_str().ok_or_else(|| anyhow!("bad If"))?;
            let holds = *conditions
                .get(name)
                .ok_or_else(|| anyhow!("unknown condition {name}"))?;
            if holds {
                &parts[1]
            } else {
                &parts[2]
            }
        }
        _ => item,
    };
    Ok(match intrinsic(picked) {
        Some(("Ref", Value::String(r))) if r == "AWS::NoValue" => None,
        _ => Some(picked),
    })
}

/// Creates table `name` as `props` declares it under the stack's `conditions` (an existing
/// table of that name is kept).
pub(crate) async fn create_table(
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
    props: &Value,
    conditions: &BTreeMap<String, bool>,
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
        let Some(g) = conditional(g, conditions)? else {
            continue;
        };
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
