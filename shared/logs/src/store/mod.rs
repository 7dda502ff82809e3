//! The logs' DynamoDB stores, one per aggregate: log users and their tokens, their daily
//! usage counts, and log lines.

pub(crate) mod lines;
pub(crate) mod usage;
pub(crate) mod users;
