//! The tracker's stores, one per aggregate: sessions, their events, and the tenants' daily
//! quota counters. Each file holds its port (the trait a use case takes) and its DynamoDB
//! adapter; `memory` holds the in-memory adapters of all three.

pub(crate) mod events;
pub(crate) mod memory;
pub(crate) mod quota_counters;
pub(crate) mod sessions;
