//! Sealing the channels' secrets (webhook URLs, signing secrets) before they are stored:
//! AES-256-GCM under a key derived from the stack's `AlertsSecret` (Secrets Manager, generated
//! at the first deploy, read once per cold start by the functions that seal or open), a fresh
//! random nonce per value, and the tenant and channel id as associated data, so a sealed value
//! copied to another channel or tenant does not open. Stored as `v1.<base64url(nonce ‖
//! ciphertext ‖ tag)>`.
//!
//! The same secret signs the acknowledgement links in alerts ([`Sealer::ack_token`]):
//! `<base64url(tenant \n incident \n expiry)>.<128 bits of HMAC-SHA256, hex>` under a key of
//! its own derived from it. Without the secret no link can be made; a link names one incident
//! and stops working at its expiry.
//!
//! It also makes the two Telegram credentials ([`Sealer::telegram_secret`],
//! [`Sealer::telegram_callback`]): the `secret_token` Telegram sends with each update to a
//! tenant's webhook route (so only Telegram, told it at `setWebhook`, reaches the route), and
//! an "Acknowledge" button's `callback_data` (`a:<incident>:<64 bits of HMAC, hex>`, within
//! Telegram's 64 bytes), which binds the incident to the tenant: a tenant's bot cannot send a
//! button that acknowledges another tenant's incident.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use lookout_core::config;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::digest::{digest, SHA256};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::AlertError;

const PREFIX: &str = "v1.";

/// Hex characters of an acknowledgement link's signature.
const ACK_SIG_HEX: usize = 32;
/// Longest acknowledgement token taken.
pub const MAX_ACK_TOKEN: usize = 600;
/// Telegram's limit on a button's `callback_data`, in bytes.
const TELEGRAM_CALLBACK_MAX: usize = 64;

/// Whether `a` and `b` are equal, compared in constant time for their length (every byte,
/// whatever differs first).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Seals and opens channel secrets, and signs and checks acknowledgement links.
#[derive(Clone)]
pub struct Sealer {
    aead: [u8; 32],
    ack: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// The key derived from the secret's value.
    pub fn from_secret(secret: &str) -> Self {
        let derive = |label: &str| {
            let d = digest(&SHA256, format!("{label}\n{secret}").as_bytes());
            let mut key = [0_u8; 32];
            key.copy_from_slice(d.as_ref());
            key
        };
        Self {
            aead: derive("lookout-alerts-seal"),
            ack: derive("lookout-alerts-ack"),
        }
    }

    fn ack_sig(&self, payload: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.ack);
        let tag = hmac::sign(&key, payload.as_bytes());
        hex::encode(tag.as_ref())[..ACK_SIG_HEX].to_owned()
    }

    /// A token that acknowledges `tenant`'s `incident` until `expires_unix` (seconds).
    pub fn ack_token(&self, tenant: &str, incident: &str, expires_unix: i64) -> String {
        let payload = URL_SAFE_NO_PAD.encode(format!("{tenant}\n{incident}\n{expires_unix}"));
        let sig = self.ack_sig(&payload);
        format!("{payload}.{sig}")
    }

    /// The (tenant, incident) a token names, if its signature holds and it has not expired at
    /// `now_unix`.
    pub fn open_ack(&self, token: &str, now_unix: i64) -> Option<(String, String)> {
        if token.len() > MAX_ACK_TOKEN {
            return None;
        }
        let (payload, sig) = token.rsplit_once('.')?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.ack);
        let full = hmac::sign(&key, payload.as_bytes());
        let want = hex::encode(full.as_ref());
        if !same(sig, &want[..ACK_SIG_HEX]) {
            return None;
        }
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let mut parts = text.splitn(3, '\n');
        let (tenant, incident, expires) = (parts.next()?, parts.next()?, parts.next()?);
        let expires: i64 = expires.parse().ok()?;
        (now_unix <= expires).then(|| (tenant.to_owned(), incident.to_owned()))
    }

    /// The `secret_token` of `tenant`'s Telegram webhook route (32 hex characters, within the
    /// characters Telegram allows).
    pub fn telegram_secret(&self, tenant: &str) -> String {
        self.ack_sig(&format!("telegram-webhook\n{tenant}"))
    }

    /// Whether `given` is `tenant`'s Telegram `secret_token` (compared in constant time).
    pub fn telegram_secret_matches(&self, tenant: &str, given: &str) -> bool {
        same(given, &self.telegram_secret(tenant))
    }

    /// The `callback_data` of the "Acknowledge" button on `tenant`'s alert about `incident`:
    /// `a:<incident>:<16 hex>`, or none when it would pass Telegram's 64 bytes.
    pub fn telegram_callback(&self, tenant: &str, incident: &str) -> Option<String> {
        let sig = self.telegram_callback_sig(tenant, incident);
        let data = format!("a:{incident}:{sig}");
        (data.len() <= TELEGRAM_CALLBACK_MAX).then_some(data)
    }

    /// The incident a button's `callback_data` acknowledges, if it is `tenant`'s.
    pub fn open_telegram_callback(&self, tenant: &str, data: &str) -> Option<String> {
        if data.len() > TELEGRAM_CALLBACK_MAX {
            return None;
        }
        let (incident, sig) = data.strip_prefix("a:")?.rsplit_once(':')?;
        (!incident.is_empty() && same(sig, &self.telegram_callback_sig(tenant, incident)))
            .then(|| incident.to_owned())
    }

    fn telegram_callback_sig(&self, tenant: &str, incident: &str) -> String {
        self.ack_sig(&format!("telegram-button\n{tenant}\n{incident}"))[..16].to_owned()
    }

    /// The secret named by `ALERTS_SECRET_ARN`, read from Secrets Manager. An empty or
    /// unreadable secret stops the start: nothing may be sealed under a guessable key.
    pub async fn from_env(sdk: &lookout_core::aws::SdkConfig) -> Result<Self, config::ConfigError> {
        let arn = config::required(config::names::ALERTS_SECRET_ARN)?;
        let out = aws_sdk_secretsmanager::Client::new(sdk)
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .map_err(|e| {
                config::ConfigError(format!(
                    "alerts secret {arn}: {}",
                    lookout_core::error::error_chain(&e)
                ))
            })?;
        match out.secret_string().map(str::trim) {
            Some(s) if s.len() >= 32 => Ok(Self::from_secret(s)),
            _ => Err(config::ConfigError(format!(
                "alerts secret {arn}: empty or shorter than 32 characters"
            ))),
        }
    }

    fn key(&self) -> Result<LessSafeKey, AlertError> {
        UnboundKey::new(&AES_256_GCM, &self.aead)
            .map(LessSafeKey::new)
            .map_err(|_| AlertError::Sealed)
    }

    /// `plain` sealed, bound to `context` (the tenant and channel).
    pub fn seal(&self, plain: &[u8], context: &str) -> Result<String, AlertError> {
        let mut nonce = [0_u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| AlertError::Sealed)?;
        let mut data = plain.to_vec();
        self.key()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| AlertError::Sealed)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// What [`seal`](Self::seal) sealed with the same `context`; [`AlertError::Sealed`] for
    /// anything else.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, AlertError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .ok_or(AlertError::Sealed)?;
        if raw.len() < NONCE_LEN {
            return Err(AlertError::Sealed);
        }
        let (nonce, data) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| AlertError::Sealed)?;
        let mut data = data.to_vec();
        let plain = self
            .key()?
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| AlertError::Sealed)?;
        Ok(plain.to_vec())
    }
}
