//! `GET /admin/incidents?app=&level=&status=&from=&to=&limit=&next_token=` (admin) →
//! `{"incidents":[…],"next_token"?}`, most recently seen first. One request reads a bounded
//! number of DynamoDB pages, for a bounded time (`IncidentRecordStore::list`): a page may hold fewer
//! than `limit` incidents, even none, and still have a `next_token`.

use lambda_http::{run, service_fn, Body, Error, Request, RequestExt, Response};
use lookout_core::time::Timestamp;
use lookout_http::{ok, respond_no_store, AppError};
use lookout_http::{query_params, AdminCheck};
use lookout_incidents::{AppName, IncidentLevel, IncidentQuery, Status, MAX_PAGE};

pub use lookout_incidents::AdminDeps as Deps;

fn parse(req: &Request) -> Result<IncidentQuery, AppError> {
    let params = req.query_string_parameters();
    let get = query_params(
        &params,
        &[
            "app",
            "level",
            "status",
            "from",
            "to",
            "limit",
            "next_token",
        ],
    )?;
    let time = |k: &str| {
        get(k)
            .map(|t| Timestamp::parse_str(t).map_err(|e| AppError::Validation(format!("{k}: {e}"))))
            .transpose()
    };
    let limit = match get("limit") {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| AppError::validation(format!("limit must be 1..={MAX_PAGE}")))?,
    };
    let q = IncidentQuery {
        app: get("app")
            .map(AppName::parse)
            .transpose()
            .map_err(AppError::Validation)?,
        level: get("level")
            .map(IncidentLevel::parse)
            .transpose()
            .map_err(AppError::Validation)?,
        status: get("status")
            .map(Status::parse)
            .transpose()
            .map_err(AppError::Validation)?,
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
    Ok(q)
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    respond_no_store(async {
        deps.admin.check(&req)?;
        let q = parse(&req)?;
        Ok(ok(&deps.store.incidents.list(q).await?))
    })
    .await
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
