//! The API keys table's one aggregate, the key records: its port ([`key_records`]), its
//! DynamoDB adapter ([`dynamo`]) and its in-memory one ([`memory`]).

pub(crate) mod dynamo;
pub(crate) mod key_records;
pub(crate) mod memory;
