//! `GET /ack/{token}` and `POST /ack/{token}` (public: the signed token is the credential):
//! the link an alert that needs someone carries (Slack's "Acknowledge" button, Discord's and
//! the webhook's `ack_url`).
//!
//! - `GET` shows the incident (title, state) and, while it is open, a form with an optional
//!   name and an "Acknowledge" button. It changes nothing: link previews and mail scanners
//!   fetch links, and must not acknowledge anything.
//! - `POST` (the form) acknowledges the incident, recorded in its history as
//!   `<name> (alert link)`; its repeats and escalation then stop (each finds it acknowledged
//!   when it fires). An incident already acknowledged or resolved is left as it is.
//! - A token that is not Lookout's, names another incident, or has expired (7 days after its
//!   alert) is a 404 page; nothing is read or written.
//!
//! The pages are HTML, `no-store`, never framed (`frame-ancestors 'none'`), and send no
//! referrer (the token is in the URL).
//!
//! `POST /ack/telegram/{tenant}` is the third way to acknowledge: a press of the
//! "Acknowledge" button on a Telegram alert ([`telegram`]).

mod telegram;

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_alerts::Sealer;
use lookout_core::{
    aws, config,
    error::error_chain,
    time::{system_clock, SharedClock},
};
use lookout_http::body_bytes;
use lookout_incidents::{
    update_incident, IncidentError, IncidentStore, IncidentTable, IncidentUpdate, Status,
};

#[derive(Debug, Clone)]
pub struct Deps {
    pub sealer: Sealer,
    pub store: IncidentStore,
    pub clock: SharedClock,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            sealer: Sealer::from_env(&sdk).await?,
            store: IncidentStore::from_env(aws::dynamodb(&sdk))?,
            clock: system_clock(),
        })
    }
}

/// Longest name taken from the form.
const MAX_NAME: usize = 64;
/// Largest form body read.
const MAX_FORM: usize = 4096;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    if let Some(tenant) = req.uri().path().strip_prefix("/ack/telegram/") {
        let tenant = tenant.to_owned();
        if req.method() != "POST" {
            return Ok(page(
                StatusCode::METHOD_NOT_ALLOWED,
                "Not allowed",
                "<p>Telegram posts button presses here.</p>",
            ));
        }
        return Ok(telegram::handle(deps, &req, &tenant).await);
    }
    let token = req.uri().path().rsplit('/').next().unwrap_or_default();
    let now = deps.clock.now();
    let Some((tenant, incident_id)) = deps.sealer.open_ack(token, now.unix_seconds()) else {
        return Ok(page(
            StatusCode::NOT_FOUND,
            "Link not valid",
            "<p>This acknowledgement link is not valid or has expired (links work for 7 days). \
             Acknowledge the incident in the console instead.</p>",
        ));
    };
    let detail = match deps.store.incidents().get(&incident_id).await {
        Ok(d) => d,
        Err(IncidentError::IncidentNotFound) => {
            return Ok(page(
                StatusCode::NOT_FOUND,
                "Incident not found",
                "<p>The incident this link names no longer exists.</p>",
            ))
        }
        Err(err) => return Ok(fault(&err)),
    };
    let title = escape(&detail.incident.title);
    let who = format!(
        "<p class=\"muted\">Incident <code>{}</code> of <code>{}</code></p>",
        escape(&incident_id),
        escape(&tenant)
    );
    let done_already = |detail: &lookout_incidents::IncidentDetail| {
        let last = detail
            .history
            .iter()
            .rev()
            .find(|c| c.field == "status")
            .map(|c| format!(" by {} at {}", escape(&c.by), c.at))
            .unwrap_or_default();
        match detail.incident.status {
            Status::Acknowledged => Some(format!("<p>Already acknowledged{last}.</p>")),
            Status::Resolved => Some(format!("<p>Already resolved{last}.</p>")),
            Status::Open => None,
        }
    };
    match req.method().as_str() {
        "GET" | "HEAD" => {
            let body = match done_already(&detail) {
                Some(text) => format!("<h1>{title}</h1>{who}{text}"),
                None => format!(
                    "<h1>{title}</h1>{who}<p>Open, and repeating until someone acknowledges it.</p>\
                     <form method=\"post\"><label>Your name (optional) \
                     <input name=\"by\" maxlength=\"{MAX_NAME}\" autocomplete=\"name\"></label> \
                     <button type=\"submit\">Acknowledge</button></form>"
                ),
            };
            Ok(page(StatusCode::OK, "Acknowledge alert", &body))
        }
        "POST" => {
            if let Some(text) = done_already(&detail) {
                return Ok(page(
                    StatusCode::OK,
                    "Acknowledge alert",
                    &format!("<h1>{title}</h1>{who}{text}"),
                ));
            }
            let by = match form_name(&req) {
                Ok(by) => by,
                Err(message) => {
                    return Ok(page(StatusCode::BAD_REQUEST, "Not acknowledged", message))
                }
            };
            match acknowledge(deps, &detail, &by).await {
                Ok(_) => {
                    tracing::info!(
                        tenant,
                        incident = incident_id,
                        by,
                        "incident acknowledged by its alert link"
                    );
                    Ok(page(
                        StatusCode::OK,
                        "Acknowledged",
                        &format!(
                            "<h1>{title}</h1>{who}<p>Acknowledged by {}. Its alert stops \
                             repeating and escalating.</p>",
                            escape(&by)
                        ),
                    ))
                }
                // Changed meanwhile (acknowledged or resolved by someone else): say so.
                Err(IncidentError::Changed(_)) => Ok(page(
                    StatusCode::CONFLICT,
                    "Changed meanwhile",
                    "<p>The incident changed while you looked at it; open the link again.</p>",
                )),
                Err(err) => Ok(fault(&err)),
            }
        }
        _ => Ok(page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "<p>Open the link, then press Acknowledge.</p>",
        )),
    }
}

/// Acknowledges the incident `detail` shows, as `by`, if it is still at `detail`'s version
/// (`IncidentError::Changed` otherwise): what the link's form and a Telegram press both do.
async fn acknowledge(
    deps: &Deps,
    detail: &lookout_incidents::IncidentDetail,
    by: &str,
) -> Result<(), IncidentError> {
    let update = IncidentUpdate {
        id: detail.incident.id.clone(),
        status: Some(Status::Acknowledged),
        assignee: None,
        notes: None,
        by: Some(by.to_owned()),
        version: Some(detail.incident.version),
    };
    update_incident(deps.store.incidents(), update, deps.clock.now()).await?;
    Ok(())
}

/// The form's `by` (optional, at most [`MAX_NAME`] printable characters), as the history
/// records it.
fn form_name(req: &Request) -> Result<String, &'static str> {
    let body = body_bytes(req);
    if body.len() > MAX_FORM {
        return Err("<p>The form is too large.</p>");
    }
    let name = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "by")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err("<p>The name is at most 64 printable characters.</p>");
    }
    Ok(if name.is_empty() {
        "alert link".to_owned()
    } else {
        format!("{name} (alert link)")
    })
}

fn fault(err: &IncidentError) -> Response<Body> {
    tracing::error!(error = %error_chain(err), "acknowledgement failed");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again",
        "<p>The incident could not be read or changed just now; try again in a minute.</p>",
    )
}

/// `s` safe inside HTML text and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · Lookout</title><style>body{{font:16px system-ui,sans-serif;\
         max-width:40rem;margin:3rem auto;padding:0 1rem}}.muted{{color:#666}}\
         button{{font:inherit;padding:.4rem 1rem}}input{{font:inherit}}</style></head>\
         <body>{body}</body></html>"
    );
    let mut resp = Response::new(Body::from(html));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    for (k, v) in [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
    ] {
        if let Ok(v) = lambda_http::http::HeaderValue::from_str(v) {
            headers.insert(k, v);
        }
    }
    resp
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`alerts-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
