//! Sending to a messenger, as a port: [`Messenger`] speaks HTTP to the real APIs (or the
//! emulator), [`LazyMessenger`] builds one on first use (the secret is read then, not at cold
//! start), and [`MemoryMessenger`] answers from a script for unit tests.

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
    /// Sends `text` to `address` through `kind`.
    fn send<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, SendError>>;
}

impl MessengerApi for Messenger {
    fn endpoint(&self, kind: MessengerKind) -> BoxFuture<'_, Option<String>> {
        let url = Messenger::endpoint(self, kind);
        Box::pin(async move { url })
    }
    fn send<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(Messenger::send(self, kind, address, text))
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
    fn send<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(async move {
            match self.get().await {
                Ok(m) => m.send(kind, address, text).await,
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

/// One message a [`MemoryMessenger`] was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub kind: MessengerKind,
    pub address: String,
    pub text: String,
}

/// Answers sends from a script ([`MemoryMessenger::then`]), `Ok` once it is used up, and keeps
/// every message it was given. Clones share both.
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
    fn send<'a>(
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
