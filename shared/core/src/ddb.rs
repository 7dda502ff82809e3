//! DynamoDB helpers shared by every store.

mod pages;

use std::{collections::HashMap, time::Duration};

use aws_sdk_dynamodb::{
    error::SdkError,
    operation::{batch_write_item::BatchWriteItemError, query::builders::QueryFluentBuilder},
    types::{AttributeValue, WriteRequest},
};

use crate::error::{InvalidInput, StoreError};

pub use pages::{query_pages, Item, Next, PageEnd, Paged, QueryCallError};

/// BatchWriteItem's limit per call.
pub const BATCH_WRITE_MAX: usize = 25;
/// Attempts per chunk before giving up (with exponential backoff between them).
const MAX_ATTEMPTS: u32 = 8;

/// Writes every request, 25 at a time, retrying unprocessed items with exponential backoff.
/// Returns an error only if some item still could not be written; the caller then fails the
/// request so the client retries (writes are idempotent puts).
pub async fn batch_write_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    requests: Vec<WriteRequest>,
) -> Result<BatchStats, StoreError> {
    let mut stats = BatchStats::default();
    let mut pending = requests;
    while !pending.is_empty() {
        let rest = pending.split_off(pending.len().min(BATCH_WRITE_MAX));
        let mut chunk = std::mem::replace(&mut pending, rest);
        let mut attempt = 0;
        while !chunk.is_empty() {
            attempt += 1;
            stats.calls += 1;
            let out = client
                .batch_write_item()
                .request_items(table, chunk)
                .send()
                .await
                .map_err(batch_error)?;
            chunk = out
                .unprocessed_items
                .and_then(|mut m| m.remove(table))
                .unwrap_or_default();
            if !chunk.is_empty() {
                stats.retried_items += chunk.len();
                if attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::Throttled(format!(
                        "{} items still unprocessed after {attempt} attempts",
                        chunk.len()
                    )));
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
    }
    Ok(stats)
}

/// BatchGetItem's limit per call.
pub const BATCH_GET_MAX: usize = 100;

/// Reads every key (consistent), 100 at a time, retrying unprocessed keys with exponential
/// backoff like [`batch_write_all`]. Items come back in no particular order; missing keys are
/// simply absent.
pub async fn batch_get_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keys: Vec<HashMap<String, AttributeValue>>,
) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH_GET_MAX) {
        let mut request = Some(
            aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .set_keys(Some(chunk.to_vec()))
                .consistent_read(true)
                .build()
                .map_err(StoreError::from)?,
        );
        let mut attempt = 0;
        while let Some(req) = request.take() {
            attempt += 1;
            let page = client
                .batch_get_item()
                .request_items(table, req)
                .send()
                .await?;
            out.extend(
                page.responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default(),
            );
            request = page
                .unprocessed_keys
                .and_then(|mut u| u.remove(table))
                .filter(|k| !k.keys().is_empty());
            if request.is_some() {
                if attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::Throttled(format!(
                        "BatchGetItem left keys unprocessed after {attempt} attempts"
                    )));
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
    }
    Ok(out)
}

/// What a batch write took.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchStats {
    pub calls: usize,
    pub retried_items: usize,
}

fn batch_error(
    err: SdkError<BatchWriteItemError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> StoreError {
    StoreError::from(err)
}

/// 25 ms, 50 ms, 100 ms … capped at 1.6 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(25_u64 << attempt.saturating_sub(1).min(6))
}

/// Every item a Query returns, following `LastEvaluatedKey` through all pages.
pub async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::new();
    query_pages(query, None, |page| {
        out.extend(page.items.unwrap_or_default());
        Ok::<_, StoreError>(Next::Page)
    })
    .await?;
    Ok(out)
}

/// A BatchWriteItem put of `record`.
pub fn put_request<T: serde::Serialize>(record: &T) -> Result<WriteRequest, StoreError> {
    let put = aws_sdk_dynamodb::types::PutRequest::builder()
        .set_item(Some(serde_dynamo::to_item(record)?))
        .build()?;
    Ok(WriteRequest::builder().put_request(put).build())
}

/// An unconditional TransactWriteItems put of `record` into `table`.
pub fn transact_put<T: serde::Serialize>(
    table: &str,
    record: &T,
) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
    let put = aws_sdk_dynamodb::types::Put::builder()
        .table_name(table)
        .set_item(Some(serde_dynamo::to_item(record)?))
        .build()?;
    Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder()
        .put(put)
        .build())
}

/// Puts `record` unless an item with its key exists (`attribute_not_exists(pk)`). `Ok(false)`
/// when one does, so callers turn that into their own 409, replay or no-op.
///
/// The SDK retries an attempt that timed out, and the first attempt may have been written
/// (DynamoDB answered after the client stopped waiting): the retry then finds "its" item. So a
/// failed condition returns the item that is there (`ReturnValuesOnConditionCheckFailure`),
/// and when it is exactly `record`, this call wrote it: `Ok(true)`, not a conflict with itself.
/// (Every record put this way carries a fresh id, token hash or time, so another writer's item
/// is never identical.)
pub async fn put_new<T: serde::Serialize>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    record: &T,
) -> Result<bool, StoreError> {
    let item: std::collections::HashMap<String, AttributeValue> = serde_dynamo::to_item(record)?;
    let res = client
        .put_item()
        .table_name(table)
        .set_item(Some(item.clone()))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(
            aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
        )
        .send()
        .await;
    match res {
        Ok(_) => Ok(true),
        Err(err) if is_conditional_check_failed(&err) => {
            let existing = err.as_service_error().and_then(|e| match e {
                aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => c.item(),
                _ => None,
            });
            Ok(existing.is_some_and(|old| *old == item))
        }
        Err(err) => Err(err.into()),
    }
}

/// Puts `record` unless an item with its key exists: `Ok(false)` whenever one does, even an
/// identical one. For a record whose existence is itself the answer (a keyed send: the same
/// key twice is a replay, however alike the two requests), where [`put_new`]'s "my own
/// retried write" would start the work twice.
pub async fn put_absent<T: serde::Serialize>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    record: &T,
) -> Result<bool, StoreError> {
    let res = client
        .put_item()
        .table_name(table)
        .set_item(Some(serde_dynamo::to_item(record)?))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    match res {
        Ok(_) => Ok(true),
        Err(err) if is_conditional_check_failed(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Writes `items` in one `TransactWriteItems`: `Ok(false)` when one of their conditions did
/// not hold (nothing written), so callers turn that into their own 409 or retry.
pub async fn transact_if(
    client: &aws_sdk_dynamodb::Client,
    items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> Result<bool, StoreError> {
    let res = client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await;
    match res {
        Ok(_) => Ok(true),
        Err(err) if is_conditional_check_failed(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// True when a write failed only because its condition expression did not hold.
pub fn is_conditional_check_failed<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + 'static,
{
    let Some(e) = err.as_service_error() else {
        return false;
    };
    match e.code() {
        Some("ConditionalCheckFailedException") => true,
        // A transaction is cancelled for a failed condition, or for a conflict with another
        // transaction, throttling…: only the first is an answer about the data.
        Some("TransactionCanceledException") => cancelled_by_condition(e) != Some(false),
        _ => false,
    }
}

/// For a cancelled `TransactWriteItems`: whether an item's condition failed, from the
/// cancellation reasons (`None` when the error carries none to read, as some emulators send).
pub fn cancelled_by_condition<E: 'static>(err: &E) -> Option<bool> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    let any: &dyn std::any::Any = err;
    match any.downcast_ref::<TransactWriteItemsError>()? {
        TransactWriteItemsError::TransactionCanceledException(t) => {
            let reasons = t.cancellation_reasons();
            (!reasons.is_empty()).then(|| reasons.iter().any(condition_failed))
        }
        _ => None,
    }
}

/// Whether one item of a cancelled transaction failed its condition (its cancellation reason).
pub fn condition_failed(reason: &aws_sdk_dynamodb::types::CancellationReason) -> bool {
    reason.code() == Some("ConditionalCheckFailed")
}

/// The cancellation reasons of a cancelled `TransactWriteItems`, one per item in order (empty
/// for any other error).
pub fn cancellation_reasons<R>(
    err: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Vec<aws_sdk_dynamodb::types::CancellationReason> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => {
            t.cancellation_reasons().to_vec()
        }
        _ => Vec::new(),
    }
}

/// Opaque page token: the string attributes `names` of a Query's `LastEvaluatedKey`, as
/// hex-encoded JSON.
pub fn encode_page_token(key: &HashMap<String, AttributeValue>, names: &[&str]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .filter_map(|k| match key.get(*k) {
            Some(AttributeValue::S(s)) => {
                Some(((*k).to_owned(), serde_json::Value::String(s.clone())))
            }
            _ => None,
        })
        .collect();
    hex::encode(serde_json::Value::Object(map).to_string())
}

/// Decodes a token of [`encode_page_token`] with the same `names`. The token must carry
/// exactly those attributes, none empty (DynamoDB refuses empty key strings), and `bound.0`
/// must equal `bound.1`, so a token only pages the query (tenant, partition) that made it;
/// anything else is a 400 naming `param`.
pub fn decode_page_token(
    token: &str,
    names: &[&str],
    bound: (&str, &str),
    param: &str,
) -> Result<HashMap<String, AttributeValue>, InvalidInput> {
    let invalid = || InvalidInput(format!("{param} is invalid"));
    let bytes = hex::decode(token.trim()).map_err(|_| invalid())?;
    let map: HashMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if map.len() != names.len()
        || names.iter().any(|k| !map.contains_key(*k))
        || map.get(bound.0).map(String::as_str) != Some(bound.1)
        || map.values().any(String::is_empty)
    {
        return Err(invalid());
    }
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

/// An item's size as DynamoDB bills it: attribute names plus values (numbers approximated).
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    use AttributeValue as A;
    match v {
        A::S(s) => s.len(),
        A::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
        A::B(b) => b.as_ref().len(),
        A::Ss(set) => set.iter().map(String::len).sum(),
        A::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        A::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        A::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// Write units one put of `item` consumes (1 per started KB).
pub fn write_units(item: &HashMap<String, AttributeValue>) -> usize {
    item_size(item).div_ceil(1024).max(1)
}

/// Read units of one eventually consistent Query returning `items`: ½ per started 4 KB of their
/// total size, at least ½.
pub fn read_units(items: &[HashMap<String, AttributeValue>]) -> f64 {
    let bytes: usize = items.iter().map(item_size).sum();
    #[allow(clippy::cast_precision_loss)] // a page is at most 1 MB
    let units = bytes.div_ceil(4096).max(1) as f64;
    units / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_roundtrip_and_are_bound_to_their_query() {
        let names = ["pk", "sk", "gsi1pk"];
        let key: HashMap<String, AttributeValue> = names
            .iter()
            .map(|k| ((*k).to_owned(), AttributeValue::S(format!("{k}-v"))))
            .collect();
        let token = encode_page_token(&key, &names);
        assert_eq!(
            decode_page_token(&token, &names, ("gsi1pk", "gsi1pk-v"), "t").unwrap(),
            key
        );
        let err = decode_page_token(&token, &names, ("gsi1pk", "other"), "nextToken").unwrap_err();
        assert_eq!(err.to_string(), "nextToken is invalid");
        assert!(decode_page_token(&token, &names[..2], ("pk", "pk-v"), "t").is_err());
        assert!(decode_page_token("zz", &names, ("pk", "pk-v"), "t").is_err());
        let mut emptied = key.clone();
        emptied.insert("sk".into(), AttributeValue::S(String::new()));
        let forged = encode_page_token(&emptied, &names);
        assert!(decode_page_token(&forged, &names, ("gsi1pk", "gsi1pk-v"), "t").is_err());
    }

    #[test]
    fn item_sizes_follow_dynamodbs_rules() {
        let item = HashMap::from([
            ("pk".to_owned(), AttributeValue::S("abc".into())),
            ("n".to_owned(), AttributeValue::N("12345".into())),
        ]);
        assert_eq!(item_size(&item), 2 + 3 + 1 + 4);
        assert_eq!(write_units(&item), 1);
        let big = HashMap::from([("v".to_owned(), AttributeValue::S("x".repeat(2048)))]);
        assert_eq!(write_units(&big), 3);
        assert!((read_units(&[big]) - 0.5).abs() < f64::EPSILON);
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(25));
        assert_eq!(backoff(2), Duration::from_millis(50));
        assert_eq!(backoff(7), Duration::from_millis(1600));
        assert_eq!(backoff(30), Duration::from_millis(1600));
    }
}

#[cfg(test)]
mod outage_tests {
    use aws_sdk_dynamodb::{
        config::http::HttpResponse,
        error::{ErrorMetadata, SdkError},
        operation::transact_write_items::TransactWriteItemsError,
        types::{error::TransactionCanceledException, CancellationReason},
    };

    use crate::error::is_outage;

    fn cancelled(codes: &[&str]) -> SdkError<TransactWriteItemsError, HttpResponse> {
        let t = TransactionCanceledException::builder()
            .message("Transaction cancelled")
            .set_cancellation_reasons(Some(
                codes
                    .iter()
                    .map(|c| CancellationReason::builder().code(*c).build())
                    .collect(),
            ))
            .meta(
                ErrorMetadata::builder()
                    .code("TransactionCanceledException")
                    .build(),
            )
            .build();
        SdkError::service_error(
            TransactWriteItemsError::TransactionCanceledException(t),
            HttpResponse::new(400.try_into().unwrap(), "".into()),
        )
    }

    #[test]
    fn a_cancelled_transaction_is_a_failed_condition_only_when_a_reason_says_so() {
        let failed = cancelled(&["None", "ConditionalCheckFailed"]);
        assert!(super::is_conditional_check_failed(&failed));
        assert!(!is_outage(&failed));
        // Cancelled by a concurrent transaction: not an answer about the data, a retry later.
        let conflict = cancelled(&["TransactionConflict", "None"]);
        assert!(!super::is_conditional_check_failed(&conflict));
        assert!(is_outage(&conflict));
        // No reasons to read: taken as a failed condition, as before.
        let bare = cancelled(&[]);
        assert!(super::is_conditional_check_failed(&bare));
        assert!(!is_outage(&bare));
    }

    #[test]
    fn no_answer_is_an_outage() {
        let timeout: SdkError<TransactWriteItemsError, HttpResponse> =
            SdkError::timeout_error("operation timed out");
        assert!(is_outage(&timeout));
        let store: crate::StoreError = timeout.into();
        assert!(matches!(store, crate::StoreError::Unavailable(_)));
        let conflict: crate::StoreError = cancelled(&["TransactionConflict"]).into();
        assert!(matches!(conflict, crate::StoreError::Unavailable(_)));
        let failed: crate::StoreError = cancelled(&["ConditionalCheckFailed"]).into();
        assert!(matches!(failed, crate::StoreError::Call(_)));
    }
}
