//! Packing a batch into chunk items (pure: no I/O).

use lookout_core::StoreError;
use sha2::{Digest, Sha256};

use crate::error::LogError;
use crate::input::Batch;
use crate::limits::{CHUNK_MAX_SPAN_SECS, CHUNK_TARGET_BYTES};
use crate::records::{user_pk, ChunkRecord, PackedLine};

/// The batch's identity: a hash of everything in it. A retried batch gets the same id (and so
/// rewrites the same items); any other batch, even from the same process with the same
/// `post_time`, gets its own.
fn batch_id(batch: &Batch) -> String {
    let mut h = Sha256::new();
    let mut part = |p: &str| {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    };
    part(batch.user.as_str());
    part(&batch.pid.to_string());
    part(&batch.p_name);
    part(&batch.post_time.to_rfc3339());
    for l in &batch.logs {
        part(&l.event_at.to_rfc3339());
        part(l.level.as_str());
        part(&l.msg);
        part(&l.p_description);
    }
    hex::encode(&h.finalize()[..8])
}

/// Length of a stored time (`2023-02-02T16:22:15.000Z`).
const STORED_TIME_LEN: usize = 24;

/// Packed size of one line inside the `lines` JSON (close enough for chunking).
fn packed_len(l: &PackedLine) -> usize {
    STORED_TIME_LEN + l.1.as_str().len() + l.2.len() + l.3.len() + 16
}

/// Chunk items for a batch: lines sorted by time, cut at the size target or the span limit.
/// A pure function of the batch, so retries produce the same keys.
pub fn pack(batch: Batch, expires_at: Option<i64>) -> Result<Vec<ChunkRecord>, LogError> {
    let pk = user_pk(&batch.user);
    let id = batch_id(&batch);
    let mut lines: Vec<PackedLine> = batch
        .logs
        .into_iter()
        .map(|l| (l.event_at, l.level, l.msg, l.p_description))
        .collect();
    // Stable: lines with equal times keep their order.
    lines.sort_by_key(|l| l.0);

    let mut groups: Vec<Vec<PackedLine>> = Vec::new();
    let mut size = 0;
    for line in lines {
        let len = packed_len(&line);
        let start_new = match groups.last().and_then(|g| g.first()) {
            None => true,
            Some(first) => {
                size + len > CHUNK_TARGET_BYTES
                    || line.0.unix_seconds() - first.0.unix_seconds() > CHUNK_MAX_SPAN_SECS
            }
        };
        if start_new {
            groups.push(Vec::new());
            size = 0;
        }
        size += len;
        if let Some(g) = groups.last_mut() {
            g.push(line);
        }
    }

    groups
        .into_iter()
        .enumerate()
        .map(|(no, packed)| {
            // A group starts with the line that opens it: never empty.
            let (Some(first), Some(last)) = (packed.first(), packed.last()) else {
                return Err(StoreError::invariant("an empty chunk").into());
            };
            let (min_at, max_at) = (first.0, last.0);
            let levels = packed.iter().map(|l| l.1.as_str().to_owned()).collect();
            Ok(ChunkRecord {
                pk: pk.clone(),
                sk: format!("{min_at}#{id}#{no:04}"),
                pid: batch.pid,
                p_name: batch.p_name.clone(),
                post_time: batch.post_time,
                min_at,
                max_at,
                levels,
                n: packed.len(),
                lines: serde_json::to_string(&packed)
                    .map_err(|e| StoreError::invariant(format!("packing lines: {e}")))?,
                expires_at,
            })
        })
        .collect()
}
