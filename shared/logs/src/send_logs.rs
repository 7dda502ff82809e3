//! `POST /send_logs`: an authenticated user's batch, checked, charged to its daily quota and
//! stored.

use lookout_core::{quota::QuotaExceeded, time::Timestamp};

use crate::authenticate::LogUser;
use crate::error::LogError;
use crate::input::Batch;
use crate::store::lines::LogLines;
use crate::store::usage::LogUsageCounts;

/// One batch to store.
#[derive(Debug)]
pub struct SendBatch {
    /// Whose batch: the user it names, authenticated ([`crate::authenticate`]).
    pub user: LogUser,
    pub batch: Batch,
    /// The size of the request body: what the batch costs at the least.
    pub body_bytes: u64,
    /// The user's daily byte quota.
    pub bytes_per_day: u64,
    pub now: Timestamp,
}

/// Checks and stores one batch: the number of lines stored.
///
/// The batch breaks no limit ([`LogError::Invalid`]); it costs its body, or what writing it is
/// billed when that is more (10,000 tiny lines an hour apart are 10,000 items of a write unit
/// each, not 1 MB), and must fit in what is left of the user's bytes for the UTC day
/// ([`LogError::Quota`]). Then its lines are written and counted on the user's item.
pub async fn send_logs(
    lines: &dyn LogLines,
    usage: &dyn LogUsageCounts,
    cmd: SendBatch,
) -> Result<usize, LogError> {
    let now = cmd.now;
    cmd.batch.validate().map_err(LogError::Invalid)?;
    let planned = lines.plan(cmd.batch, now)?;
    let charged = planned.billed_bytes.max(cmd.body_bytes);
    if cmd.user.usage.bytes_today(now) + charged > cmd.bytes_per_day {
        return Err(QuotaExceeded::daily(
            format!(
                "log user {:?} has used its {} bytes for today (UTC; a batch counts its body \
                 or its stored items' write units, whichever is more)",
                cmd.user.name.as_str(),
                cmd.bytes_per_day
            ),
            now,
        )
        .into());
    }
    match lines.write(&planned).await {
        Ok(stored) => {
            usage
                .count(&cmd.user.name, &cmd.user.usage, now, stored, charged)
                .await;
            Ok(stored)
        }
        Err(err) => {
            // Some of it may be stored (and billed): counted, so failing batches cannot be
            // repeated past the quota. Its retry is counted again: high, never short. Within
            // a short budget: after a write that timed out, the request has already spent one
            // call's time and must answer before the function's own timeout.
            if planned.may_write_partly() {
                let count =
                    usage.count(&cmd.user.name, &cmd.user.usage, now, planned.lines, charged);
                if tokio::time::timeout(FAILED_WRITE_COUNT_BUDGET, count)
                    .await
                    .is_err()
                {
                    tracing::warn!(
                        user = cmd.user.name.as_str(),
                        "a failed batch's count ran out of time; not counted"
                    );
                }
            }
            Err(err)
        }
    }
}

/// How long a failed batch's count may take (see [`send_logs`]).
const FAILED_WRITE_COUNT_BUDGET: std::time::Duration = std::time::Duration::from_millis(500);
