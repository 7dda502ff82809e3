//! The tracker's DynamoDB stores, one per aggregate: sessions, their events, and the tenants'
//! daily quota counters.

pub(crate) mod events;
pub(crate) mod quota_counters;
pub(crate) mod sessions;
