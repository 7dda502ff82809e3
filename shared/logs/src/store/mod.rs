//! The logs' stores, one per aggregate: log users and their tokens, their daily usage counts,
//! and log lines. Each file holds its port (the trait a use case takes) and its DynamoDB
//! adapter; `memory` holds the in-memory adapters, `chunk_page` the paging both line adapters
//! share.

pub(crate) mod chunk_page;
pub(crate) mod lines;
pub(crate) mod memory;
pub(crate) mod usage;
pub(crate) mod users;
