//! Messenger broadcast (seed 003): a user's contacts, sends to them now or at a time, and each
//! delivery's life, over one DynamoDB table, the messenger queue and EventBridge Scheduler;
//! and the outbound side, the Telegram / WhatsApp / Viber adapters behind [`MessengerApi`].
//!
//! From a route to the table in three hops: a function (`functions/messenger/<name>`) parses
//! its request and calls a use case here ([`send`], [`run_job`], [`save_contacts`], …), which
//! reads and writes through store ports, one per aggregate ([`Contacts`], [`Sends`],
//! [`Deliveries`], [`FailedDeliveries`], [`UsageCounts`]), each in its own file under `store/`
//! with its DynamoDB adapter (held together by [`BroadcastStore`]; layout there). The
//! in-memory adapters ([`MemoryBroadcastStore`]) run the use cases in unit tests.
//!
//! ## Delivery state machine
//! `pending → sending → sent | failed`, and `sending → pending` for a transient failure that
//! is retried. Every transition is conditional ([`Deliveries`]: a conditional write in
//! [`DeliveryStore`]); what a failed attempt becomes is decided purely ([`RetryPolicy`]).

mod address;
mod contacts;
mod deliver;
mod deps;
mod dispatch;
mod error;
mod failed;
mod ids;
mod input;
mod memory_dispatch;
mod outbound;
mod records;
mod replies;
mod reserved;
mod retry;
mod send;
mod store;
#[cfg(test)]
mod tests;

// Use cases: what the functions call.
pub use contacts::{delete_contacts, list_contacts, save_contacts};
pub use deliver::{deliver, run_job, JobOutcome, JobPorts};
pub use failed::list_failed;
pub use send::{send, SendCommand, SendPorts};

// Stores, one per aggregate: the ports, their DynamoDB adapters (and what the ports answer),
// their in-memory adapters; and the routes' dependencies.
pub use deps::Deps;
pub use store::contacts::{ContactStore, Contacts};
pub use store::deliveries::{Claim, Deliveries, DeliveryStore};
pub use store::failed::{FailedDeliveries, FailedStore};
pub use store::memory::contacts::MemoryContacts;
pub use store::memory::deliveries::MemoryDeliveries;
pub use store::memory::failed::MemoryFailedDeliveries;
pub use store::memory::sends::MemorySends;
pub use store::memory::usage::MemoryUsageCounts;
pub use store::memory::{MemoryBroadcastStore, MemoryFault};
pub use store::sends::{KeyedSend, SendStore, Sends};
pub use store::usage::{UsageCounts, UsageStore};
pub use store::BroadcastStore;

// The queue and the scheduler (ports, their AWS adapter, their in-memory adapter), and the
// retry policy.
pub use dispatch::{
    queue_fanout, schedule_name, Dispatcher, JobQueue, JobScheduler, ScheduleTarget,
};
pub use memory_dispatch::{Dispatched, MemoryDispatch};
pub use retry::RetryPolicy;

// Types: requests, ids and jobs, stored records, replies, the admin's reserved addresses.
pub use address::Addresses;
pub use ids::{DeliveryId, IdempotencyKey, Job, SendId};
pub use input::{
    get_params, Contact, ContactName, CreateContacts, DeleteContacts, FailedQuery, SendMessage,
    UserName, BODY_LIMIT,
};
pub use records::{DeliveryRecord, SendRecord, Status, UserSettings};
pub use replies::{
    time_parts, ContactList, ContactsDeleted, ContactsSaved, FailedDelivery, FailedOut, FailedPage,
    FailedSince, SeedAddresses, SendAccepted, WrongContact,
};
pub use reserved::{alert_contacts, Reserved, ADMIN_ALERT_CONTACTS};

// The outbound side: the messengers, their port and adapters, their settings and limits.
pub use outbound::client::Messenger;
pub use outbound::error::Delivered;
pub use outbound::kind::MessengerKind;
pub use outbound::lazy::LazyMessenger;
pub use outbound::limits::{text_units, MAX_TEXT_CHARS, TELEGRAM_MAX_TEXT};
pub use outbound::memory::{MemoryMessenger, Sent};
pub use outbound::port::MessengerApi;
pub use outbound::settings::{
    MessengerConfig, MessengerTokens, TelegramConfig, ViberConfig, WhatsAppConfig,
};

// Errors.
pub use error::BroadcastError;
pub use outbound::error::MessengerError;

/// The old paths of the names that crates outside this crate's owners still import
/// (`admin-overview`, the heartbeats' overview test: `broadcast::{BroadcastStore,
/// FailedSince}`); they go when those imports name the crate root.
pub mod broadcast {
    pub use crate::{BroadcastStore, FailedSince};
}

/// The old paths of the names that crates outside this crate's owners still import
/// (`report-incident`, the incidents' tests: `messenger::…`); they go when those imports name
/// the crate root.
pub mod messenger {
    pub use crate::{
        text_units, LazyMessenger, MemoryMessenger, Messenger, MessengerApi, MessengerConfig,
        MessengerKind, TELEGRAM_MAX_TEXT,
    };
}
