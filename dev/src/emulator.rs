//! The messenger emulator (dev and tests only): speaks just enough of the three APIs the
//! messenger adapters (`lookout_messenger::Messenger`) call, and of the Slack and Discord
//! webhooks and a generic webhook receiver the alert channels (`lookout_webhooks`) send to,
//! and records every request.
//!
//! | route | answers like |
//! |---|---|
//! | `POST /telegram/bot{token}/sendMessage` `{"chat_id","text"}` | Telegram Bot API: `{"ok":true,"result":{"message_id",…}}`; `403` "bot was blocked by the user" when the chat id contains `blocked`; `400` without `chat_id`/`text`, and `400` "Bad Request: message is too long" over 4096 characters |
//! | `POST /telegram/bot{token}/setWebhook` `{"url","secret_token","allowed_updates"}` | Telegram Bot API: `{"ok":true,"result":true,"description":"Webhook was set"}`, recorded as messenger `telegram_webhook` with the URL as address; `401` "Unauthorized" for a token containing `revoked`; `400` "bad webhook: An HTTPS URL must be provided for webhook" unless https (or the local stack's loopback http) |
//! | `POST /whatsapp/{phone_number_id}/messages` (bearer) `{"messaging_product":"whatsapp","to","type":"text","text":{"body"}}` | WhatsApp Cloud API: `{"messages":[{"id":"wamid.…"}]}`; `401` without a bearer token, `400` for another shape, `400` `(#100) Param text['body'] must be at most 4096 characters long.` over 4096 |
//! | `POST /viber/pa/send_message` (`X-Viber-Auth-Token`) `{"receiver","type":"text","text","sender":{"name"}}` | Viber REST API, and like the seed's emulator it **always fails**: HTTP 200 with `{"status":12,"status_message":"tooManyRequests"}` (Viber reports errors in the body); over 7000 characters `{"status":3,"status_message":"badData"}`, a permanent failure |
//! | `POST /slack/services/{T}/{B}/{secret}` `{"text","blocks"}` | Slack incoming webhook: `200` text `ok`; `404` `no_service` when the secret contains `deleted`; `400` `invalid_payload` for a body that is not a JSON object or has neither `text` nor `blocks`, `invalid_blocks` over Block Kit's limits (50 blocks, header 150, section 3,000), `msg_too_long` for a `text` over 40,000 characters; an injected `429` is `rate_limited` with `Retry-After: 1` |
//! | `POST /discord/api/webhooks/{id}/{token}[?wait=true]` `{"content","embeds"}` | Discord webhook: `204`, or `200` with the message with `?wait=true`; `404` `{"message":"Unknown Webhook","code":10015}` when the token contains `deleted`; `400` `{"code":50035,"message":"Invalid Form Body","errors":{…}}` for `content` over 2,000 characters, over 10 embeds or an embed over its limits (title 256, description 4,096, 25 fields of 256/1,024, footer 2,048, 6,000 in all), `50006` "Cannot send an empty message" with neither `content` nor `embeds`, `50109` for a body that is not JSON; an injected `429` is `{"message":"You are being rate limited.","retry_after":1.5,"global":false}` with `Retry-After: 2` |
//! | `POST /webhook/{name}` (JSON) | a tenant's endpoint: `200` `{"ok":true}`, `400` for a body that is not JSON, `410` when the name contains `deleted`; records `Lookout-Signature`, `Lookout-Event-Id` and `Content-Type` in `headers`; an injected `429` comes with `Retry-After: 1` |
//! | `GET /_received` | every request so far, oldest first (`[{"messenger","address","text","credential","status","accepted","body","at"}]`, and `"headers"` for the generic webhook) |
//! | `DELETE /_received` | forgets them |
//! | `POST /_fail` `{"messenger","status","times"}` | the next `times` requests to that messenger (`telegram`, `whatsapp`, `viber`, `slack`, `discord`, `webhook`) fail with `status` (e.g. 503, 429) |
//! | `GET /_health` | `{"ok":true}` |
//!
//! Base URLs for the adapters are `{url}/telegram`, `{url}/whatsapp`, `{url}/viber`
//! (`MessengerConfig::emulated(url)`); webhook URLs `{url}/slack/services/T0/B0/secret`,
//! `{url}/discord/api/webhooks/1/token`, `{url}/webhook/name` (sent to under
//! `lookout_webhooks::Policy { allow_http_loopback: true }`, which production never sets).
//! HTTP/1.1, one request per connection, bodies up to 1 MB.
//!
//! Messenger text lengths are counted in UTF-16 code units, as Telegram counts them, and the
//! same for WhatsApp and Viber: their documents say "characters", and this is the strictest reading (an
//! emoji is two), so a text Lookout sends too long for any reading of a limit fails a test. The
//! limits are written out in `limits`, not taken from the adapters, so that a wrong one there
//! shows. Slack's and Discord's are counted in characters (code points), as they count them.
//!
//! The parts: [`Emulator`] (here: the running emulator a test holds), `server` (the HTTP/1.1
//! loop and answers), `request` (reading one request), `routes` (which route answers, and the
//! `/_fail` injection), `reply` (an answer: JSON, text or none, and headers), `recorder`
//! ([`Received`]: what came in, and the failures queued), `telegram`, `whatsapp`, `viber`,
//! `slack`, `discord` and `webhook` (one service each), `limits` (their limits).

mod discord;
mod limits;
mod recorder;
mod reply;
mod request;
mod routes;
mod server;
mod slack;
mod telegram;
mod viber;
mod webhook;
mod whatsapp;

#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tracing::warn;

use recorder::{lock, queue_failures, Shared, PASS};
use server::serve;

pub use recorder::Received;
pub use server::serve_forever;

/// A running emulator on its own thread; stops when dropped.
#[derive(Debug)]
pub struct Emulator {
    url: String,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Emulator {
    /// Listens on `addr` (`127.0.0.1:0` picks a free port) and serves from a thread of its
    /// own, so it outlives the caller's runtime (each `#[tokio::test]` has one).
    pub fn start(addr: &str) -> Result<Self> {
        let std_listener =
            std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
        std_listener.set_nonblocking(true)?;
        let url = format!("http://{}", std_listener.local_addr()?);
        let state = Shared::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("emulator runtime")?;
        std::thread::Builder::new()
            .name("messenger-emulator".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(err) => {
                            warn!("messenger emulator cannot listen: {err}");
                            return;
                        }
                    };
                    tokio::select! {
                        () = serve(listener, served) => {}
                        _ = stopped => {}
                    }
                });
            })
            .context("emulator thread")?;
        Ok(Self {
            url,
            state,
            stop: Some(stop),
        })
    }

    /// One emulator per process, started on first use (the live test stack points at it).
    pub fn shared() -> Result<&'static Self> {
        static SHARED: OnceLock<Emulator> = OnceLock::new();
        if let Some(e) = SHARED.get() {
            return Ok(e);
        }
        let started = Self::start("127.0.0.1:0")?;
        // A racing first call may have won; its emulator is used and ours is dropped.
        Ok(SHARED.get_or_init(|| started))
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request answered so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// The next `times` requests to `messenger` (`telegram`, `whatsapp`, `viber`, `slack`,
    /// `discord`, `webhook`) are answered
    /// as usual, before the failures [`fail_next`](Self::fail_next) queues after them: to fail
    /// a later part of a text sent in parts.
    pub fn pass_next(&self, messenger: &str, times: usize) {
        self.fail_next(messenger, PASS, times);
    }

    /// The next `times` requests to `messenger` (`telegram`, `whatsapp`, `viber`, `slack`,
    /// `discord`, `webhook`) fail with `status`.
    pub fn fail_next(&self, messenger: &str, status: u16, times: usize) {
        queue_failures(&self.state, messenger, status, times);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
