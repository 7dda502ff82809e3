//! Unit tests of the use cases over the in-memory key records ([`MemoryKeyRecords`]), one file
//! per use case, and of the in-memory adapter's DynamoDB semantics.

use lookout_core::{auth::Tenant, time::Timestamp};

use crate::issue::issue;
use crate::{IssuedKey, KeyTerms, MemoryKeyRecords, Scope};

mod issue;
mod list;
mod memory;
mod revoke;
mod verify;

/// When the tests' keys are issued.
const T0: &str = "2026-06-01T12:00:00Z";

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_str(s).unwrap()
}

/// `at` moved by `ms` milliseconds.
fn later(at: Timestamp, ms: i64) -> Timestamp {
    at.plus_millis(ms).unwrap()
}

fn tenant(name: &str) -> Tenant {
    Tenant::parse(name).unwrap()
}

/// A key of `tenant` issued at `at` with `scopes` and `expires_at`.
async fn issued_at(
    keys: &MemoryKeyRecords,
    tenant_name: &str,
    scopes: &[Scope],
    expires_at: Option<Timestamp>,
    at: Timestamp,
) -> IssuedKey {
    let terms = KeyTerms {
        scopes: scopes.to_vec(),
        expires_at,
    };
    issue(keys, &tenant(tenant_name), "cron", &terms, at)
        .await
        .unwrap()
}

/// A key of `acme` issued at [`T0`] for every scope, without expiry.
async fn issued(keys: &MemoryKeyRecords) -> IssuedKey {
    issued_at(keys, "acme", &[], None, ts(T0)).await
}
