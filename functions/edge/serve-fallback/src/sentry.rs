//! Sentry's ingestion routes, `POST /api/<project id>/envelope/` and the older
//! `POST /api/<project id>/store/`, with the trailing slash the SDKs send (and without): what
//! an official Sentry SDK sends to an incident app's DSN.
//!
//! The request, top to bottom: the body is bounded as received and after decompression
//! (`Content-Encoding` gzip, deflate or br; past a bound 413, nothing stored), parsed whole
//! (a malformed envelope is 400, nothing stored), the DSN key found (`X-Sentry-Auth`, the
//! `sentry_key` query parameter, or the envelope header's DSN; none is 401) and checked against
//! the app whose project id the path names (403 otherwise). Then each item goes to its domain:
//!
//! - `event` → an incident of the app ([`lookout_incidents::report_event`]), grouped by the
//!   event's fingerprint, or its exception and top in-app frame, or its message;
//! - `check_in` → a run of the job `monitor_slug` of the app's heartbeat tenant
//!   ([`lookout_heartbeats::check_in`]), its `monitor_config` upserting the job's schedule;
//! - `log` → log lines of the app's log user ([`lookout_logs::send_logs`], its daily quota);
//! - anything else (sessions, client reports, transactions, attachments, unknown types) is
//!   accepted and dropped, counted in the log.
//!
//! Answers as Sentry's: 200 `{"id": <event id>}`; a quota hit is 429 with `Retry-After` and
//! `X-Sentry-Rate-Limits`, on which the SDKs stop sending for that long.

use lambda_http::{
    http::{HeaderValue, StatusCode},
    Body, Request, Response,
};
use lookout_core::{auth::Tenant, quota::QuotaExceeded, time::Timestamp};
use lookout_heartbeats::{check_in, AppId, CheckInCommand, Expected, MonitorSettings, SignalKind};
use lookout_http::{body_bytes, header, json_response, set_retry_after, AppError};
use lookout_incidents::{authenticate_dsn, report_event, App, IncidentLevel, SentryEvent};
use lookout_logs::{linked_user, send_logs, Batch, Level, LogLine, SendBatch, UserName};
use lookout_sentry::{
    check_in_draft, decode_body, event_draft, log_drafts, parse_dsn, parse_envelope, parse_store,
    rate_limits_header, sentry_key_from_header, sentry_key_from_query, BodyError, CheckInStatus,
    Endpoint, Item, LogDraft, ScheduleDraft, MAX_BODY_BYTES, MAX_DECODED_BYTES,
};
use serde_json::json;

use crate::{Deps, SentryDeps};

/// The longest attribute text kept with a log line (its description).
const MAX_LOG_ATTRIBUTES: usize = 1024;

/// Serves one Sentry ingestion request for project `project_id`.
pub async fn ingest(
    deps: &Deps,
    req: &Request,
    project_id: u64,
    endpoint: Endpoint,
) -> Result<Response<Body>, AppError> {
    let Some(sentry) = deps.sentry.as_ref() else {
        return Err(AppError::NotFound(
            "Sentry ingestion is not configured on this stack".into(),
        ));
    };
    let raw = body_bytes(req);
    if raw.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "the body is larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    let body =
        decode_body(header(req, "content-encoding"), raw, MAX_DECODED_BYTES).map_err(|err| {
            match err {
                BodyError::TooLarge { .. } => AppError::PayloadTooLarge(err.to_string()),
                BodyError::Unsupported(_) | BodyError::Corrupt(_) => {
                    AppError::Validation(err.to_string())
                }
            }
        })?;
    let (items, event_id, envelope_dsn) = match endpoint {
        Endpoint::Envelope => {
            let envelope = parse_envelope(&body)
                .map_err(|err| AppError::Validation(format!("malformed envelope: {err}")))?;
            (envelope.items, envelope.event_id, envelope.dsn)
        }
        Endpoint::Store => {
            let event = parse_store(&body)
                .map_err(|err| AppError::Validation(format!("malformed event: {err}")))?;
            let id = event.event_id.simple().to_string();
            (vec![Item::Event(Box::new(event))], Some(id), None)
        }
    };
    let key = presented_key(req, envelope_dsn.as_deref(), project_id).ok_or_else(|| {
        AppError::Unauthorized(
            "no DSN key: send X-Sentry-Auth, the sentry_key query parameter or the DSN".into(),
        )
    })?;
    let app = authenticate_dsn(&sentry.report.store.apps, project_id, &key).await?;
    let id = event_id.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    match deliver(deps, sentry, &app, items).await {
        Ok(()) => Ok(json_response(StatusCode::OK, &json!({ "id": id }))),
        Err(Refused::Quota(q)) => Ok(rate_limited(&q)),
        Err(Refused::Error(err)) => Err(err),
    }
}

/// Why an envelope's items were not all taken.
enum Refused {
    Quota(QuotaExceeded),
    Error(AppError),
}

/// A domain's error: a quota hit is answered as Sentry's, anything else as usual.
fn refused(err: impl Into<AppError>) -> Refused {
    match err.into() {
        AppError::TooManyRequests(q) => Refused::Quota(q),
        other => Refused::Error(other),
    }
}

/// 429 as Sentry answers it: `Retry-After`, and `X-Sentry-Rate-Limits` for every category of
/// this key, which the SDKs honour by sending nothing for that long.
fn rate_limited(q: &QuotaExceeded) -> Response<Body> {
    tracing::warn!(status = 429, error = %q, "sentry envelope over quota");
    let mut resp = json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({"error": "too_many_requests", "message": q.to_string()}),
    );
    set_retry_after(&mut resp, q.retry_after);
    if let Ok(v) = HeaderValue::from_str(&rate_limits_header(q.retry_after)) {
        resp.headers_mut().insert("x-sentry-rate-limits", v);
    }
    resp
}

/// The DSN key the request presents: `X-Sentry-Auth` (or `Authorization: Sentry …`), then the
/// `sentry_key` query parameter, then the envelope header's DSN when it names this project.
fn presented_key(req: &Request, envelope_dsn: Option<&str>, project_id: u64) -> Option<String> {
    for name in ["x-sentry-auth", "authorization"] {
        if let Some(key) = header(req, name).and_then(sentry_key_from_header) {
            return Some(key);
        }
    }
    if let Some(key) = req.uri().query().and_then(sentry_key_from_query) {
        return Some(key);
    }
    let (key, project) = envelope_dsn.and_then(parse_dsn)?;
    (project == project_id.to_string()).then_some(key)
}

/// Takes each item to its domain, in order. Items the app has no place for (a check-in without
/// a heartbeat tenant, logs without a log user) are dropped and counted, as unknown types are.
async fn deliver(
    deps: &Deps,
    sentry: &SentryDeps,
    app: &App,
    items: Vec<Item>,
) -> Result<(), Refused> {
    let mut dropped: Vec<String> = Vec::new();
    for item in items {
        match item {
            Item::Event(event) => {
                report(sentry, app, &event).await?;
            }
            Item::CheckIn(c) => {
                if !record_check_in(deps, app, &c).await? {
                    dropped.push("check_in (no heartbeat_tenant linked)".into());
                }
            }
            Item::Logs(logs) => {
                if !store_logs(sentry, app, &log_drafts(&logs)).await? {
                    dropped.push("log (no log_user linked)".into());
                }
            }
            Item::Dropped { item_type } => dropped.push(item_type),
        }
    }
    if !dropped.is_empty() {
        tracing::info!(app = app.name(), ?dropped, "sentry items dropped");
    }
    Ok(())
}

/// An `event`: an occurrence of the app's incident.
async fn report(
    sentry: &SentryDeps,
    app: &App,
    event: &lookout_sentry::protocol::Event<'static>,
) -> Result<(), Refused> {
    let draft = event_draft(event);
    let level = IncidentLevel::parse(draft.level).unwrap_or(IncidentLevel::Error);
    let event = SentryEvent {
        title: draft.title,
        message: draft.message,
        level,
        group_key: draft.group_key,
        details: draft.snapshot,
    };
    let console = sentry.report.console_url.as_deref();
    let quota = sentry.quotas.sentry_events_per_day;
    report_event(&sentry.report.ports(), app, event, quota, console)
        .await
        .map_err(refused)?;
    Ok(())
}

/// A `check_in`: a run of the monitored job in the app's heartbeat tenant; `false` when the app
/// links none.
async fn record_check_in(
    deps: &Deps,
    app: &App,
    c: &lookout_sentry::protocol::MonitorCheckIn,
) -> Result<bool, Refused> {
    let Some(tenant) = app.links().heartbeat_tenant.as_deref() else {
        return Ok(false);
    };
    let draft = check_in_draft(c).map_err(|e| Refused::Error(AppError::Validation(e)))?;
    let tenant = Tenant::parse(tenant).map_err(|e| Refused::Error(AppError::Internal(e.into())))?;
    let job = AppId::parse_str(&draft.monitor_slug)
        .map_err(|e| Refused::Error(AppError::Validation(e)))?;
    let kind = match draft.status {
        CheckInStatus::InProgress => SignalKind::Start,
        CheckInStatus::Ok => SignalKind::Success,
        CheckInStatus::Error => SignalKind::Fail,
    };
    let settings = draft.config.map(|m| MonitorSettings {
        expected: match m.schedule {
            ScheduleDraft::Crontab(expr) => Expected::Cron {
                expr,
                tz: m.timezone,
            },
            ScheduleDraft::Interval { seconds } => Expected::Every { seconds },
        },
        grace_seconds: m.checkin_margin_minutes.map(|v| v.saturating_mul(60)),
        max_runtime_seconds: m.max_runtime_minutes.map(|v| v.saturating_mul(60)),
        failures_in_a_row: m.failure_issue_threshold,
    });
    let cmd = CheckInCommand {
        tenant,
        job,
        kind,
        run_id: Some(draft.check_in_id),
        settings,
    };
    check_in(&deps.beats.ports(), cmd).await.map_err(refused)?;
    Ok(true)
}

/// `log` items: lines of the app's log user, charged to its daily quota; `false` when the app
/// links no log user.
async fn store_logs(sentry: &SentryDeps, app: &App, drafts: &[LogDraft]) -> Result<bool, Refused> {
    let Some(user) = app.links().log_user.as_deref() else {
        return Ok(false);
    };
    let Some(store) = sentry.report.logs.as_ref() else {
        return Ok(false);
    };
    let name = UserName::parse(user).map_err(|e| Refused::Error(AppError::Internal(e.into())))?;
    let user = linked_user(&store.users, &name).await.map_err(refused)?;
    let now = sentry.report.clock.now();
    let mut bytes = 0_u64;
    let logs: Vec<LogLine> = drafts
        .iter()
        .map(|d| {
            let attributes = serde_json::Value::Object(d.attributes.clone()).to_string();
            let p_description: String = if d.attributes.is_empty() {
                String::new()
            } else {
                attributes.chars().take(MAX_LOG_ATTRIBUTES).collect()
            };
            bytes += (d.body.len() + p_description.len()) as u64;
            LogLine {
                level: log_level(d.level),
                msg: d.body.clone(),
                event_at: Timestamp::parse_json(&json!(d.timestamp_ms)).unwrap_or(now),
                p_description,
            }
        })
        .collect();
    let batch = Batch {
        user: name,
        pid: 0,
        p_name: app
            .links()
            .log_process
            .clone()
            .unwrap_or_else(|| "sentry".into()),
        post_time: now,
        logs,
    };
    let cmd = SendBatch {
        user,
        batch,
        body_bytes: bytes,
        bytes_per_day: sentry.quotas.log_bytes_per_day,
        now,
    };
    send_logs(&store.lines, &store.usage, cmd)
        .await
        .map_err(refused)?;
    Ok(true)
}

/// Sentry's log levels as the log store's (warn is warning, fatal critical, trace debug).
fn log_level(level: &str) -> Level {
    Level::parse(level).unwrap_or(Level::Debug)
}

/// Whether the request is to a Sentry ingestion route (`/api/<project>/envelope` or `/store`,
/// with or without trailing slashes): its project id and endpoint, or a 400 for a project id
/// that is not a number (a DSN's always is).
pub fn route(req: &Request) -> Option<Result<(u64, Endpoint), AppError>> {
    let path = req.uri().path();
    if let Some(found) = lookout_sentry::project_id_from_path(path) {
        return Some(Ok(found));
    }
    let rest = path.strip_prefix("/api/")?.trim_end_matches('/');
    let (project, endpoint) = rest.split_once('/')?;
    // `/api/apps/<signal>` is the heartbeat signals' route.
    let sentry = project != "apps" && matches!(endpoint, "envelope" | "store");
    sentry.then(|| {
        Err(AppError::Validation(format!(
            "project id {project:?} is not a DSN's project id (digits)"
        )))
    })
}
