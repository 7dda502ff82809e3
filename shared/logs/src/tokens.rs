//! Log tokens: what clients send as `X-User-Token` and what is stored of it.

use lookout_core::auth::sha256_hex;
use md5::{Digest as _, Md5};

/// The value clients send as `X-User-Token`: md5 hex of the issued token.
pub fn x_user_token(token: &str) -> String {
    hex::encode(Md5::digest(token.as_bytes()))
}

/// What is stored for a user: SHA-256 of the md5 hex (never the token, never the md5).
pub(crate) fn stored_hash(x_user_token: &str) -> String {
    sha256_hex(x_user_token.trim().to_ascii_lowercase().as_bytes())
}
