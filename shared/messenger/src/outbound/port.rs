//! Sending to a messenger, as a port: `Messenger` (module `client`) speaks HTTP to the real
//! APIs (or the emulator), `LazyMessenger` (module `lazy`) builds one on first use (the secret
//! is read then, not at cold start), and `MemoryMessenger` (module `memory`) answers from a
//! script for unit tests. Each sends one message ([`MessengerApi::send_one`]); the port's
//! [`MessengerApi::send`] splits a longer text into parts and sends them in order, the same way
//! whatever the adapter.

use lookout_core::config::ConfigError;
use lookout_core::BoxFuture;

use crate::outbound::error::{Delivered, MessengerError};
use crate::outbound::kind::MessengerKind;
use crate::outbound::limits::message_parts;

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
    ) -> BoxFuture<'a, Result<Delivered, MessengerError>>;

    /// Sends `text` to `address` through `kind`: as it is when it fits one message, else as
    /// the numbered parts of [`message_parts`], one after the other, each once the one before
    /// was accepted. Adapters implement [`send_one`](Self::send_one), not this.
    ///
    /// One call is one delivery, and a retried delivery must not repeat what arrived; the
    /// delivery store keeps one outcome per delivery, not one per part, so:
    /// - a failure of the first part is returned as it is: nothing arrived, so a transient
    ///   one may be retried (the whole text goes again) and a permanent one is recorded;
    /// - a failure of a later part is [`MessengerError::PartlySent`], permanent whatever the cause:
    ///   the delivery is recorded as failed, with the whole text in the failed list and the
    ///   error naming the parts that arrived, and never sent again.
    ///
    /// The accepted parts' provider ids are joined with `,`.
    fn send<'a>(
        &'a self,
        kind: MessengerKind,
        address: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Delivered, MessengerError>> {
        Box::pin(send_in_parts(self, kind, address, text))
    }
}

/// [`MessengerApi::send`]: the parts of `text`, in order, through `messenger`'s `send_one`.
async fn send_in_parts<M: MessengerApi + ?Sized>(
    messenger: &M,
    kind: MessengerKind,
    address: &str,
    text: &str,
) -> Result<Delivered, MessengerError> {
    let parts = message_parts(text, kind.max_text_units());
    let total = parts.len();
    let mut ids = Vec::new();
    for (accepted, part) in parts.iter().enumerate() {
        match messenger.send_one(kind, address, part).await {
            Ok(delivered) => ids.extend(delivered.provider_id),
            Err(err) if accepted == 0 => return Err(err),
            Err(err) => {
                return Err(MessengerError::PartlySent {
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
