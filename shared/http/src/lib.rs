//! Lookout's HTTP edge, the one crate besides the functions that sees `lambda_http`. A
//! function parses its request here, calls its domain's use case, and maps the result here:
//!
//! - [`request`]: the body (bounded, JSON objects only), headers, query strings, canonical
//!   paths, and who is calling ([`AdminCheck`] for the admin token, [`Authenticate`] for API
//!   keys),
//! - [`response`]: JSON replies, secrets marked no-store, redirects, [`respond`] to map a
//!   handler's error,
//! - [`error`]: [`AppError`], the one error → response mapping (4xx with a message, 5xx
//!   generic, `Retry-After` on 429/503),
//! - `families`: each domain's error enum into [`AppError`], one file per API family, compiled
//!   in by that family's cargo feature (`tracker`, `logs`, `incidents`, `heartbeats`,
//!   `messenger`, `mail`, `alerts`),
//! - [`bootstrap`]: the `main` of a domain's deploy binary ([`bootstrap_main!`]).

pub mod bootstrap;
pub mod error;
pub mod request;
pub mod response;

mod families {
    #[cfg(feature = "alerts")]
    mod alerts;
    #[cfg(feature = "heartbeats")]
    mod heartbeats;
    #[cfg(feature = "incidents")]
    mod incidents;
    mod keys;
    #[cfg(feature = "logs")]
    mod logs;
    #[cfg(feature = "mail")]
    mod mail;
    #[cfg(feature = "messenger")]
    mod messenger;
    #[cfg(feature = "tracker")]
    mod tracker;
}

pub use error::{
    set_retry_after, set_unavailable_retry_after, AppError, UNAVAILABLE_MESSAGE,
    UNAVAILABLE_RETRY_AFTER_SECS,
};
pub use request::{
    api_key, basic_password, bearer, body_bytes, canonical_path, etag_matches, header, parse_json,
    public_origin, query_params, tenant_query, AdminCheck, Authenticate, DEFAULT_BODY_LIMIT,
    MAX_BODY_LIMIT,
};
pub use response::{
    json_response, no_store, ok, permanent_redirect, respond, respond_no_store, secret_response,
};
