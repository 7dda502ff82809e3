//! What the emulator keeps between requests: every request it answered ([`Received`], served
//! at `GET /_received`), and the failures queued per messenger (`POST /_fail`,
//! [`Emulator::fail_next`](super::Emulator::fail_next),
//! [`Emulator::pass_next`](super::Emulator::pass_next)).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::info;

/// One request the emulator answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Received {
    /// `telegram`, `whatsapp`, `viber`, `slack`, `discord` or `webhook`.
    pub messenger: String,
    /// `chat_id`, `to` or `receiver` (numbers as text); for the webhooks the id in their path:
    /// Slack's `{T}/{B}`, Discord's `{id}`, the generic webhook's `{name}`.
    pub address: String,
    /// The message's text (Slack's `text`, Discord's `content`, the generic webhook's `text`).
    pub text: String,
    /// The bot token, bearer token or Viber auth token the request carried; the secret of a
    /// Slack webhook URL, the token of a Discord one; empty for the generic webhook.
    pub credential: String,
    /// The HTTP status the emulator answered.
    pub status: u16,
    /// Whether the answer was a success in the messenger's terms.
    pub accepted: bool,
    /// The JSON body as received.
    pub body: Value,
    /// When (RFC 3339).
    pub at: String,
    /// The generic webhook's headers a receiver checks (`lookout-signature`,
    /// `lookout-event-id`, `content-type`; names in lower case), to verify its signature
    /// over `body` (which Lookout sends as compact JSON, so `body.to_string()` is the signed
    /// text). Absent for the other services, and left out of their JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// What a request to a service carried, for [`record_with`].
pub(crate) struct Incoming {
    pub(crate) messenger: &'static str,
    pub(crate) address: String,
    pub(crate) text: String,
    pub(crate) credential: String,
    pub(crate) body: Value,
    pub(crate) headers: Option<BTreeMap<String, String>>,
}

/// The emulator's memory.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) received: Vec<Received>,
    /// Injected failures per messenger: statuses to answer next.
    failures: HashMap<String, VecDeque<u16>>,
    next_id: u64,
}

/// The state every connection and the [`Emulator`](super::Emulator) handle share.
pub(crate) type Shared = Arc<Mutex<State>>;

/// The state, also after a panic elsewhere while it was held.
pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// In the queue of injected failures: answer this request as usual
/// ([`Emulator::pass_next`](super::Emulator::pass_next)).
pub(crate) const PASS: u16 = 200;

/// Queues `times` answers with `status` (or [`PASS`]) for the next requests to `messenger`,
/// after those already queued.
pub(crate) fn queue_failures(state: &Shared, messenger: &str, status: u16, times: usize) {
    lock(state)
        .failures
        .entry(messenger.to_owned())
        .or_default()
        .extend(std::iter::repeat_n(status, times));
}

/// Records the request and returns the answer: `answer` is given the injected failure status,
/// if one is queued, and the request's id, and returns the status, whether the messenger
/// accepted the request, and the reply.
pub(crate) fn record<R>(
    state: &Shared,
    messenger: &'static str,
    address: String,
    text: String,
    credential: String,
    body: Value,
    answer: impl FnOnce(Option<u16>, u64) -> (u16, bool, R),
) -> (u16, R) {
    record_with(
        state,
        Incoming {
            messenger,
            address,
            text,
            credential,
            body,
            headers: None,
        },
        answer,
    )
}

/// [`record`] with everything the request carried, headers included.
pub(crate) fn record_with<R>(
    state: &Shared,
    incoming: Incoming,
    answer: impl FnOnce(Option<u16>, u64) -> (u16, bool, R),
) -> (u16, R) {
    let Incoming {
        messenger,
        address,
        text,
        credential,
        body,
        headers,
    } = incoming;
    let mut s = lock(state);
    let injected = s
        .failures
        .get_mut(messenger)
        .and_then(VecDeque::pop_front)
        .filter(|&status| status != PASS);
    s.next_id += 1;
    let (status, accepted, reply) = answer(injected, s.next_id);
    info!(messenger, address, status, accepted, "emulated");
    s.received.push(Received {
        messenger: messenger.to_owned(),
        address,
        text,
        credential,
        status,
        accepted,
        body,
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        headers,
    });
    (status, reply)
}
