//! The generic webhook's signature, as Stripe and Slack sign theirs: HMAC-SHA256 under the
//! channel's secret over `<timestamp>.<body>`, sent as `Lookout-Signature: t=<timestamp>,v1=<hex>`.
//! The timestamp in the signed text lets a receiver refuse a replayed request once it is
//! older than its tolerance; several `v1=` are accepted so a secret can be rotated.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Lookout-Signature";

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not `t=<unix seconds>,v1=<64 hex digits>[,v1=…]`.
    #[error("signature header is malformed")]
    Malformed,
    /// The timestamp is further from now than the tolerance (a replay, or a skewed clock).
    #[error("signature timestamp is outside the tolerance")]
    Expired,
    /// No `v1` matches the body under this secret.
    #[error("signature does not match")]
    Mismatch,
}

/// HMAC-SHA256 over `<timestamp>.<body>` under `secret`.
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    // HMAC takes a key of any length; the error is the trait's, never HMAC's.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The `Lookout-Signature` value for `body` sent at `timestamp` (unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>." + body>`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("t={timestamp},v1={tag}")
}

/// Checks a `Lookout-Signature` `header` for `body` at `now` (unix seconds): its timestamp
/// within `tolerance_secs` of `now` either way, and one of its `v1` signatures that of `body`
/// under `secret` (compared in constant time).
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" if timestamp.is_none() => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            "t" => return Err(SignatureError::Malformed),
            "v1" => signatures.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?),
            // Other schemes (a future v2) are skipped, as Stripe's receivers do.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if timestamp.abs_diff(now) > tolerance_secs.max(0).unsigned_abs() {
        return Err(SignatureError::Expired);
    }
    let matches = signatures
        .iter()
        .any(|sig| mac(secret, timestamp, body).is_some_and(|m| m.verify_slice(sig).is_ok()));
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1"}"#;

    #[test]
    fn signs_timestamp_dot_body_as_the_known_vector() {
        // Computed independently with Python's hmac module:
        // hmac.new(b"whsec_test", b'1700000000.{"id":"evt_1"}', sha256).hexdigest()
        assert_eq!(
            sign(SECRET, 1_700_000_000, BODY),
            "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
        );
    }

    #[test]
    fn verifies_its_own_signature_within_the_tolerance() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_000, 300), Ok(()));
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_300, 300), Ok(()));
        assert_eq!(
            verify(SECRET, &header, BODY, 1_699_999_700, 300),
            Ok(()),
            "clock skew"
        );
        assert_eq!(
            verify(SECRET, &header, BODY, 1_700_000_301, 300),
            Err(SignatureError::Expired),
            "an old request is a replay"
        );
    }

    #[test]
    fn refuses_other_bodies_secrets_and_timestamps() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        let now = 1_700_000_010;
        assert_eq!(
            verify(SECRET, &header, br#"{"id":"evt_2"}"#, now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", &header, BODY, now, 300),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed: moving it breaks the signature.
        let moved = header.replace("t=1700000000", "t=1700000005");
        assert_eq!(
            verify(SECRET, &moved, BODY, now, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn accepts_any_of_several_signatures_and_refuses_malformed_headers() {
        let good = sign(SECRET, 1_700_000_000, BODY);
        let (_, tag) = good.split_once(",v1=").unwrap_or_default();
        let rotated = format!("t=1700000000,v1={},v1={tag}", "00".repeat(32));
        assert_eq!(verify(SECRET, &rotated, BODY, 1_700_000_000, 60), Ok(()));
        let with_v0 = format!("t=1700000000,v0=zz,v1={tag}");
        assert_eq!(verify(SECRET, &with_v0, BODY, 1_700_000_000, 60), Ok(()));
        for bad in [
            "",
            "t=1700000000",
            &format!("v1={tag}"),
            &format!("t=abc,v1={tag}"),
            "t=1700000000,v1=nothex",
            &format!("t=1,t=1700000000,v1={tag}"),
            "garbage",
        ] {
            assert_eq!(
                verify(SECRET, bad, BODY, 1_700_000_000, 60),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
        // Far-away timestamps do not overflow.
        let ancient = sign(SECRET, i64::MIN, BODY);
        assert_eq!(
            verify(SECRET, &ancient, BODY, i64::MAX, 60),
            Err(SignatureError::Expired)
        );
    }
}
