//! Alert channels beside mail and the messengers (#28): Slack incoming webhooks, Discord
//! webhooks, a generic JSON webhook signed like Stripe's and Slack's, and a tenant's own
//! Telegram bot (with an "Acknowledge" button).
//!
//! The parts, each usable alone (the delivery pipeline wires them later):
//!
//! - [`ChannelKind`] and the neutral [`Alert`] every channel renders;
//! - the payload builders, pure: [`slack_payload`] (Block Kit with a text fallback),
//!   [`discord_payload`] (one embed), [`webhook_payload`] (plain JSON), each within its
//!   service's limits (lengths counted in characters, cut with an ellipsis);
//! - the generic webhook's signature: [`sign`] and [`verify`], header [`SIGNATURE_HEADER`];
//! - the SSRF guard: webhook URLs are tenant-supplied, so [`check_url`] takes `https` URLs only,
//!   [`is_public`] says which addresses may be reached, [`resolve_public`] resolves a host and
//!   refuses it if any address is not public, and [`mask`] shows a URL in logs without its
//!   secret part;
//! - [`Sender`]: one request per alert to the addresses the guard checked (pinned, so DNS
//!   rebinding cannot redirect it), no redirects, a timeout, a bounded response read, and the
//!   answer read into an [`Outcome`] (delivered, retry later, or failed for good).

mod alert;
mod discord;
mod guard;
mod kind;
mod sender;
mod signature;
mod slack;
mod telegram;
mod text;
mod webhook;

pub use alert::{Alert, AlertKind, Level};
pub use discord::discord_payload;
pub use guard::{
    check_url, check_url_with, is_public, mask, resolve_public, Policy, Target, UrlError,
};
pub use kind::{ChannelKind, UnknownChannel};
pub use sender::{Outcome, Sender, EVENT_ID_HEADER, MAX_RESPONSE_BYTES};
pub use signature::{sign, verify, SignatureError, SIGNATURE_HEADER};
pub use slack::slack_payload;
pub use telegram::{telegram_chat, telegram_payload, MAX_CALLBACK_DATA};
pub use webhook::webhook_payload;
