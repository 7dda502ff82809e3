//! The in-memory messenger: answers from a script and keeps every message it was given.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use lookout_core::BoxFuture;

use crate::outbound::error::{Delivered, MessengerError};
use crate::outbound::kind::MessengerKind;
use crate::outbound::port::MessengerApi;

/// One message a [`MemoryMessenger`] was given (one part of a longer text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub kind: MessengerKind,
    pub address: String,
    pub text: String,
}

/// Answers sends from a script ([`MemoryMessenger::then`]: one answer a message, so one a
/// part of a longer text), `Ok` once it is used up, and keeps every message it was given.
/// Clones share both.
#[derive(Debug, Clone, Default)]
pub struct MemoryMessenger {
    script: Arc<Mutex<VecDeque<Result<Delivered, MessengerError>>>>,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl MemoryMessenger {
    /// Queues the answer to a later send.
    pub fn then(&self, answer: Result<Delivered, MessengerError>) -> &Self {
        if let Ok(mut s) = self.script.lock() {
            s.push_back(answer);
        }
        self
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl MessengerApi for MemoryMessenger {
    fn endpoint(&self, kind: MessengerKind) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move { Some(format!("memory://{kind}")) })
    }
    fn send_one<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, MessengerError>> {
        Box::pin(async move {
            if let Ok(mut sent) = self.sent.lock() {
                sent.push(Sent {
                    kind,
                    address: address.to_owned(),
                    text: text.to_owned(),
                });
            }
            let next = self.script.lock().ok().and_then(|mut s| s.pop_front());
            next.unwrap_or(Ok(Delivered { provider_id: None }))
        })
    }
}
