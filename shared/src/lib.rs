//! Lookout's shared library: everything the Lambda functions have in common.
//!
//! - [`config`]: settings read once from the environment,
//! - [`aws`]: AWS clients built once (the endpoint override comes from `AWS_ENDPOINT_URL`),
//! - [`error`]: one [`error::AppError`] and its mapping to a JSON response,
//! - [`http`]: JSON request/response helpers,
//! - [`time`]: lenient timestamp parsing, stored as RFC 3339 UTC,
//! - [`auth`]: admin token and API key checks,
//! - [`ddb`]: DynamoDB helpers (batch writes that retry unprocessed items),
//! - [`logs`]: log ingestion storage and queries (seed 000),
//! - [`tracker`]: the session/event tracker's storage (seed 004).

pub mod auth;
pub mod aws;
pub mod config;
pub mod ddb;
pub mod error;
pub mod http;
pub mod logs;
pub mod time;
pub mod tracker;

pub use error::AppError;
