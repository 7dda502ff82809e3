//! `POST /admin/alert_channels {"tenant","kind","name","url"}` (admin bearer token) → 201
//! `{"id","kind","name","url","signed","created_at","signing_secret"?}`: a channel of the
//! tenant's alerts. `kind` is `slack` (an incoming webhook, `https://hooks.slack.com/services/…`),
//! `discord` (`https://discord.com/api/webhooks/…`), `webhook` (any https URL on a public
//! address; its requests are signed, and its `signing_secret` is shown this once) or
//! `telegram` (the tenant's bot and chat,
//! `https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>`; the bot is first told to
//! send its "Acknowledge" presses to `/ack/telegram/<tenant>` on the stack's public base URL,
//! and a bot Telegram refuses is a 400). The URL is a secret: stored sealed, listed masked,
//! never logged.

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_alerts::{create_channel, ChannelSender, ChannelSetup, NewChannel};
use lookout_core::auth::Tenant;
use lookout_http::{parse_json, public_origin, respond, secret_response, AdminCheck};
use serde::Deserialize;

pub use lookout_alerts::ChannelDeps as Deps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    tenant: Tenant,
    kind: String,
    name: String,
    url: String,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        deps.base.admin.check(&req)?;
        let input: Create = parse_json(&req, 8192)?;
        let new = NewChannel::parse(&input.kind, &input.name, &input.url, deps.sender.policy())?;
        let origin = public_origin(&req, None);
        let public_base = public_origin(&req, deps.console_url.as_deref());
        let setup = ChannelSetup {
            sender: &deps.sender,
            origin: Some(&origin),
            public_base: &public_base,
        };
        let created = create_channel(
            &deps.base.store,
            &deps.sealer,
            &input.tenant,
            &new,
            setup,
            deps.base.clock.now(),
        )
        .await?;
        tracing::info!(tenant = input.tenant.as_str(), channel = %created.channel.id, kind = %created.channel.kind, "alert channel created");
        Ok(secret_response(StatusCode::CREATED, &created))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`alerts-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
