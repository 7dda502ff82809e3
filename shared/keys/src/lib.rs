//! API keys and their lifecycle: issued by the admin with a label, optional scopes and an
//! optional expiry; listed per tenant (never the secret); revoked. Only the SHA-256 of a key is
//! stored (`API_KEYS_TABLE`, key `pk`); the `by-tenant` index (`tenant`, `keyId`) lists a
//! tenant's keys and finds one to revoke.
//!
//! A key is refused with 401 when unknown, revoked or expired, and with 403 on a route outside
//! its scopes. Expired and revoked keys are removed by the table's TTL (`expiresAt`) later; until
//! then the listing shows them as such.
//!
//! The use cases ([`issue`], [`verify`], [`list`], [`revoke`]) are functions over the key
//! records' port ([`KeyRecords`]), whose adapters are [`ApiKeys`] (DynamoDB; its methods of the
//! same names call the use cases) and [`MemoryKeyRecords`] (in memory, for unit tests).

// Use cases, one per file: each reads top to bottom (what it checks, what it stores).
mod issue;
mod list;
mod revoke;
mod verify;
// What they reach: the key records (port and adapters), the admin functions' dependencies.
mod deps;
mod store;
// Values: scopes, the stored record, what callers give and get back; the rules in numbers;
// what it all fails with.
mod error;
mod limits;
mod record;
mod scope;
mod views;

// Use cases.
pub use issue::issue;
pub use list::list;
pub use revoke::revoke;
pub use verify::verify;

// Dependencies, the port and its adapters.
pub use deps::KeyAdminDeps;
pub use store::dynamo::ApiKeys;
pub use store::key_records::KeyRecords;
pub use store::memory::MemoryKeyRecords;

// Types.
pub use record::ApiKeyRecord;
pub use scope::Scope;
pub use views::{IssuedKey, KeyTerms, KeyView, Principal};

// Errors.
pub use error::KeyError;

#[cfg(test)]
mod tests;
