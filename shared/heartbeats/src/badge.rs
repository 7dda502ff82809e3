//! The public status badge: `GET /badge/<token>.svg`, a shields-style SVG with the app's id and
//! status (up, late, down, paused, retired). No key is needed to read it, so it can sit in a
//! README or a status page.
//!
//! The token names the app and proves the admin made it: `<app>.<sig>`, where `<app>` is the
//! tenant and app id (base64url) and `<sig>` 128 bits of HMAC-SHA256 of them under a key
//! derived from the admin token's hash (`ADMIN_TOKEN_SHA256`). Without that key a token cannot
//! be made, so badge URLs cannot be guessed; nothing is stored for them and a badge costs one
//! GetItem. Rotating the admin token changes every badge URL (a way to revoke them all).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, KeyInit, Mac};

use super::*;

/// Hex characters of a token's signature.
const SIG_HEX: usize = 32;
/// Longest token (a 64-character tenant and a 128-character app id, encoded, and the signature).
pub const MAX_BADGE_TOKEN: usize = 300;

/// Signs and checks badge tokens.
#[derive(Clone)]
pub struct BadgeKey([u8; 32]);

impl std::fmt::Debug for BadgeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BadgeKey(..)")
    }
}

impl BadgeKey {
    /// The key derived from the admin token's SHA-256 (hex), as functions get it.
    pub fn from_admin_hash(admin_sha256_hex: &str) -> Self {
        let digest = Sha256::digest(format!("lookout-badge\n{admin_sha256_hex}").as_bytes());
        let mut key = [0_u8; 32];
        key.copy_from_slice(&digest);
        Self(key)
    }

    /// `ADMIN_TOKEN_SHA256`.
    pub fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self::from_admin_hash(&config::required(
            config::names::ADMIN_TOKEN_SHA256,
        )?))
    }

    fn sig(&self, app: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(app.as_bytes());
        let tag = mac.finalize().into_bytes();
        tag.iter()
            .take(SIG_HEX / 2)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The badge's path for `tenant`'s app.
    pub fn path(&self, tenant: &str, app_id: &str) -> String {
        let app = URL_SAFE_NO_PAD.encode(format!("{tenant}\n{app_id}"));
        format!("/badge/{app}.{}.svg", self.sig(&app))
    }

    /// The (tenant, app id) a path segment (`<app>.<sig>[.svg]`) names, if its signature holds.
    pub fn open(&self, segment: &str) -> Option<(String, String)> {
        let token = segment.strip_suffix(".svg").unwrap_or(segment);
        if token.len() > MAX_BADGE_TOKEN {
            return None;
        }
        let (app, sig) = token.rsplit_once('.')?;
        let expected = self.sig(app);
        if sig.len() != SIG_HEX || !lookout_core::auth::ct_eq(sig.as_bytes(), expected.as_bytes()) {
            return None;
        }
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(app).ok()?).ok()?;
        let (tenant, app_id) = text.split_once('\n')?;
        Some((tenant.to_owned(), app_id.to_owned()))
    }
}

/// What a badge shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub label: String,
    pub status: &'static str,
}

impl AppRecord {
    /// The badge at `now`: `late` once the app is past its expected time but within its grace.
    pub(crate) fn badge(&self, now: Timestamp) -> Badge {
        let grace_ms = i64::from(self.grace_seconds) * 1000;
        let status = match self.state {
            AppState::Up if millis(now) > self.deadline => "down",
            AppState::Up if millis(now) > self.deadline - grace_ms => "late",
            AppState::Up => "up",
            other => other.as_str(),
        };
        Badge {
            label: self.app_id.clone(),
            status,
        }
    }
}

impl Badge {
    /// A flat two-part SVG (label | status), text escaped, widths from the character counts.
    pub fn svg(&self) -> String {
        let colour = match self.status {
            "up" => "#4c1",
            "late" => "#dfb317",
            "down" => "#e05d44",
            _ => "#9f9f9f",
        };
        let label = escape(&self.label);
        let char_w = 7;
        let lw = 10 + char_w * self.label.chars().count();
        let sw = 10 + char_w * self.status.len();
        let w = lw + sw;
        let (lx, sx) = (lw / 2, lw + sw / 2);
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{label}: {status}"><title>{label}: {status}</title><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{sw}" height="20" fill="{colour}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="{lx}" y="14">{label}</text><text x="{sx}" y="14">{status}</text></g></svg>"##,
            status = self.status,
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl HeartbeatStore {
    /// The badge of `tenant`'s app at `now`; `None` if there is no such app.
    pub async fn badge(
        &self,
        tenant: &str,
        app_id: &str,
        now: Timestamp,
    ) -> Result<Option<Badge>, HeartbeatError> {
        Ok(self
            .get(&app_pk(tenant, app_id))
            .await?
            .map(|r| r.badge(now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_open_only_with_their_key_and_unaltered() {
        let key = BadgeKey::from_admin_hash("aa");
        let path = key.path("acme", "db:main");
        let segment = path.trim_start_matches("/badge/");
        assert_eq!(
            key.open(segment),
            Some(("acme".to_owned(), "db:main".to_owned()))
        );
        assert_eq!(
            key.open(segment.trim_end_matches(".svg")),
            Some(("acme".to_owned(), "db:main".to_owned()))
        );
        assert_eq!(BadgeKey::from_admin_hash("bb").open(segment), None);
        let other = key.path("acme", "db:replica");
        let (app, _) = segment.rsplit_once('.').unwrap_or_default();
        let (_, sig) = other
            .trim_start_matches("/badge/")
            .split_once('.')
            .unwrap_or_default();
        assert_eq!(
            key.open(&format!("{app}.{sig}")),
            None,
            "a signature of another app"
        );
        for bad in ["", "abc", "x.y", &"a".repeat(400)] {
            assert_eq!(key.open(bad), None, "{bad}");
        }
    }

    #[test]
    fn status_follows_the_deadline_and_text_is_escaped() {
        let t0 = Timestamp::parse_str("2030-01-01T00:00:00Z").unwrap_or_else(|e| panic!("{e}"));
        let tenant = Tenant::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        let rec = AppRecord::new(&tenant, &AppId("a<b>".into()), t0, 60, 60);
        let at = |s: i64| from_millis(millis(t0) + s * 1000);
        assert_eq!(rec.badge(at(30)).status, "up");
        assert_eq!(rec.badge(at(90)).status, "late");
        assert_eq!(rec.badge(at(121)).status, "down");
        let svg = rec.badge(at(0)).svg();
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
        assert!(
            svg.contains(">a&lt;b&gt;</text>") && !svg.contains("a<b>"),
            "{svg}"
        );
        assert!(svg.contains("fill=\"#4c1\""), "{svg}");
    }
}
