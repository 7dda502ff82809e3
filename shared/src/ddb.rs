//! DynamoDB helpers shared by every store.

use std::time::Duration;

use aws_sdk_dynamodb::{
    error::SdkError, operation::batch_write_item::BatchWriteItemError, types::WriteRequest,
};

use crate::AppError;

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
) -> Result<BatchStats, AppError> {
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
                    return Err(AppError::internal(format!(
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

/// What a batch write took.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchStats {
    pub calls: usize,
    pub retried_items: usize,
}

fn batch_error(
    err: SdkError<BatchWriteItemError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> AppError {
    AppError::Internal(Box::new(err))
}

/// 25 ms, 50 ms, 100 ms … capped at 1.6 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(25_u64 << attempt.saturating_sub(1).min(6))
}

/// True when a write failed only because its condition expression did not hold.
pub fn is_conditional_check_failed<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| {
            code == "ConditionalCheckFailedException" || code == "TransactionCanceledException"
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(25));
        assert_eq!(backoff(2), Duration::from_millis(50));
        assert_eq!(backoff(7), Duration::from_millis(1600));
        assert_eq!(backoff(30), Duration::from_millis(1600));
    }
}
