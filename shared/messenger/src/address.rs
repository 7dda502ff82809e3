//! A contact's messenger addresses: how each messenger's address is checked and normalised,
//! and the one canonical form every spelling of an address shares.

use serde::{Deserialize, Serialize};

use crate::error::shown;
use crate::outbound::kind::MessengerKind;

/// A contact's address in one messenger, normalised.
pub(crate) fn parse_address(kind: MessengerKind, raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = |rule: &str| Err(format!("{kind} address {}: {rule}", shown(raw)));
    match kind {
        MessengerKind::Telegram => {
            // A numeric chat id (negative for groups), or a username (5-32 of A-Z a-z 0-9 _,
            // with or without '@').
            let digits = s.strip_prefix('-').unwrap_or(s);
            let numeric =
                (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
            let name = s.strip_prefix('@').unwrap_or(s);
            let username = (5..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if numeric {
                // One spelling per chat: "-01001" is chat -1001.
                Ok(canonical_address(kind, s))
            } else if username {
                Ok(s.to_owned())
            } else {
                bad("must be a numeric chat id or a username of 5-32 letters, digits or '_'")
            }
        }
        MessengerKind::WhatsApp => {
            let compact: String = s
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
                .collect();
            let digits = compact.strip_prefix('+').unwrap_or(&compact);
            if (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(compact)
            } else {
                bad("must be a phone number in international format (7-15 digits, '+' optional)")
            }
        }
        MessengerKind::Viber => {
            if (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
                Ok(s.to_owned())
            } else {
                bad("must be a Viber user id (1-64 printable characters without spaces)")
            }
        }
    }
}

/// The one form every spelling of an address shares, for telling whether two addresses reach
/// the same chat (the admin's are compared in this form, on create and again on send):
/// Telegram chat ids as integers (`-01001` is chat `-1001`), usernames case-folded without `@`;
/// WhatsApp numbers as their digits (with or without `+`, separators or a `00` prefix); Viber
/// ids as they are (they are case-sensitive). Works on any text, valid or not.
pub(crate) fn canonical_address(kind: MessengerKind, raw: &str) -> String {
    let s = raw.trim();
    match kind {
        MessengerKind::Telegram => {
            let (negative, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s.strip_prefix('+').unwrap_or(s)),
            };
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let value = digits.trim_start_matches('0');
                match (negative, value.is_empty()) {
                    (_, true) => "0".to_owned(),
                    (true, false) => format!("-{value}"),
                    (false, false) => value.to_owned(),
                }
            } else {
                format!("@{}", s.trim_start_matches('@').to_ascii_lowercase())
            }
        }
        MessengerKind::WhatsApp => {
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            digits.trim_start_matches('0').to_owned()
        }
        MessengerKind::Viber => s.to_owned(),
    }
}

/// A contact's messenger addresses (the seed's `messangers`); at least one is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addresses {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram: Option<String>,
    #[serde(default, rename = "whatsApp", skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viber: Option<String>,
}

impl Addresses {
    pub fn get(&self, kind: MessengerKind) -> Option<&str> {
        match kind {
            MessengerKind::Telegram => self.telegram.as_deref(),
            MessengerKind::WhatsApp => self.whatsapp.as_deref(),
            MessengerKind::Viber => self.viber.as_deref(),
        }
    }

    /// `(kind, address)` of every set address, in the order telegram, whatsApp, viber.
    pub fn iter(&self) -> impl Iterator<Item = (MessengerKind, &str)> {
        MessengerKind::ALL
            .into_iter()
            .filter_map(|k| self.get(k).map(|a| (k, a)))
    }
}
