//! Query page tokens: a chunk of the user's partition and a line inside it, hex-encoded JSON.

use serde_json::Value;

use crate::error::LogError;

/// A token's line index that skips the whole chunk: the query goes on after it.
pub(crate) const AFTER_CHUNK: usize = u32::MAX as usize;

/// The token of line `line` of the chunk `sk` in partition `pk`.
pub(crate) fn encode_token(pk: &str, sk: &str, line: usize) -> String {
    hex::encode(serde_json::json!({"pk": pk, "sk": sk, "i": line}).to_string())
}

/// The chunk and line a token points at, if it was issued for partition `pk`.
pub(crate) fn decode_token(token: &str, pk: &str) -> Result<(String, usize), LogError> {
    let invalid = || LogError::Invalid("next_token is invalid".into());
    let bytes = hex::decode(token).map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    match (v["pk"].as_str(), v["sk"].as_str(), v["i"].as_u64()) {
        // A sort key is 1..=1024 bytes: anything else was never issued, and DynamoDB would
        // refuse it as a key condition value (a 500 instead of a 400).
        (Some(p), Some(sk), Some(i)) if p == pk && (1..=1024).contains(&sk.len()) => {
            Ok((sk.to_owned(), usize::try_from(i).map_err(|_| invalid())?))
        }
        _ => Err(invalid()),
    }
}
