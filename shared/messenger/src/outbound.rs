//! Messenger adapters: one small API over the real wire formats of
//!
//! - Telegram Bot API `sendMessage`: `POST {base}/bot{token}/sendMessage {"chat_id","text"}`,
//! - WhatsApp Cloud API `messages`: `POST {base}/{phone_number_id}/messages` with a bearer
//!   token and `{"messaging_product":"whatsapp","to","type":"text","text":{"body"}}`,
//! - Viber REST `send_message`: `POST {base}/pa/send_message` with `X-Viber-Auth-Token` and
//!   `{"receiver","type":"text","text","sender":{"name"}}` (Viber answers HTTP 200 with a
//!   non-zero `status` on failure).
//!
//! Base URLs come from the environment (template.yaml sets them from stack parameters; local
//! runs point them at the messenger emulator, `lookout_dev::emulator`). The tokens are secrets:
//! they live in a Secrets Manager secret (`MESSENGER_SECRET_ARN`, JSON `MessengerTokens`),
//! read once per cold start (`MessengerConfig::load`), never in environment variables.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use lookout_messenger::{Messenger, MessengerKind};
//! let sdk = lookout_core::aws::sdk_config().await;
//! let messenger = Messenger::load(&sdk).await?;
//! messenger.send(MessengerKind::Telegram, "-1001234567890", "disk full on db-1").await?;
//! # Ok(()) }
//! ```
//!
//! Failures say whether a retry may help (`MessengerError::is_transient`): network errors,
//! timeouts, HTTP 429 and 5xx, and Viber's `tooManyRequests` are transient; every other
//! rejection is permanent. Error texts never contain a token (Telegram's is part of its URL).
//!
//! Every text fits the messenger it goes to: `MessengerApi::send` (module `port`) sends a text
//! longer than one message holds (`MessengerKind::max_text_units`: Telegram and WhatsApp 4096,
//! Viber 7000) as numbered parts, in order (`message_parts`, module `limits`).

// By concern: the messengers (kind), what a send returns (error), where and how they are
// reached (settings), the HTTP client, their answers read (outcome, pure), text limits and
// parts (limits, pure), the port and its adapters (port, lazy, memory).
pub(crate) mod client;
pub(crate) mod error;
pub(crate) mod kind;
pub(crate) mod lazy;
pub(crate) mod limits;
pub(crate) mod memory;
mod outcome;
pub(crate) mod port;
pub(crate) mod settings;

#[cfg(test)]
mod tests;
