//! What the use-case tests run on: the in-memory stores, queue, messenger and a manual clock,
//! and the requests as the routes parse them.

use lookout_core::auth::Tenant;
use lookout_core::quota::Quotas;
use lookout_core::time::{ManualClock, Timestamp};

use crate::address::Addresses;
use crate::contacts::save_contacts;
use crate::deliver::{run_job, JobOutcome, JobPorts};
use crate::error::BroadcastError;
use crate::ids::{DeliveryId, IdempotencyKey, Job, SendId};
use crate::input::{CreateContacts, SendMessage, UserName};
use crate::memory_dispatch::{Dispatched, MemoryDispatch};
use crate::outbound::error::{Delivered, MessengerError};
use crate::outbound::kind::MessengerKind;
use crate::outbound::memory::MemoryMessenger;
use crate::records::DeliveryRecord;
use crate::replies::{ContactsSaved, SendAccepted};
use crate::reserved::Reserved;
use crate::retry::RetryPolicy;
use crate::send::{send, SendCommand, SendPorts};
use crate::store::memory::MemoryBroadcastStore;

/// Where the clock starts: 10:00 UTC.
pub(super) const START: &str = "2030-01-01T10:00:00Z";

/// The admin's Telegram chat: no tenant's message may reach it.
pub(super) const ADMIN_CHAT: &str = "-100999";

pub(super) fn ts(s: &str) -> Timestamp {
    Timestamp::parse_str(s).unwrap()
}

/// `[Y, M, D, h, m, s]` of a time, as the failed list shows when a message was due.
pub(super) fn time_parts_of(s: &str) -> [u32; 6] {
    crate::replies::time_parts(ts(s))
}

pub(super) fn tenant(s: &str) -> Tenant {
    Tenant::parse(s).unwrap()
}

pub(super) fn user(s: &str) -> UserName {
    UserName::parse(s).unwrap()
}

pub(super) fn telegram(address: &str) -> Addresses {
    Addresses {
        telegram: Some(address.to_owned()),
        ..Addresses::default()
    }
}

pub(super) fn unavailable(status: u16) -> Result<Delivered, MessengerError> {
    Err(MessengerError::Unavailable {
        kind: MessengerKind::Telegram,
        status: Some(status),
        detail: "try later".into(),
    })
}

pub(super) fn rejected() -> Result<Delivered, MessengerError> {
    Err(MessengerError::Rejected {
        kind: MessengerKind::Telegram,
        status: 400,
        detail: "chat not found".into(),
    })
}

pub(super) fn deliver_job(id: &DeliveryId) -> Job {
    Job::Deliver {
        delivery_id: id.clone(),
    }
}

/// Everything a use case reads, writes and emits through, in memory.
#[derive(Debug)]
pub(super) struct World {
    pub store: MemoryBroadcastStore,
    pub dispatch: MemoryDispatch,
    pub messenger: MemoryMessenger,
    pub clock: ManualClock,
    pub quotas: Quotas,
    pub reserved: Reserved,
    pub policy: RetryPolicy,
    pub alert_to: Option<Addresses>,
}

impl World {
    pub fn new() -> Self {
        Self {
            store: MemoryBroadcastStore::default(),
            dispatch: MemoryDispatch::default(),
            messenger: MemoryMessenger::default(),
            clock: ManualClock::new(ts(START)),
            quotas: Quotas::default(),
            reserved: Reserved::new(None, Some(ADMIN_CHAT)).unwrap(),
            policy: RetryPolicy::default(),
            alert_to: None,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn send_ports(&self) -> SendPorts<'_> {
        SendPorts {
            contacts: &self.store.contacts,
            sends: &self.store.sends,
            usage: &self.store.usage,
            queue: &self.dispatch,
            scheduler: &self.dispatch,
            quotas: &self.quotas,
            reserved: &self.reserved,
        }
    }

    pub fn job_ports(&self) -> JobPorts<'_> {
        JobPorts {
            sends: &self.store.sends,
            deliveries: &self.store.deliveries,
            queue: &self.dispatch,
            messenger: &self.messenger,
            policy: &self.policy,
            alert_to: self.alert_to.as_ref(),
            reserved: &self.reserved,
            clock: &self.clock,
        }
    }

    /// `POST /api/contacts` with `body` for `tenant`.
    pub async fn save(&self, tenant: &Tenant, body: &str) -> Result<ContactsSaved, BroadcastError> {
        let input = CreateContacts::from_json(body.as_bytes())?;
        save_contacts(
            &self.store.contacts,
            &self.reserved,
            tenant,
            &input,
            self.now(),
        )
        .await
    }

    /// `PUT /api/contacts` with `body` (and an `Idempotency-Key`) for `tenant`.
    pub async fn send(
        &self,
        tenant: &Tenant,
        key: Option<&str>,
        body: &str,
    ) -> Result<SendAccepted, BroadcastError> {
        let cmd = SendCommand {
            tenant: tenant.clone(),
            key: key.map(|k| IdempotencyKey::parse(k).unwrap()),
            message: SendMessage::from_json(body.as_bytes())?,
            now: self.now(),
        };
        send(&self.send_ports(), cmd).await
    }

    /// Runs a job on its `receives`-th receive.
    pub async fn run(&self, job: &Job, receives: u32) -> Result<JobOutcome, BroadcastError> {
        run_job(&self.job_ports(), job, receives).await
    }

    /// The stored deliveries of a send, in order.
    pub fn deliveries(&self, send: &SendId) -> Vec<DeliveryRecord> {
        self.store
            .deliveries
            .all()
            .into_iter()
            .filter(|d| d.id().unwrap().send == *send)
            .collect()
    }

    /// One stored delivery.
    pub fn delivery(&self, id: &DeliveryId) -> DeliveryRecord {
        self.store.deliveries.get(id).expect("stored delivery")
    }

    /// What was queued or scheduled since the `from`-th call.
    pub fn dispatched_from(&self, from: usize) -> Vec<Dispatched> {
        self.dispatch.log().into_iter().skip(from).collect()
    }

    /// Contacts `Artem` (Telegram and WhatsApp) and `Lera` (Viber) of acme's user `ops`, and
    /// a send of "disk full" to both, now: its id and its three deliveries' ids.
    pub async fn sent_to_both(&self) -> (SendId, Vec<DeliveryId>) {
        self.save(&tenant("acme"), TWO_CONTACTS).await.unwrap();
        let reply = self
            .send(
                &tenant("acme"),
                None,
                r#"{"user_name": "ops", "contact": ["Artem", "Lera"], "message": "disk full"}"#,
            )
            .await
            .unwrap();
        let ids = self
            .deliveries(&reply.send_id)
            .iter()
            .map(|d| d.id().unwrap())
            .collect();
        (reply.send_id, ids)
    }
}

/// acme's user `ops`: `Artem` on Telegram and WhatsApp, `Lera` on Viber.
pub(super) const TWO_CONTACTS: &str = r#"{"user_name": "ops", "contacts": [
    {"name": "Artem", "messangers": {"telegram": "-100123", "whatsApp": "+799200828615"}},
    {"name": "Lera", "messangers": {"viber": "lera01"}}
]}"#;
