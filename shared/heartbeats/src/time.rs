//! Epoch milliseconds, the unit of every time the heartbeat items index (`deadline`, `dueAt`,
//! `watchAt`, leases).

use chrono::DateTime;
use lookout_core::time::Timestamp;

pub(crate) fn millis(t: Timestamp) -> i64 {
    t.datetime().timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> Timestamp {
    DateTime::from_timestamp_millis(ms)
        .and_then(Timestamp::from_datetime)
        .unwrap_or_else(Timestamp::now)
}
