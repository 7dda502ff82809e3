//! The admin's own messenger addresses (the alert contacts, report-incident's Telegram admin
//! chat). No tenant may make one of them a contact, so no tenant can message the admin's
//! chats through Lookout.

use lookout_core::config::{self, names as env, ConfigError};

use crate::address::{canonical_address, parse_address, Addresses};
use crate::error::{shown, BroadcastError};
use crate::input::Contact;
use crate::outbound::kind::MessengerKind;

/// The admin's messenger addresses for alerts: JSON `{"telegram": "…", "whatsApp": "…",
/// "viber": "…"}` (each optional); empty or unset disables alerts. Its name is in the
/// registry (`lookout_core::config::names`).
pub use lookout_core::config::names::ADMIN_ALERT_CONTACTS;

/// Parses and normalises `ADMIN_ALERT_CONTACTS` (a bad value fails the cold start).
pub fn alert_contacts(raw: Option<&str>) -> Result<Option<Addresses>, ConfigError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let bad = |why: String| ConfigError(format!("{ADMIN_ALERT_CONTACTS}: {why}"));
    let mut to: Addresses = serde_json::from_str(raw).map_err(|e| bad(e.to_string()))?;
    for kind in [
        MessengerKind::Telegram,
        MessengerKind::WhatsApp,
        MessengerKind::Viber,
    ] {
        if let Some(addr) = to.get(kind) {
            let normal = parse_address(kind, addr).map_err(bad)?;
            match kind {
                MessengerKind::Telegram => to.telegram = Some(normal),
                MessengerKind::WhatsApp => to.whatsapp = Some(normal),
                MessengerKind::Viber => to.viber = Some(normal),
            }
        }
    }
    Ok((to.telegram.is_some() || to.whatsapp.is_some() || to.viber.is_some()).then_some(to))
}

/// Addresses no tenant contact may have, in their canonical form ([`canonical_address`]):
/// every spelling of the admin's chats is refused, on create and again on send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reserved(Vec<(MessengerKind, String)>);

impl Reserved {
    /// Every environment variable that names an admin channel. Each function that stores,
    /// sends or delivers a tenant's message has all of them (a wiring test checks the
    /// template), and [`Reserved::from_env`] reads all of them.
    pub const ENV: [&'static str; 2] = [ADMIN_ALERT_CONTACTS, env::TELEGRAM_ADMIN_CHAT_ID];

    /// From `ADMIN_ALERT_CONTACTS` and `TELEGRAM_ADMIN_CHAT_ID` (both optional; a malformed
    /// one fails the cold start).
    pub fn from_env() -> Result<Self, ConfigError> {
        let alerts = alert_contacts(config::optional(ADMIN_ALERT_CONTACTS).as_deref())?;
        let chat = config::optional(env::TELEGRAM_ADMIN_CHAT_ID);
        Self::new(alerts.as_ref(), chat.as_deref())
    }

    pub fn new(
        alerts: Option<&Addresses>,
        telegram_admin_chat: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let mut out: Vec<(MessengerKind, String)> = alerts
            .into_iter()
            .flat_map(|a| a.iter().map(|(k, addr)| (k, canonical_address(k, addr))))
            .collect();
        if let Some(chat) = telegram_admin_chat.map(str::trim).filter(|c| !c.is_empty()) {
            let normal = parse_address(MessengerKind::Telegram, chat)
                .map_err(|e| ConfigError(format!("{}: {e}", env::TELEGRAM_ADMIN_CHAT_ID)))?;
            out.push((
                MessengerKind::Telegram,
                canonical_address(MessengerKind::Telegram, &normal),
            ));
        }
        Ok(Self(out))
    }

    /// Whether `addr` (any spelling) is one of the admin's addresses on `kind`.
    pub fn holds(&self, kind: MessengerKind, addr: &str) -> bool {
        let canonical = canonical_address(kind, addr);
        self.0.iter().any(|(k, a)| *k == kind && *a == canonical)
    }

    /// Refuses a contact with a reserved address.
    pub fn check_addresses(&self, name: &str, addresses: &Addresses) -> Result<(), BroadcastError> {
        match addresses
            .iter()
            .find(|(kind, addr)| self.holds(*kind, addr))
        {
            Some((kind, _)) => Err(BroadcastError::Reserved(format!(
                "contact {}: this {} address is the admin's and cannot be a contact",
                shown(name),
                kind.as_str()
            ))),
            None => Ok(()),
        }
    }

    /// Refuses contacts with a reserved address (all of them, before anything is written).
    pub fn check(&self, contacts: &[Contact]) -> Result<(), BroadcastError> {
        contacts
            .iter()
            .try_for_each(|c| self.check_addresses(c.name.as_str(), &c.addresses))
    }
}

#[cfg(test)]
mod reserved_tests {
    use super::*;
    use crate::input::CreateContacts;

    #[test]
    fn the_admins_chats_cannot_be_contacts() {
        let alerts = alert_contacts(Some(
            r#"{"telegram": "777000111", "viber": "adminViberId="}"#,
        ))
        .unwrap();
        let reserved = Reserved::new(alerts.as_ref(), Some(" -100200300 ")).unwrap();
        let contacts = |json: &str| CreateContacts::from_json(json.as_bytes()).unwrap().contacts;
        let ok = contacts(
            r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"telegram": "12345"}}}"#,
        );
        assert!(reserved.check(&ok).is_ok());
        for bad in [
            r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"telegram": "777000111"}}}"#,
            r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"telegram": "-100200300"}}}"#,
            r#"{"user_name": "u", "contacts": [{"name": "ok", "messangers": {"telegram": "1"}}, {"name": "b", "messangers": {"whatsApp": "+15550001111", "viber": "adminViberId="}}]}"#,
        ] {
            let err = reserved.check(&contacts(bad)).unwrap_err();
            assert!(matches!(err, BroadcastError::Reserved(_)), "{bad}: {err}");
        }
        // The same number on another messenger is someone else's.
        let other = contacts(
            r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"whatsApp": "+777000111"}}}"#,
        );
        assert!(reserved.check(&other).is_ok());
        assert_eq!(Reserved::new(None, None).unwrap(), Reserved::default());
        assert!(Reserved::new(None, Some("not a chat")).is_err());
    }

    /// Every spelling of an admin address is refused: chat ids with leading zeros, usernames
    /// in any case, with or without '@', phone numbers with '+', '00' or separators.
    #[test]
    fn every_spelling_of_an_admin_address_is_reserved() {
        let alerts = alert_contacts(Some(
            r#"{"telegram": "@Lookout_Admin", "whatsApp": "+1 555 000 1111", "viber": "adminViberId="}"#,
        ))
        .unwrap();
        let reserved = Reserved::new(alerts.as_ref(), Some("-1001000000001")).unwrap();
        for (kind, spelling) in [
            (MessengerKind::Telegram, "-1001000000001"),
            (MessengerKind::Telegram, "-01001000000001"),
            (MessengerKind::Telegram, "-001001000000001"),
            (MessengerKind::Telegram, " -0001001000000001 "),
            (MessengerKind::Telegram, "lookout_admin"),
            (MessengerKind::Telegram, "@LOOKOUT_ADMIN"),
            (MessengerKind::WhatsApp, "15550001111"),
            (MessengerKind::WhatsApp, "+15550001111"),
            (MessengerKind::WhatsApp, "0015550001111"),
            (MessengerKind::WhatsApp, "+1 (555) 000-1111"),
            (MessengerKind::Viber, "adminViberId="),
            (MessengerKind::Viber, " adminViberId= "),
        ] {
            assert!(reserved.holds(kind, spelling), "{kind} {spelling:?}");
            // And as a contact, through the parser a request goes through.
            let mut addresses = Addresses::default();
            let parsed = parse_address(kind, spelling).unwrap();
            match kind {
                MessengerKind::Telegram => addresses.telegram = Some(parsed),
                MessengerKind::WhatsApp => addresses.whatsapp = Some(parsed),
                MessengerKind::Viber => addresses.viber = Some(parsed),
            }
            assert!(matches!(
                reserved.check_addresses("x", &addresses),
                Err(BroadcastError::Reserved(_))
            ));
        }
        for (kind, other) in [
            (MessengerKind::Telegram, "1001000000001"),
            (MessengerKind::Telegram, "-10010000000010"),
            (MessengerKind::Telegram, "lookout_admin2"),
            (MessengerKind::WhatsApp, "15550001112"),
            (MessengerKind::Viber, "adminviberid="),
        ] {
            assert!(!reserved.holds(kind, other), "{kind} {other:?}");
        }
        // A numeric chat id is stored in its one spelling.
        assert_eq!(
            parse_address(MessengerKind::Telegram, "-01001000000001").unwrap(),
            "-1001000000001"
        );
        // Every messenger kind has its admin addresses compared: one set per kind.
        for kind in MessengerKind::ALL {
            assert!(
                reserved.0.iter().any(|(k, _)| *k == kind),
                "{kind}: no admin address of this kind was reserved"
            );
        }
    }
}
