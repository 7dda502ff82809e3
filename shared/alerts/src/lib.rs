//! Alerts a tenant's team acts on (#28): where a tenant's alerts go, and getting them there.
//!
//! - Channels ([`channel`]): a tenant's Slack incoming webhooks, Discord webhooks, signed
//!   generic webhooks and Telegram bots (whose "Acknowledge" button comes back through
//!   `POST /ack/telegram/<tenant>`). A webhook URL is a secret: it is checked by the SSRF guard
//!   (`lookout_webhooks::check_url`), stored sealed ([`Sealer`], AES-256-GCM under a key from
//!   the stack's `AlertsSecret`, bound to its tenant and channel), and only ever shown masked.
//! - Routes ([`routes`]): ordered rules (kind, lowest level, app, tag) naming a chain of
//!   channels, and a default chain. The first channel of the chain gets the alert; the next
//!   ones are its fallbacks.
//! - Delivery ([`deliver`]): one [`TenantAlert`](lookout_core::events::TenantAlert) from the
//!   alerts queue becomes one step per channel of its chain, each claimed and sent at most
//!   once: delivered → done; rate limited or failing for now → retried after the service's
//!   `Retry-After` (or a backoff); failed for good (deleted webhook, refused URL, attempts used
//!   up) → recorded in the tenant's failed list with the channel it fell back to, and the next
//!   channel of the chain takes the alert.
//! - The use cases an admin calls ([`manage`]): create, list, delete and test channels; read
//!   and replace routes; list failed deliveries.

mod channel;
mod deliver;
mod delivery;
mod deps;
mod error;
mod followup;
mod holds;
mod manage;
mod quiet;
mod render;
mod routes;
mod seal;
mod sender;
mod store;
mod window;

#[cfg(test)]
mod tests;

pub use channel::{ChannelId, ChannelRecord, ChannelView, NewChannel, MAX_CHANNELS};
pub use deliver::{deliver, DeliverOutcome, DeliverPorts, ACK_LINK_DAYS, MAX_ATTEMPTS};
pub use delivery::{FailureView, StepRecord, StepStatus};
pub use deps::{AlertAdminDeps, ChannelDeps};
pub use error::AlertError;
pub use followup::{
    FollowUps, IncidentState, MemoryFollowUps, MemoryIncidents, SchedulerFollowUps,
};
pub use manage::{
    create_channel, delete_channel, failures, held, list_channels, put_routes, routes, routes_view,
    telegram_webhook_url, test_channel, ChannelSetup, CreatedChannel, TestOutcome, MAX_UPCOMING,
    UPCOMING_DAYS,
};
pub use quiet::QuietHours;
pub use render::render;
pub use routes::{
    FollowUp, Routes, Rule, MAX_CHAIN, MAX_DEPENDENT_APPS, MAX_ESCALATION, MAX_PARENTS, MAX_ROUNDS,
    MAX_RULES,
};
pub use seal::{Sealer, MAX_ACK_TOKEN};
pub use sender::{policy_from_env, ChannelSender, ScriptedSender, WebhookSender};
pub use store::{AlertStore, DynamoAlerts, HeldRecord, HeldView, MemoryAlerts};
pub use window::{upcoming, window_for, Occurrence, Window, MAX_WINDOWS};
