//! The use cases the admin calls: channels (create, list, delete, send a test alert), routes
//! (read, replace) and the failed list.

use lookout_core::auth::Tenant;
use lookout_core::time::Timestamp;
use lookout_webhooks::{Alert, AlertKind, ChannelKind, Level, Outcome};
use rand::RngCore;
use serde::Serialize;

use crate::channel::{
    telegram_method_url, ChannelId, ChannelRecord, ChannelView, NewChannel, MAX_CHANNELS,
};
use crate::deliver::{open_channel, permanent_reason};
use crate::delivery::FailureView;
use crate::error::AlertError;
use crate::routes::Routes;
use crate::seal::Sealer;
use crate::sender::ChannelSender;
use crate::store::{AlertStore, HeldView};
use crate::window::upcoming;

/// A channel just created: its view and, for a generic webhook, its signing secret (shown
/// this once).
#[derive(Debug, Clone, Serialize)]
pub struct CreatedChannel {
    #[serde(flatten)]
    pub channel: ChannelView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

/// Where a new channel is made: `origin` is the API's public origin it was created through
/// (its alerts' acknowledgement links go there when the stack has no `ConsoleUrl`);
/// `public_base` the stack's public base URL (`ConsoleUrl`'s origin, else `origin`), where a
/// Telegram bot is told to send its button presses.
#[derive(Debug, Clone, Copy)]
pub struct ChannelSetup<'a> {
    pub sender: &'a dyn ChannelSender,
    pub origin: Option<&'a str>,
    pub public_base: &'a str,
}

/// Stores `new` as a channel of `tenant`: the URL sealed, a generic webhook with a new signing
/// secret; a Telegram channel's bot is first told (`setWebhook`) to send its "Acknowledge"
/// presses to `<public_base>/ack/telegram/<tenant>` with the tenant's secret token, and a bot
/// Telegram does not take is refused (nothing stored). At most [`MAX_CHANNELS`] per tenant.
pub async fn create_channel(
    store: &dyn AlertStore,
    sealer: &Sealer,
    tenant: &Tenant,
    new: &NewChannel,
    setup: ChannelSetup<'_>,
    now: Timestamp,
) -> Result<CreatedChannel, AlertError> {
    if store.channels(tenant.as_str()).await?.len() >= MAX_CHANNELS {
        return Err(AlertError::TooMany(MAX_CHANNELS));
    }
    if new.kind == ChannelKind::Telegram {
        register_telegram(setup, sealer, tenant, &new.url).await?;
    }
    let origin = setup.origin;
    let id = ChannelId::random();
    let context = ChannelRecord::context(tenant.as_str(), &id);
    let sealed = sealer.seal(new.url.as_bytes(), &context)?;
    let mut rec = ChannelRecord::new(tenant, id, new, sealed);
    rec.created_at = now;
    rec.origin = origin.map(|o| o.trim_end_matches('/').to_owned());
    let secret = (new.kind == ChannelKind::Webhook).then(|| {
        let mut bytes = [0_u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        format!("whsec_{}", hex::encode(bytes))
    });
    if let Some(s) = &secret {
        rec.secret_sealed = Some(sealer.seal(s.as_bytes(), &context)?);
    }
    store.put_channel(&rec).await?;
    Ok(CreatedChannel {
        channel: rec.view(),
        signing_secret: secret,
    })
}

/// The route a tenant's Telegram bots send button presses to.
pub fn telegram_webhook_url(public_base: &str, tenant: &Tenant) -> String {
    format!(
        "{}/ack/telegram/{}",
        public_base.trim_end_matches('/'),
        tenant.as_str()
    )
}

/// Tells the bot of a Telegram channel where its button presses go (`setWebhook`, button
/// presses only). Telegram keeps one webhook per bot: a bot used for something else loses it.
async fn register_telegram(
    setup: ChannelSetup<'_>,
    sealer: &Sealer,
    tenant: &Tenant,
    send_message_url: &str,
) -> Result<(), AlertError> {
    let url = telegram_method_url(send_message_url, "setWebhook")
        .ok_or_else(|| AlertError::Invalid("not a Telegram sendMessage URL".into()))?;
    let body = serde_json::json!({
        "url": telegram_webhook_url(setup.public_base, tenant),
        "secret_token": sealer.telegram_secret(tenant.as_str()),
        "allowed_updates": ["callback_query"],
    });
    let refused = |why: String| {
        AlertError::Invalid(format!(
            "Telegram did not take the bot's webhook ({why}); nothing was stored"
        ))
    };
    let (status, answer) = setup.sender.post_json(&url, &body).await.map_err(refused)?;
    if status == 200 && answer["ok"] == true {
        return Ok(());
    }
    let description = answer["description"]
        .as_str()
        .map(|d| d.chars().take(200).collect::<String>())
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(refused(description))
}

/// The tenant's channels (URLs masked).
pub async fn list_channels(
    store: &dyn AlertStore,
    tenant: &Tenant,
) -> Result<Vec<ChannelView>, AlertError> {
    let mut views: Vec<ChannelView> = store
        .channels(tenant.as_str())
        .await?
        .iter()
        .map(ChannelRecord::view)
        .collect();
    views.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(views)
}

/// Deletes a channel no route names.
pub async fn delete_channel(
    store: &dyn AlertStore,
    tenant: &Tenant,
    id: &ChannelId,
) -> Result<(), AlertError> {
    let routes = store.routes(tenant.as_str()).await?;
    if routes.channel_ids().contains(id) {
        return Err(AlertError::InUse(id.to_string()));
    }
    if store.delete_channel(tenant.as_str(), id).await? {
        Ok(())
    } else {
        Err(AlertError::UnknownChannel(id.to_string()))
    }
}

/// The tenant's routes.
pub async fn routes(store: &dyn AlertStore, tenant: &Tenant) -> Result<Routes, AlertError> {
    store.routes(tenant.as_str()).await
}

/// Days of window occurrences [`routes_view`] lists, and at most how many.
pub const UPCOMING_DAYS: i64 = 14;
pub const MAX_UPCOMING: usize = 50;

/// The routes as the admin API answers them: what is stored, and `upcoming`, the windows'
/// occurrences in the next [`UPCOMING_DAYS`] days (read-only, for the console's calendar).
pub fn routes_view(tenant: &Tenant, routes: &Routes, now: Timestamp) -> serde_json::Value {
    let mut view = serde_json::json!({
        "tenant": tenant.as_str(),
        "default": routes.default,
        "rules": routes.rules,
        "dependencies": routes.dependencies,
        "windows": routes.windows,
        "upcoming": upcoming(&routes.windows, now, UPCOMING_DAYS, MAX_UPCOMING),
    });
    if let Some(q) = &routes.quiet_hours {
        view["quiet_hours"] = serde_json::json!(q);
    }
    view
}

/// Replaces the tenant's routes; every channel they name must be one of its channels.
pub async fn put_routes(
    store: &dyn AlertStore,
    tenant: &Tenant,
    routes: &Routes,
    now: Timestamp,
) -> Result<(), AlertError> {
    routes.validate()?;
    let known: Vec<ChannelId> = store
        .channels(tenant.as_str())
        .await?
        .into_iter()
        .map(|c| c.channel_id)
        .collect();
    if let Some(unknown) = routes
        .channel_ids()
        .into_iter()
        .find(|id| !known.contains(id))
    {
        return Err(AlertError::UnknownChannel(unknown.to_string()));
    }
    store.put_routes(tenant.as_str(), routes, now).await
}

/// The tenant's newest failed deliveries, newest first.
pub async fn failures(
    store: &dyn AlertStore,
    tenant: &Tenant,
    limit: usize,
) -> Result<Vec<FailureView>, AlertError> {
    Ok(store
        .failures(tenant.as_str(), limit)
        .await?
        .iter()
        .map(|f| f.view())
        .collect())
}

/// The tenant's alerts held while a parent is down.
pub async fn held(store: &dyn AlertStore, tenant: &Tenant) -> Result<Vec<HeldView>, AlertError> {
    Ok(store
        .held(tenant.as_str())
        .await?
        .iter()
        .map(|h| h.view())
        .collect())
}

/// What a test alert met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestOutcome {
    pub delivered: bool,
    /// `delivered`, `retry` (rate limited or unavailable for now) or `failed`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Sends a test alert to one channel now, and says what its service answered.
pub async fn test_channel(
    store: &dyn AlertStore,
    sender: &dyn ChannelSender,
    sealer: &Sealer,
    tenant: &Tenant,
    id: &ChannelId,
    now: Timestamp,
) -> Result<TestOutcome, AlertError> {
    let channel = store
        .channel(tenant.as_str(), id)
        .await?
        .ok_or_else(|| AlertError::UnknownChannel(id.to_string()))?;
    let (kind, url, secret) = match open_channel(sealer, &channel) {
        Ok(o) => o,
        Err(reason) => {
            return Ok(TestOutcome {
                delivered: false,
                outcome: "failed",
                detail: Some(reason),
            })
        }
    };
    let alert = Alert {
        id: format!("test-{}-{}", id, now.unix_millis()),
        title: format!("Test alert for {}", channel.name),
        text: "Lookout can reach this channel. Alerts routed here will look like this.".to_owned(),
        level: Level::Info,
        kind: AlertKind::Test,
        url: None,
        ack_url: None,
        ack_callback: None,
        fields: vec![("Tenant".to_owned(), tenant.as_str().to_owned())],
        at: now.to_rfc3339(),
    };
    Ok(
        match sender.send(kind, &url, &alert, secret.as_deref()).await {
            Outcome::Delivered => TestOutcome {
                delivered: true,
                outcome: "delivered",
                detail: None,
            },
            Outcome::Retry { after } => TestOutcome {
                delivered: false,
                outcome: "retry",
                detail: Some(match after {
                    Some(a) => format!("rate limited: retry after {} s", a.as_secs()),
                    None => "the service is unavailable for now".to_owned(),
                }),
            },
            Outcome::Permanent { status, reason } => TestOutcome {
                delivered: false,
                outcome: "failed",
                detail: Some(permanent_reason(status, reason)),
            },
        },
    )
}
