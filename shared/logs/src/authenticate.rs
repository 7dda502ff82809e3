//! A log user, authenticated by its `X-User-Token`: what `/send_logs` and `GET /logs` both check.

use lookout_core::auth::ct_eq;

use crate::error::LogError;
use crate::store::users::LogUsers;
use crate::tokens::stored_hash;
use crate::usage::Usage;
use crate::user_name::UserName;

/// A log user whose token was checked, with the usage its item holds (read by the same check,
/// so the daily quota and the volume chart cost no other read).
#[derive(Debug, Clone)]
pub struct LogUser {
    pub name: UserName,
    pub usage: Usage,
}

/// `user`, when `x_user_token` is its current token (compared in constant time);
/// [`LogError::TokenMismatch`] for another token or an unknown user. The user's item the
/// store still trusts from an earlier read settles a matching token without a read; anything
/// else (no such item, or another token: perhaps one rotated in since) is checked against the
/// item read now, one read whether or not the user exists.
pub async fn authenticate(
    users: &dyn LogUsers,
    user: &UserName,
    x_user_token: &str,
) -> Result<LogUser, LogError> {
    let presented = stored_hash(x_user_token);
    if let Some((record, usage)) = users.trusted(user) {
        if ct_eq(presented.as_bytes(), record.token_sha256.as_bytes()) {
            return Ok(LogUser {
                name: user.clone(),
                usage,
            });
        }
    }
    let found = users.find(user).await?;
    match found {
        Some((record, usage)) if ct_eq(presented.as_bytes(), record.token_sha256.as_bytes()) => {
            Ok(LogUser {
                name: user.clone(),
                usage,
            })
        }
        Some(_) => Err(LogError::TokenMismatch),
        None => {
            // Same work either way: no timing hint about which users exist.
            let _ = ct_eq(presented.as_bytes(), presented.as_bytes());
            Err(LogError::TokenMismatch)
        }
    }
}

/// The user whose current token `x_user_token` is, for a request that names no user (OTLP's
/// `POST /v1/logs`: the exporter's one header is all it sends): found by the token's hash in
/// the `token` index, then checked against the user's item (a consistent read, compared in
/// constant time), so a token rotated away is refused even while the index still has it.
/// [`LogError::TokenMismatch`] for a token no user has now.
pub async fn authenticate_token(
    users: &dyn LogUsers,
    x_user_token: &str,
) -> Result<LogUser, LogError> {
    let presented = stored_hash(x_user_token);
    let Some(name) = users.find_by_token(&presented).await? else {
        return Err(LogError::TokenMismatch);
    };
    authenticate(users, &name, x_user_token).await
}

/// `user`, named by something other than a request with its token: an incident app linked to
/// it, whose own key was checked ([`LogError::UnknownUser`] when there is no such user).
pub async fn linked_user(users: &dyn LogUsers, user: &UserName) -> Result<LogUser, LogError> {
    match users.find(user).await? {
        Some((_, usage)) => Ok(LogUser {
            name: user.clone(),
            usage,
        }),
        None => Err(LogError::UnknownUser(user.as_str().to_owned())),
    }
}
