//! The admin's own messenger addresses (the alert contacts, report-incident's Telegram admin
//! chat). No tenant may make one of them a contact, so no tenant can message the admin's
//! chats through Lookout.

use super::*;

/// The admin's messenger addresses for alerts: JSON `{"telegram": "…", "whatsApp": "…",
/// "viber": "…"}` (each optional); empty or unset disables alerts.
pub const ADMIN_ALERT_CONTACTS: &str = "ADMIN_ALERT_CONTACTS";

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

/// Addresses no tenant contact may have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reserved(Vec<(MessengerKind, String)>);

impl Reserved {
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
            .flat_map(|a| a.iter().map(|(k, addr)| (k, addr.to_owned())))
            .collect();
        if let Some(chat) = telegram_admin_chat.map(str::trim).filter(|c| !c.is_empty()) {
            let normal = parse_address(MessengerKind::Telegram, chat)
                .map_err(|e| ConfigError(format!("{}: {e}", env::TELEGRAM_ADMIN_CHAT_ID)))?;
            out.push((MessengerKind::Telegram, normal));
        }
        Ok(Self(out))
    }

    /// Refuses contacts with a reserved address (all of them, before anything is written).
    pub fn check(&self, contacts: &[Contact]) -> Result<(), BroadcastError> {
        for c in contacts {
            for (kind, addr) in c.addresses.iter() {
                if self.0.iter().any(|(k, a)| *k == kind && a == addr) {
                    return Err(BroadcastError::Reserved(format!(
                        "contact {}: this {} address is the admin's and cannot be a contact",
                        shown(c.name.as_str()),
                        kind.as_str()
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod reserved_tests {
    use super::*;

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
            assert_eq!(lookout_core::AppError::from(err).status().as_u16(), 403);
        }
        // The same number on another messenger is someone else's.
        let other = contacts(
            r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"whatsApp": "+777000111"}}}"#,
        );
        assert!(reserved.check(&other).is_ok());
        assert_eq!(Reserved::new(None, None).unwrap(), Reserved::default());
        assert!(Reserved::new(None, Some("not a chat")).is_err());
    }
}
