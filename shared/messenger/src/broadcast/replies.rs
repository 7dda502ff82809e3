//! What the messenger routes answer: typed, serialised with the seed's field names.

use super::*;

/// `POST /api/contacts`: the seed's `{"success": true}`, and the user's default zone when set.
#[derive(Debug, Clone, Serialize)]
pub struct ContactsSaved {
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<Zone>,
}

/// A contact's addresses as the seed lists them: every messenger, `""` when unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeedAddresses {
    pub telegram: String,
    #[serde(rename = "whatsApp")]
    pub whatsapp: String,
    pub viber: String,
}

impl From<&Addresses> for SeedAddresses {
    fn from(a: &Addresses) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            telegram: text(&a.telegram),
            whatsapp: text(&a.whatsapp),
            viber: text(&a.viber),
        }
    }
}

/// `GET /api/contacts`: contacts by name, and the user's default zone when set.
#[derive(Debug, Clone, Serialize)]
pub struct ContactList {
    pub contacts: BTreeMap<String, SeedAddresses>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<Zone>,
}

/// `DELETE /api/contacts`: which of the named contacts did not exist.
#[derive(Debug, Clone, Serialize)]
pub struct ContactsDeleted {
    pub success: bool,
    pub not_found: Vec<ContactName>,
}

/// A name of a send that is not a contact of the user.
#[derive(Debug, Clone, Serialize)]
pub struct WrongContact {
    pub name: String,
    pub error: &'static str,
}

impl WrongContact {
    /// The seed's error for a name that is not in the user's contacts.
    pub fn unknown(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            error: "no contact in base",
        }
    }
}

/// `PUT /api/contacts`: the seed's `success` and `wrong_contacts`, and what was queued.
#[derive(Debug, Clone, Serialize)]
pub struct SendAccepted {
    pub success: bool,
    pub wrong_contacts: Vec<WrongContact>,
    #[serde(rename = "sendId")]
    pub send_id: SendId,
    pub scheduled: bool,
    #[serde(rename = "scheduledAt")]
    pub scheduled_at: Timestamp,
    /// The zone a wall-clock `time` was read in (`null` for an instant or no time).
    #[serde(rename = "timeZone")]
    pub time_zone: Option<Zone>,
    pub deliveries: usize,
}
