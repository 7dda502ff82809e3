//! `GET /logs?user=…[&process=…][&pid=…][&level=error,critical][&from=…][&to=…][&limit=…][&next_token=…]`
//!
//! Auth: the admin bearer token (any user), or the user's own `X-User-Token`.
//! Returns `{"user","logs":[{"event_at","level","msg","p_description","p_name","pid","post_time"}],
//! "next_token"?, "usage"?}`; `from`/`to` take any accepted timestamp form; `limit` 1..=1000
//! (default 100). The first page (no `next_token`) also has `usage`: the user's lines and bytes
//! per UTC day over the last 30 days, oldest first (the console's volume chart).

use lambda_http::{Body, Error, Request, RequestExt, Response};
use lookout_core::{
    auth::AdminAuth,
    aws, config,
    time::{system_clock, SharedClock, Timestamp},
};
use lookout_http::{bearer, header, ok, respond_no_store, AdminCheck, AppError};
use lookout_logs::{Level, LogQuery, LogStore, QueryLogs, Reader, UserName, MAX_PAGE};

#[derive(Debug, Clone)]
pub struct Deps {
    pub admin: AdminAuth,
    pub store: LogStore,
    pub clock: SharedClock,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            admin: AdminAuth::from_env()?,
            store: LogStore::from_env(aws::dynamodb(&sdk))?,
            clock: system_clock(),
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
    respond_no_store(async {
        // Authenticated before the query is read: an admin by the bearer token; a user by
        // its token, for which only the `user` parameter is read first.
        let token = header(&req, "x-user-token")
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let reader = match (bearer(&req), token) {
            (Some(_), _) => {
                deps.admin.check(&req)?;
                Reader::Admin
            }
            (None, Some(t)) => {
                let user = user_param(&req)?;
                Reader::User(lookout_logs::authenticate(&deps.store.users, &user, t).await?)
            }
            (None, None) => {
                return Err(AppError::Unauthorized(
                    "admin bearer token or X-User-Token required".into(),
                ))
            }
        };
        let (user, query) = parse(&req)?;
        let cmd = QueryLogs {
            reader,
            user,
            query,
            now: deps.clock.now(),
        };
        let page = lookout_logs::query_logs(&deps.store.lines, &deps.store.usage, cmd).await?;
        Ok(ok(&page))
    })
    .await
}

/// The `user` parameter alone (what a user's token is checked against).
fn user_param(req: &Request) -> Result<UserName, AppError> {
    let params = req.query_string_parameters();
    let user = params
        .first("user")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AppError::validation("user is required"))?;
    UserName::parse(user).map_err(AppError::Validation)
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`logs-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
