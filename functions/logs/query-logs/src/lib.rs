//! `GET /logs?user=…[&process=…][&pid=…][&level=error,critical][&from=…][&to=…][&limit=…][&next_token=…]`
//!
//! Auth: the admin bearer token (any user), or the user's own `X-User-Token`.
//! Returns `{"user","logs":[{"event_at","level","msg","p_description","p_name","pid","post_time"}],
//! "next_token"?}`; `from`/`to` take any accepted timestamp form; `limit` 1..=1000 (default 100).

use lambda_http::{Body, Error, Request, RequestExt, Response};
use lookout_core::{
    auth::{bearer, AdminAuth},
    aws, config,
    http::{header, ok, respond},
    time::Timestamp,
    AppError,
};
use lookout_logs::{Level, LogQuery, LogStore, UserName, MAX_PAGE};

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub store: LogStore,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: LogStore::from_env(aws::dynamodb(&sdk))?,
        })
    }
}

const PARAMS: [&str; 8] = [
    "user",
    "process",
    "pid",
    "level",
    "from",
    "to",
    "limit",
    "next_token",
];

fn parse(req: &Request) -> Result<(UserName, LogQuery), AppError> {
    let params = req.query_string_parameters();
    for (name, _) in params.iter() {
        if !PARAMS.contains(&name) {
            return Err(AppError::validation(format!(
                "unknown query parameter {name:?}; known: {}",
                PARAMS.join(", ")
            )));
        }
    }
    let get = |k: &str| params.first(k).map(str::trim).filter(|v| !v.is_empty());
    let user =
        UserName::parse(get("user").ok_or_else(|| AppError::validation("user is required"))?)
            .map_err(AppError::Validation)?;
    let time = |k: &str| {
        get(k)
            .map(|v| Timestamp::parse_str(v).map_err(|e| AppError::Validation(format!("{k}: {e}"))))
            .transpose()
    };
    let number = |k: &str| {
        get(k)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    AppError::Validation(format!("{k} must be a non-negative integer"))
                })
            })
            .transpose()
    };
    let levels = match get("level") {
        None => Vec::new(),
        Some(v) => v
            .split(',')
            .map(|l| Level::parse(l).map_err(AppError::Validation))
            .collect::<Result<_, _>>()?,
    };
    let limit = match number("limit")? {
        None => 100,
        Some(n) if (1..=MAX_PAGE as u64).contains(&n) => usize::try_from(n).unwrap_or(MAX_PAGE),
        Some(_) => {
            return Err(AppError::validation(format!(
                "limit must be 1..={MAX_PAGE}"
            )))
        }
    };
    let q = LogQuery {
        p_name: get("process").map(str::to_owned),
        pid: number("pid")?,
        levels,
        from: time("from")?,
        to: time("to")?,
        limit,
        next_token: get("next_token").map(str::to_owned),
    };
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f > t {
            return Err(AppError::validation("from must not be after to"));
        }
    }
    Ok((user, q))
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond(async {
        let token = header(&req, "x-user-token")
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if bearer(&req).is_none() && token.is_none() {
            return Err(AppError::Unauthorized(
                "admin bearer token or X-User-Token required".into(),
            ));
        }
        let (user, q) = parse(&req)?;
        match token {
            Some(t) if bearer(&req).is_none() => {
                if !deps.store.verify(&user, t).await? {
                    return Err(AppError::Forbidden(
                        "X-User-Token does not match user".into(),
                    ));
                }
            }
            _ => deps.admin.check(&req)?,
        }
        let page = deps.store.query(&user, q).await?;
        Ok(ok(&page))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`logs-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
