//! What the messenger routes answer: typed, serialised with the seed's field names; and the
//! failed deliveries as the console overview counts them.

use std::collections::BTreeMap;

use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};

use lookout_core::time::{Timestamp, Zone};

use crate::address::Addresses;
use crate::ids::SendId;
use crate::input::ContactName;
use crate::outbound::kind::MessengerKind;
use crate::records::DeliveryRecord;

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

/// One entry of `/api/get_failed_mess`: the seed's fields plus what explains the failure.
#[derive(Debug, Clone, Serialize)]
pub struct FailedOut {
    pub sender: String,
    pub message: String,
    pub contact: String,
    pub url: String,
    /// When the message was due, `[Y, M, D, h, m, s]` UTC as in the seed.
    pub time: [u32; 6],
    pub messenger: MessengerKind,
    pub address: String,
    pub error: String,
    #[serde(rename = "failedAt")]
    pub failed_at: Timestamp,
    pub attempts: u32,
    #[serde(rename = "deliveryId")]
    pub delivery_id: String,
}

/// A page of failed deliveries, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct FailedPage {
    pub data: Vec<FailedOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `[Y, M, D, h, m, s]` of a timestamp.
pub fn time_parts(t: Timestamp) -> [u32; 6] {
    let d = t.datetime();
    [
        u32::try_from(d.year()).unwrap_or(0),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
    ]
}

/// A failed delivery as `/api/get_failed_mess` lists it.
impl From<DeliveryRecord> for FailedOut {
    fn from(d: DeliveryRecord) -> Self {
        Self {
            sender: d.user_name,
            message: d.message.unwrap_or_default(),
            contact: d.contact,
            url: d.url.unwrap_or_default(),
            time: time_parts(d.scheduled_at),
            messenger: d.messenger,
            address: d.address,
            error: d.last_error.unwrap_or_default(),
            failed_at: d.failed_at.unwrap_or(d.updated_at),
            attempts: d.attempts,
            delivery_id: d.delivery_id,
        }
    }
}

/// A failed delivery, as the console overview lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedDelivery {
    #[serde(rename = "deliveryId")]
    pub delivery_id: String,
    pub tenant: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub contact: String,
    pub messenger: MessengerKind,
    #[serde(rename = "failedAt")]
    pub failed_at: Timestamp,
    #[serde(rename = "lastError", default)]
    pub last_error: Option<String>,
}

/// Failed deliveries since a time, across tenants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailedSince {
    pub count: u64,
    pub recent: Vec<FailedDelivery>,
    /// More than [`MAX_FAILED_READ`](crate::store::failed::MAX_FAILED_READ) failed: `count`
    /// stops there.
    pub truncated: bool,
}
