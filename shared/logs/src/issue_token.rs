//! `POST /admin/log_users`: a new log user, or a new token for one.

use lookout_core::time::Timestamp;
use rand::RngCore;

use crate::error::LogError;
use crate::output::IssuedToken;
use crate::store::users::LogUsers;
use crate::tokens::{stored_hash, x_user_token};
use crate::user_name::UserName;

/// Creates `user` (`rotate == false`; [`LogError::UserExists`] if it exists) or replaces its
/// token (`rotate == true`; [`LogError::UnknownUser`] if it does not exist). The token is
/// returned once: only the SHA-256 of its `X-User-Token` is stored.
pub async fn issue_token(
    users: &dyn LogUsers,
    user: &UserName,
    rotate: bool,
) -> Result<IssuedToken, LogError> {
    let mut secret = [0_u8; 24];
    rand::rng().fill_bytes(&mut secret);
    let token = hex::encode(secret);
    let x = x_user_token(&token);
    let now = Timestamp::now();
    if rotate {
        users.replace_token(user, stored_hash(&x), now).await?;
    } else {
        users.insert(user, stored_hash(&x), now).await?;
    }
    Ok(IssuedToken {
        user: user.as_str().to_owned(),
        token,
        x_user_token: x,
        rotated: rotate,
    })
}
