//! The stored form of an API key (only its hash is kept) and what it says: its scopes, whether
//! it has expired, how the admin's listing shows it.

use serde::{Deserialize, Serialize};

use lookout_core::time::Timestamp;

use crate::scope::Scope;
use crate::views::KeyView;

/// Stored form of an API key: only its hash is kept (`pk`, the table's key). Built by
/// [`issue`](crate::issue::issue) and read back through the [`KeyRecords`](crate::KeyRecords) port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    /// The SHA-256 of the key (hex).
    pub(crate) pk: String,
    pub(crate) key_id: String,
    pub(crate) tenant: String,
    pub(crate) label: String,
    pub(crate) created_at: Timestamp,
    #[serde(default)]
    pub(crate) revoked: bool,
    /// Empty: every scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) scopes: Vec<Scope>,
    /// When the key stops working (epoch seconds; also the TTL that removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_used_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) revoked_at: Option<Timestamp>,
}

/// The time `secs` seconds after the epoch (`None` outside 1970..=9999).
pub(crate) fn from_secs(secs: i64) -> Option<Timestamp> {
    chrono::DateTime::from_timestamp(secs, 0).and_then(Timestamp::from_datetime)
}

impl ApiKeyRecord {
    /// The key's id (what the admin names it by).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The key's tenant.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The scopes the key may be used for (all when it was issued without).
    pub fn scopes(&self) -> Vec<Scope> {
        if self.scopes.is_empty() {
            Scope::ALL.to_vec()
        } else {
            self.scopes.clone()
        }
    }

    /// Past its expiry at `now` (to the second). A revoked key is not "expired": its
    /// `expiresAt` is when its record goes, not a term of the key.
    pub fn expired(&self, now: Timestamp) -> bool {
        !self.revoked && self.expires_at.is_some_and(|e| now.unix_seconds() >= e)
    }

    /// The key as the admin's listing shows it at `now`.
    pub fn view(&self, now: Timestamp) -> KeyView {
        KeyView {
            key_id: self.key_id.clone(),
            label: self.label.clone(),
            created_at: self.created_at,
            scopes: self.scopes(),
            // A revoked key's `expiresAt` is when its record goes, not a term of the key.
            expires_at: if self.revoked {
                None
            } else {
                self.expires_at.and_then(from_secs)
            },
            last_used_at: self.last_used_at,
            revoked: self.revoked,
            revoked_at: self.revoked_at,
            active: !self.revoked && !self.expired(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    fn record(scopes: Vec<Scope>, expires_at: Option<&str>, revoked: bool) -> ApiKeyRecord {
        ApiKeyRecord {
            pk: "h".into(),
            key_id: "k".into(),
            tenant: "acme".into(),
            label: "cron".into(),
            created_at: ts("2026-01-01T00:00:00Z"),
            revoked,
            scopes,
            expires_at: expires_at.map(|e| ts(e).unix_seconds()),
            last_used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_key_without_scopes_has_all_and_expiry_is_exact_to_the_second() {
        let now = ts("2026-06-01T12:00:00Z");
        let all = record(vec![], None, false);
        assert_eq!(all.scopes(), Scope::ALL.to_vec());
        assert!(all.view(now).active);
        let hb = record(vec![Scope::Heartbeats], Some("2026-06-01T12:00:01Z"), false);
        assert_eq!(hb.scopes(), vec![Scope::Heartbeats]);
        assert!(!hb.expired(now));
        assert!(hb.expired(ts("2026-06-01T12:00:01Z")));
        assert!(!hb.view(ts("2026-06-02T00:00:00Z")).active);
        let revoked = record(vec![], Some("2026-07-01T00:00:00Z"), true);
        let v = revoked.view(now);
        assert!(!v.active && v.revoked && v.expires_at.is_none());
        assert_eq!(
            serde_json::to_value(Scope::Heartbeats).unwrap(),
            serde_json::json!("heartbeats")
        );
    }

    #[test]
    fn the_stored_form_keeps_its_attribute_names() {
        let mut r = record(vec![Scope::Tracker], Some("2026-06-01T12:00:01Z"), false);
        r.last_used_at = Some(ts("2026-05-01T00:00:00Z"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "pk": "h", "keyId": "k", "tenant": "acme", "label": "cron",
                "createdAt": "2026-01-01T00:00:00.000Z", "revoked": false,
                "scopes": ["tracker"], "expiresAt": 1_780_315_201_i64,
                "lastUsedAt": "2026-05-01T00:00:00.000Z",
            })
        );
        let without = record(vec![], None, false);
        let json = serde_json::to_value(&without).unwrap();
        assert!(json.get("scopes").is_none() && json.get("expiresAt").is_none());
    }
}
