//! How an API key's refusal answers over HTTP: 401 for no key, an unknown, revoked or expired
//! one; 403 for a key used outside its scopes.

use lookout_keys::KeyError;

use crate::error::AppError;

impl From<KeyError> for AppError {
    fn from(err: KeyError) -> Self {
        match err {
            KeyError::Missing | KeyError::Unknown | KeyError::Revoked | KeyError::Expired => {
                Self::Unauthorized(err.to_string())
            }
            KeyError::OutOfScope { .. } => Self::Forbidden(err.to_string()),
            KeyError::BadExpiry => Self::Validation(err.to_string()),
            KeyError::NotFound(msg) => Self::NotFound(msg),
            KeyError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_core::StoreError;

    #[test]
    fn each_refusal_gets_its_status() {
        let status = |e: KeyError| AppError::from(e).status().as_u16();
        for refused in [
            KeyError::Missing,
            KeyError::Unknown,
            KeyError::Revoked,
            KeyError::Expired,
        ] {
            assert_eq!(status(refused), 401);
        }
        let scoped = KeyError::OutOfScope {
            granted: "heartbeats".into(),
            wanted: "tracker",
        };
        assert_eq!(
            scoped.to_string(),
            "this API key is for heartbeats, not tracker"
        );
        assert_eq!(status(scoped), 403);
        assert_eq!(status(KeyError::BadExpiry), 400);
        assert_eq!(status(KeyError::NotFound("x".into())), 404);
        assert_eq!(status(KeyError::Store(StoreError::invariant("x"))), 500);
    }
}
