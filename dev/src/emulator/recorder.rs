//! What the emulator keeps between requests: every request it answered ([`Received`], served
//! at `GET /_received`), and the failures queued per messenger (`POST /_fail`,
//! [`Emulator::fail_next`](super::Emulator::fail_next),
//! [`Emulator::pass_next`](super::Emulator::pass_next)).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::info;

/// One request the emulator answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Received {
    /// `telegram`, `whatsapp` or `viber`.
    pub messenger: String,
    /// `chat_id`, `to` or `receiver` (numbers as text).
    pub address: String,
    pub text: String,
    /// The bot token, bearer token or Viber auth token the request carried.
    pub credential: String,
    /// The HTTP status the emulator answered.
    pub status: u16,
    /// Whether the answer was a success in the messenger's terms.
    pub accepted: bool,
    /// The JSON body as received.
    pub body: Value,
    /// When (RFC 3339).
    pub at: String,
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
/// accepted the request, and the reply body.
pub(crate) fn record(
    state: &Shared,
    messenger: &str,
    address: String,
    text: String,
    credential: String,
    body: Value,
    answer: impl FnOnce(Option<u16>, u64) -> (u16, bool, Value),
) -> (u16, Value) {
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
    });
    (status, reply)
}
