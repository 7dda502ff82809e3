//! Incident dispatch (seed 001): apps with generated codes, incidents, grouping, history.
//!
//! One table (`INCIDENTS_TABLE`, keys `pk`/`sk`):
//!
//! | item     | pk                          | sk                 | GSIs |
//! |----------|-----------------------------|--------------------|------|
//! | app      | `APPS`                      | `<name>`           | – |
//! | incident | `INC#<id>`                  | `META`             | `by-app`: `APP#<name>` / `<lastSeen>#<id>`; `by-time`: `INCIDENTS` / `<lastSeen>#<id>` |
//! | history  | `INC#<id>`                  | `HIST#<at>#<n>`    | – |
//! | group    | `GROUP#<app>#<hash>`        | `GROUP`            | – |
//! | volume   | `VOLUME`                    | `<YYYY-MM-DD>`     | – (incidents opened that UTC day: `opened`, `level#<level>`) |
//!
//! Grouping: a new incident with the same app, title and level as one that is not resolved
//! bumps that incident's `count` and `lastSeen` instead of creating another; the group item
//! points at the current incident. Only a new incident notifies the admin.
//!
//! App codes are random, shown once, stored as SHA-256, compared in constant time.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    types::{AttributeValue, Put, TransactWriteItem, Update},
    Client,
};
use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use lookout_core::{
    auth::{ct_eq, sha256_hex},
    config, ddb, quota,
    time::Timestamp,
    AppError, StoreError,
};

// By concern: input, records, the store, notification, and what they fail with (mapped to HTTP
// once, in `error`).
mod edits;
mod error;
mod grouping;
mod input;
mod notify;
mod overview;
mod records;
mod snapshot;
mod store;
mod transitions;
mod volume;
pub use error::IncidentsError;
use grouping::*;
pub use input::*;
pub use notify::*;
pub use overview::*;
pub use records::*;
pub use snapshot::*;
pub use store::*;
pub use transitions::*;
pub use volume::*;

pub const MAX_TITLE: usize = 200;
pub const MAX_MESSAGE: usize = 10_000;
pub const MAX_LOG_LINES: usize = 500;
pub const MAX_LOG_BYTES: usize = 64 * 1024;
pub const MAX_NOTES: usize = 4000;
pub const MAX_PAGE: usize = 200;
const APPS_PK: &str = "APPS";
const META: &str = "META";
const ALL: &str = "INCIDENTS";
/// The partition of the sparse `open` index.
const OPEN: &str = "OPEN";

#[cfg(test)]
mod tests;

/// What the admin incident/app functions need, built once per cold start.
#[derive(Debug, Clone)]
pub struct AdminDeps {
    pub admin: lookout_core::auth::AdminAuth,
    pub store: IncidentStore,
}

impl AdminDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = lookout_core::aws::sdk_config().await;
        Ok(Self {
            admin: lookout_core::auth::AdminAuth::from_env()?,
            store: IncidentStore::from_env(lookout_core::aws::dynamodb(&sdk))?,
        })
    }
}

/// Query-string parameters of a GET route, rejecting unknown names (400).
pub fn query_params<'a>(
    params: &'a lambda_http::aws_lambda_events::query_map::QueryMap,
    known: &[&str],
) -> Result<impl Fn(&str) -> Option<&'a str> + 'a, AppError> {
    for (name, _) in params.iter() {
        if !known.contains(&name) {
            return Err(AppError::validation(format!(
                "unknown query parameter {name:?}; known: {}",
                known.join(", ")
            )));
        }
    }
    Ok(move |k: &str| params.first(k).map(str::trim).filter(|v| !v.is_empty()))
}
