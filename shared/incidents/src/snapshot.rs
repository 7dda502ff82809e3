//! The context copied into a new incident (the app's recent log lines, its heartbeat state and
//! runs), bounded so that an incident item stays far below DynamoDB's 400 KB item limit.
//!
//! Log lines may be 64 KB each, so 20 of them alone could pass the limit, and the write of the
//! incident would fail on every retry. The snapshot keeps each string in a log line to
//! [`MAX_SNAPSHOT_FIELD_BYTES`], all lines together to [`MAX_SNAPSHOT_LOG_BYTES`] (the newest
//! lines win), and the heartbeat state to [`MAX_SNAPSHOT_HEARTBEAT_BYTES`] (its oldest runs go
//! first). With the reporter's own fields at their limits, an incident item stays under
//! [`MAX_INCIDENT_ITEM_BYTES`], checked by a test.

use serde_json::Value;

/// Longest string kept in one snapshot log line (its message, description).
pub(crate) const MAX_SNAPSHOT_FIELD_BYTES: usize = 2 * 1024;
/// All snapshot log lines together, as JSON.
pub const MAX_SNAPSHOT_LOG_BYTES: usize = 48 * 1024;
/// The heartbeat state, as JSON.
pub(crate) const MAX_SNAPSHOT_HEARTBEAT_BYTES: usize = 32 * 1024;
/// What an incident item may reach with every field at its limit (DynamoDB allows 400 KB).
#[cfg(test)]
pub(crate) const MAX_INCIDENT_ITEM_BYTES: usize = 300 * 1024;

/// Marks a string cut to fit.
const CUT: &str = "…[cut]";

/// Context gathered for a new incident.
#[derive(Debug, Clone, Default)]
pub struct Enrichment {
    pub recent_logs: Vec<Value>,
    pub heartbeat: Option<Value>,
}

impl Enrichment {
    /// The same context within the bounds above.
    pub fn bounded(mut self) -> Self {
        for line in &mut self.recent_logs {
            cut_strings(line, MAX_SNAPSHOT_FIELD_BYTES);
        }
        // Lines are oldest first: drop from the front until the rest fits.
        let sizes: Vec<usize> = self.recent_logs.iter().map(json_len).collect();
        let mut total: usize = sizes.iter().sum();
        let mut drop = 0;
        while total > MAX_SNAPSHOT_LOG_BYTES && drop < sizes.len() {
            total -= sizes[drop];
            drop += 1;
        }
        self.recent_logs.drain(..drop);
        if let Some(hb) = self.heartbeat.as_mut() {
            // Runs are newest first in the app view: drop from the back.
            while json_len(hb) > MAX_SNAPSHOT_HEARTBEAT_BYTES {
                match hb.get_mut("runs").and_then(Value::as_array_mut) {
                    Some(runs) if !runs.is_empty() => {
                        runs.pop();
                    }
                    _ => {
                        cut_strings(hb, MAX_SNAPSHOT_FIELD_BYTES);
                        break;
                    }
                }
            }
        }
        self
    }
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

/// Cuts every string in `v` to at most `max` bytes (at a character boundary).
fn cut_strings(v: &mut Value, max: usize) {
    match v {
        Value::String(s) if s.len() > max => {
            let mut end = max.saturating_sub(CUT.len());
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
            s.push_str(CUT);
        }
        Value::Array(items) => items.iter_mut().for_each(|i| cut_strings(i, max)),
        Value::Object(map) => map.values_mut().for_each(|i| cut_strings(i, max)),
        _ => {}
    }
}
