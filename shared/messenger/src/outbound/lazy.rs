//! The messenger the consumer runs with: loaded on its first use, not at cold start.

use std::sync::Arc;

use lookout_core::config::ConfigError;
use lookout_core::BoxFuture;

use crate::outbound::client::Messenger;
use crate::outbound::error::{Delivered, MessengerError};
use crate::outbound::kind::MessengerKind;
use crate::outbound::port::MessengerApi;

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
type MessengerLoader = dyn Fn() -> BoxFuture<'static, Result<Messenger, ConfigError>> + Send + Sync;

impl std::fmt::Debug for LazyMessenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyMessenger")
            .field("loaded", &self.cell.get())
            .finish_non_exhaustive()
    }
}

impl LazyMessenger {
    /// [`Messenger::load`] with `sdk`: base URLs from the environment, tokens from the secret.
    pub fn new(sdk: &lookout_core::aws::SdkConfig) -> Self {
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
    ) -> BoxFuture<'a, Result<Delivered, MessengerError>> {
        Box::pin(async move {
            match self.get().await {
                Ok(m) => m.send_one(kind, address, text).await,
                Err(err) => {
                    tracing::error!(error = %err, "messenger settings not loaded");
                    Err(MessengerError::Unavailable {
                        kind,
                        status: None,
                        detail: "the messenger settings could not be loaded".into(),
                    })
                }
            }
        })
    }
}
