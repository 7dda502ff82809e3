//! Log tokens: what clients send as `X-User-Token` and what is stored of it.

use super::*;

/// The value clients send as `X-User-Token`: md5 hex of the issued token.
pub fn x_user_token(token: &str) -> String {
    hex::encode(Md5::digest(token.as_bytes()))
}

/// What is stored for a user: SHA-256 of the md5 hex (never the token, never the md5).
pub fn stored_hash(x_user_token: &str) -> String {
    sha256_hex(x_user_token.trim().to_ascii_lowercase().as_bytes())
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserRecord {
    pub(crate) pk: String,
    pub(crate) token_sha256: String,
    pub(crate) created_at: Timestamp,
    pub(crate) rotated_at: Timestamp,
}

/// A token just issued; shown once.
#[derive(Debug, Serialize)]
pub struct IssuedToken {
    pub user: String,
    /// The secret itself.
    pub token: String,
    /// What the client sends as `X-User-Token` (md5 hex of `token`).
    pub x_user_token: String,
    pub rotated: bool,
}
