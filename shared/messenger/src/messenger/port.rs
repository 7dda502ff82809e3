//! Sending to a messenger, as a port: [`Messenger`] speaks HTTP to the real APIs (or the
//! emulator), [`LazyMessenger`] builds one on first use (the secret is read then, not at cold
//! start), and [`MemoryMessenger`] answers from a script for unit tests. Each sends one message
//! ([`MessengerApi::send_one`]); the port's [`MessengerApi::send`] splits a longer text into
//! parts and sends them in order, the same way whatever the adapter.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use lookout_core::BoxFuture;

use super::*;

/// Sends text messages (a port).
pub trait MessengerApi: Send + Sync + std::fmt::Debug {
    /// Whether the settings are in hand (loading them if needed); `Err` says why not.
    fn ready(&self) -> BoxFuture<'_, Result<(), ConfigError>> {
        Box::pin(async { Ok(()) })
    }
    /// Where a message of `kind` goes, fit for records (no tokens); `None` when `kind` is not
    /// configured.
    fn endpoint(&self, kind: MessengerKind) -> BoxFuture<'_, Option<String>>;
    /// Sends `text` to `address` through `kind` as one message, as it is (the adapter's part).
    /// Callers use [`send`](Self::send), which keeps every message within `kind`'s limit.
    fn send_one<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, SendError>>;

    /// Sends `text` to `address` through `kind`: as it is when it fits one message, else as
    /// the numbered parts of [`message_parts`], one after the other, each once the one before
    /// was accepted. Adapters implement [`send_one`](Self::send_one), not this.
    ///
    /// One call is one delivery, and a retried delivery must not repeat what arrived; the
    /// delivery store keeps one outcome per delivery, not one per part, so:
    /// - a failure of the first part is returned as it is: nothing arrived, so a transient
    ///   one may be retried (the whole text goes again) and a permanent one is recorded;
    /// - a failure of a later part is [`SendError::PartlySent`], permanent whatever the cause:
    ///   the delivery is recorded as failed, with the whole text in the failed list and the
    ///   error naming the parts that arrived, and never sent again.
    ///
    /// The accepted parts' provider ids are joined with `,`.
    fn send<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(send_in_parts(self, kind, address, text))
    }
}

/// [`MessengerApi::send`]: the parts of `text`, in order, through `messenger`'s `send_one`.
async fn send_in_parts<M: MessengerApi + ?Sized>(
    messenger: &M,
    kind: MessengerKind,
    address: &str,
    text: &str,
) -> Result<Delivered, SendError> {
    let parts = message_parts(text, kind.max_text_units());
    let total = parts.len();
    let mut ids = Vec::new();
    for (accepted, part) in parts.iter().enumerate() {
        match messenger.send_one(kind, address, part).await {
            Ok(delivered) => ids.extend(delivered.provider_id),
            Err(err) if accepted == 0 => return Err(err),
            Err(err) => {
                return Err(SendError::PartlySent {
                    kind,
                    accepted,
                    total,
                    cause: Box::new(err),
                })
            }
        }
    }
    Ok(Delivered {
        provider_id: (!ids.is_empty()).then(|| ids.join(",")),
    })
}

impl MessengerApi for Messenger {
    fn endpoint(&self, kind: MessengerKind) -> BoxFuture<'_, Option<String>> {
        let url = Messenger::endpoint(self, kind);
        Box::pin(async move { url })
    }
    fn send_one<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(Messenger::send_one(self, kind, address, text))
    }
}

/// A [`Messenger`] loaded ([`Messenger::load`]) on its first use and kept for the life of the
/// instance, so the secret is read by the first invocation rather than during init. A failed
/// load is tried again on the next use. The consumer checks [`MessengerApi::ready`] before it
/// claims anything: an unreadable or invalid secret fails the invocation (the batch comes
/// back, the function's error metric shows it) without using up any delivery's attempts.
#[derive(Clone)]
pub struct LazyMessenger {
    load: Arc<MessengerLoader>,
    cell: Arc<tokio::sync::OnceCell<Messenger>>,
}

/// How a [`LazyMessenger`] gets its [`Messenger`].
pub type MessengerLoader =
    dyn Fn() -> BoxFuture<'static, Result<Messenger, ConfigError>> + Send + Sync;

impl std::fmt::Debug for LazyMessenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyMessenger")
            .field("loaded", &self.cell.get())
            .finish_non_exhaustive()
    }
}

impl LazyMessenger {
    /// [`Messenger::load`] with `sdk`: base URLs from the environment, tokens from the secret.
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let sdk = sdk.clone();
        Self::with_loader(move || {
            let sdk = sdk.clone();
            Box::pin(async move { Messenger::load(&sdk).await })
        })
    }

    /// Loads with `load` (tried again after a failure).
    pub fn with_loader(
        load: impl Fn() -> BoxFuture<'static, Result<Messenger, ConfigError>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            load: Arc::new(load),
            cell: Arc::default(),
        }
    }

    async fn get(&self) -> Result<&Messenger, ConfigError> {
        self.cell.get_or_try_init(|| (self.load)()).await
    }
}

impl MessengerApi for LazyMessenger {
    fn ready(&self) -> BoxFuture<'_, Result<(), ConfigError>> {
        Box::pin(async move { self.get().await.map(|_| ()) })
    }
    fn endpoint(&self, kind: MessengerKind) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move { self.get().await.ok()?.endpoint(kind) })
    }
    fn send_one<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(async move {
            match self.get().await {
                Ok(m) => m.send_one(kind, address, text).await,
                Err(err) => {
                    tracing::error!(error = %err, "messenger settings not loaded");
                    Err(SendError::Unavailable {
                        kind,
                        status: None,
                        detail: "the messenger settings could not be loaded".into(),
                    })
                }
            }
        })
    }
}

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
    script: Arc<Mutex<VecDeque<Result<Delivered, SendError>>>>,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl MemoryMessenger {
    /// Queues the answer to a later send.
    pub fn then(&self, answer: Result<Delivered, SendError>) -> &Self {
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
    ) -> BoxFuture<'a, Result<Delivered, SendError>> {
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
