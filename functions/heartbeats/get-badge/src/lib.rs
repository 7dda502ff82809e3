//! `GET /badge/<token>.svg` (public): the app's status badge, e.g. `backup | up`.
//!
//! No key: the token in the URL is signed (see `lookout_heartbeats::badge`; the admin listing
//! shows the path). Cacheable for a minute (`Cache-Control: public, max-age=60`), so a README
//! viewed often costs little. A token that does not verify, or an app that does not exist, is
//! 404 (JSON, as every error).

use lambda_http::{
    http::{header, StatusCode},
    Body, Error, Request, Response,
};
use lookout_core::{aws, config, time::SharedClock};
use lookout_heartbeats::{HeartbeatStore, LazyBadgeKey};
use lookout_http::{respond, AppError};

/// How long browsers and proxies may keep a badge.
pub const MAX_AGE_SECONDS: u32 = 60;

#[derive(Debug, Clone)]
pub struct Deps {
    pub store: HeartbeatStore,
    pub key: LazyBadgeKey,
    pub clock: SharedClock,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: HeartbeatStore::from_env(aws::dynamodb(&sdk))?,
            key: LazyBadgeKey::from_env(&sdk)?,
            clock: lookout_core::time::system_clock(),
        })
    }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let segment = req.uri().path().rsplit('/').next().unwrap_or_default();
        let now = deps.clock.now();
        let key = deps.key.get().await.map_err(AppError::internal)?;
        let badge = lookout_heartbeats::badge(&deps.store.apps, key, segment, now)
            .await?
            .ok_or_else(|| AppError::NotFound("no such badge".into()))?;
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")
            .header(
                header::CACHE_CONTROL,
                format!("public, max-age={MAX_AGE_SECONDS}"),
            )
            .header("x-content-type-options", "nosniff")
            .body(Body::from(badge.svg()))
            .map_err(AppError::internal)
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`heartbeats-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
