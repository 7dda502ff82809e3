//! An event's context for the incident, bounded by construction.
//!
//! ```text
//! {"event_id", "timestamp", "platform", "release", "environment", "server_name",
//!  "transaction", "logger", "tags": {…}, "user": {…},
//!  "request": {"method", "url", "query_string", "headers": {…}},
//!  "exceptions": [{"type", "value", "module", "mechanism"?: {"type", "handled"},
//!                  "frames": [{"filename", "abs_path"?, "function", "module", "lineno",
//!                              "colno", "in_app", "context_line", "pre_context",
//!                              "post_context"}]}],
//!  "breadcrumbs": [{"timestamp", "type", "category", "level", "message", "data"}],
//!  "sdk": {"name", "version"}, "fingerprint": […], "truncated"?: true}
//! ```
//!
//! Exceptions and frames keep Sentry's order (the primary exception last, the innermost
//! frame last); breadcrumbs are oldest first. Each string is cut to 2 KiB (tags to 200
//! bytes, headers to 512), nested data (user fields, breadcrumb data) to 2 KiB of JSON; at
//! most 10 exceptions (the last), 50 frames each (the in-app ones first, then the innermost),
//! 5 lines of context on each side, 50 breadcrumbs (the newest), 50 tags, 30 headers.
//! Frame `vars` (local variables) are never copied: they may carry secrets, and so may the
//! values of the `Cookie`, `Authorization`, `X-Api-Key` (and similar) headers, which read
//! `[Filtered]`.
//!
//! The whole stays within [`MAX_SNAPSHOT_BYTES`] of JSON: past it, the snapshot gets
//! `"truncated": true` and loses, until it fits, its oldest breadcrumbs, the frames' source
//! context, the frames not in-app, the exceptions but the primary, then (last resorts) its
//! strings beyond 256 bytes, tags, user and request, the primary's frames but the 10
//! innermost, and at worst everything but its `event_id`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};

use sentry_types::protocol::v7::{Breadcrumb, Event, Exception, Frame, Request, User};

use crate::text::cut_bytes;

/// The largest snapshot, as JSON.
pub const MAX_SNAPSHOT_BYTES: usize = 64 * 1024;

const MAX_FIELD_BYTES: usize = 2 * 1024;
const MAX_TAG_BYTES: usize = 200;
const MAX_HEADER_BYTES: usize = 512;
const MAX_EXCEPTIONS: usize = 10;
const MAX_FRAMES: usize = 50;
const MAX_CONTEXT_LINES: usize = 5;
const MAX_BREADCRUMBS: usize = 50;
const MAX_TAGS: usize = 50;
const MAX_HEADERS: usize = 30;
const MAX_USER_FIELDS: usize = 20;
const MAX_FINGERPRINT: usize = 20;
/// Strings in the last-resort pass.
const MIN_FIELD_BYTES: usize = 256;
/// Frames of the primary exception in the last-resort pass.
const MIN_FRAMES: usize = 10;

const FILTERED: &str = "[Filtered]";
/// Headers whose values are never copied (compared in lower case).
const SECRET_HEADERS: [&str; 7] = [
    "cookie",
    "set-cookie",
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "x-auth-token",
    "x-sentry-auth",
];

#[derive(Debug, Serialize)]
struct Snapshot {
    event_id: String,
    timestamp: String,
    platform: String,
    release: Option<String>,
    environment: Option<String>,
    server_name: Option<String>,
    transaction: Option<String>,
    logger: Option<String>,
    tags: BTreeMap<String, String>,
    user: Option<Value>,
    request: Option<RequestSnapshot>,
    exceptions: Vec<ExceptionSnapshot>,
    breadcrumbs: Vec<BreadcrumbSnapshot>,
    sdk: Option<SdkSnapshot>,
    fingerprint: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    truncated: bool,
}

#[derive(Debug, Serialize)]
struct RequestSnapshot {
    method: Option<String>,
    url: Option<String>,
    query_string: Option<String>,
    headers: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
struct ExceptionSnapshot {
    #[serde(rename = "type")]
    ty: String,
    value: Option<String>,
    module: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mechanism: Option<MechanismSnapshot>,
    frames: Vec<FrameSnapshot>,
}

#[derive(Debug, Serialize)]
struct MechanismSnapshot {
    #[serde(rename = "type")]
    ty: String,
    handled: Option<bool>,
}

#[derive(Debug, Serialize)]
struct FrameSnapshot {
    filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    abs_path: Option<String>,
    function: Option<String>,
    module: Option<String>,
    lineno: Option<u64>,
    colno: Option<u64>,
    in_app: bool,
    context_line: Option<String>,
    pre_context: Vec<String>,
    post_context: Vec<String>,
}

#[derive(Debug, Serialize)]
struct BreadcrumbSnapshot {
    timestamp: String,
    #[serde(rename = "type")]
    ty: String,
    category: Option<String>,
    level: String,
    message: Option<String>,
    data: Value,
}

#[derive(Debug, Serialize)]
struct SdkSnapshot {
    name: String,
    version: String,
}

/// The snapshot of an event, within [`MAX_SNAPSHOT_BYTES`].
pub(crate) fn snapshot(event: &Event<'_>) -> Value {
    fit(Snapshot {
        event_id: event.event_id.as_simple().to_string(),
        timestamp: rfc3339(event.timestamp),
        platform: field(&event.platform),
        release: event.release.as_deref().map(field),
        environment: event.environment.as_deref().map(field),
        server_name: event.server_name.as_deref().map(field),
        transaction: event.transaction.as_deref().map(field),
        logger: event.logger.as_deref().map(field),
        tags: event
            .tags
            .iter()
            .take(MAX_TAGS)
            .map(|(k, v)| (cut_bytes(k, MAX_TAG_BYTES), cut_bytes(v, MAX_TAG_BYTES)))
            .collect(),
        user: event.user.as_ref().map(user),
        request: event.request.as_ref().map(request),
        exceptions: {
            let values = &event.exception.values;
            let skip = values.len().saturating_sub(MAX_EXCEPTIONS);
            values.iter().skip(skip).map(exception).collect()
        },
        breadcrumbs: {
            let crumbs = &event.breadcrumbs.values;
            let skip = crumbs.len().saturating_sub(MAX_BREADCRUMBS);
            crumbs.iter().skip(skip).map(breadcrumb).collect()
        },
        sdk: event.sdk.as_ref().map(|sdk| SdkSnapshot {
            name: field(&sdk.name),
            version: field(&sdk.version),
        }),
        fingerprint: event
            .fingerprint
            .iter()
            .take(MAX_FINGERPRINT)
            .map(|f| cut_bytes(f, MAX_TAG_BYTES))
            .collect(),
        truncated: false,
    })
}

fn field(s: &str) -> String {
    cut_bytes(s, MAX_FIELD_BYTES)
}

fn opt_field(s: Option<&String>) -> Option<String> {
    s.map(|s| field(s))
}

fn rfc3339(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `v` if its JSON fits `max` bytes (its strings cut first), else its JSON cut to `max`.
fn small_json(v: &Value, max: usize) -> Value {
    let mut v = v.clone();
    cut_strings(&mut v, max);
    let text = v.to_string();
    if text.len() <= max {
        v
    } else {
        Value::String(cut_bytes(&text, max))
    }
}

/// Every string in `v` (keys too) cut to `max` bytes.
fn cut_strings(v: &mut Value, max: usize) {
    match v {
        Value::String(s) if s.len() > max => *s = cut_bytes(s, max),
        Value::Array(items) => items.iter_mut().for_each(|item| cut_strings(item, max)),
        Value::Object(map) => {
            if map.keys().any(|k| k.len() > max) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| (cut_bytes(&k, max), v))
                    .collect();
            }
            map.values_mut().for_each(|item| cut_strings(item, max));
        }
        _ => {}
    }
}

fn user(u: &User) -> Value {
    let mut out = Map::new();
    let known = [
        ("id", u.id.clone()),
        ("email", u.email.clone()),
        ("username", u.username.clone()),
        ("ip_address", u.ip_address.map(|ip| ip.to_string())),
    ];
    for (key, value) in known {
        if let Some(value) = value {
            out.insert(key.to_owned(), Value::String(field(&value)));
        }
    }
    for (key, value) in u.other.iter().take(MAX_USER_FIELDS) {
        out.insert(
            cut_bytes(key, MAX_TAG_BYTES),
            small_json(value, MAX_FIELD_BYTES),
        );
    }
    Value::Object(out)
}

fn request(r: &Request) -> RequestSnapshot {
    RequestSnapshot {
        method: opt_field(r.method.as_ref()),
        url: r.url.as_ref().map(|u| field(u.as_str())),
        query_string: opt_field(r.query_string.as_ref()),
        headers: r
            .headers
            .iter()
            .take(MAX_HEADERS)
            .map(|(k, v)| {
                let secret = SECRET_HEADERS.contains(&k.to_ascii_lowercase().as_str());
                let v = if secret { FILTERED } else { v.as_str() };
                (cut_bytes(k, MAX_TAG_BYTES), cut_bytes(v, MAX_HEADER_BYTES))
            })
            .collect(),
    }
}

fn exception(x: &Exception) -> ExceptionSnapshot {
    let frames = x
        .stacktrace
        .as_ref()
        .or(x.raw_stacktrace.as_ref())
        .map(|s| pick_frames(&s.frames))
        .unwrap_or_default();
    ExceptionSnapshot {
        ty: field(&x.ty),
        value: opt_field(x.value.as_ref()),
        module: opt_field(x.module.as_ref()),
        mechanism: x.mechanism.as_ref().map(|m| MechanismSnapshot {
            ty: field(&m.ty),
            handled: m.handled,
        }),
        frames: frames.into_iter().map(frame).collect(),
    }
}

/// At most [`MAX_FRAMES`] frames in their order: the innermost in-app ones, then the
/// innermost others.
fn pick_frames(frames: &[Frame]) -> Vec<&Frame> {
    if frames.len() <= MAX_FRAMES {
        return frames.iter().collect();
    }
    let mut keep: BTreeSet<usize> = frames
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, f)| f.in_app == Some(true))
        .map(|(i, _)| i)
        .take(MAX_FRAMES)
        .collect();
    for i in (0..frames.len()).rev() {
        if keep.len() >= MAX_FRAMES {
            break;
        }
        keep.insert(i);
    }
    frames
        .iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, f)| f)
        .collect()
}

fn frame(f: &Frame) -> FrameSnapshot {
    let pre_skip = f.pre_context.len().saturating_sub(MAX_CONTEXT_LINES);
    FrameSnapshot {
        filename: opt_field(f.filename.as_ref()),
        abs_path: opt_field(f.abs_path.as_ref()),
        function: opt_field(f.function.as_ref()),
        module: opt_field(f.module.as_ref()),
        lineno: f.lineno,
        colno: f.colno,
        in_app: f.in_app == Some(true),
        context_line: opt_field(f.context_line.as_ref()),
        pre_context: f
            .pre_context
            .iter()
            .skip(pre_skip)
            .map(|l| field(l))
            .collect(),
        post_context: f
            .post_context
            .iter()
            .take(MAX_CONTEXT_LINES)
            .map(|l| field(l))
            .collect(),
    }
}

fn breadcrumb(b: &Breadcrumb) -> BreadcrumbSnapshot {
    BreadcrumbSnapshot {
        timestamp: rfc3339(b.timestamp),
        ty: field(&b.ty),
        category: opt_field(b.category.as_ref()),
        level: b.level.to_string(),
        message: opt_field(b.message.as_ref()),
        data: if b.data.is_empty() {
            json!({})
        } else {
            let data: Map<String, Value> = b.data.clone().into_iter().collect();
            small_json(&Value::Object(data), MAX_FIELD_BYTES)
        },
    }
}

fn json_len<T: Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |bytes| bytes.len())
}

/// The snapshot as JSON within [`MAX_SNAPSHOT_BYTES`] (see the module's doc).
fn fit(mut s: Snapshot) -> Value {
    let fits = |s: &Snapshot| json_len(s) <= MAX_SNAPSHOT_BYTES;
    if !fits(&s) {
        s.truncated = true;
        // The oldest breadcrumbs, as many at a time as the excess needs.
        while !fits(&s) && !s.breadcrumbs.is_empty() {
            let excess = json_len(&s).saturating_sub(MAX_SNAPSHOT_BYTES);
            let mut freed = 0;
            let mut n = 0;
            for crumb in &s.breadcrumbs {
                if freed >= excess {
                    break;
                }
                freed += json_len(crumb) + 1;
                n += 1;
            }
            s.breadcrumbs.drain(..n.max(1));
        }
        let steps: [fn(&mut Snapshot); 4] = [
            |s| {
                frames_mut(s).for_each(|f| {
                    f.pre_context.clear();
                    f.post_context.clear();
                });
            },
            |s| frames_mut(s).for_each(|f| f.context_line = None),
            |s| {
                s.exceptions
                    .iter_mut()
                    .for_each(|x| x.frames.retain(|f| f.in_app))
            },
            |s| {
                let others = s.exceptions.len().saturating_sub(1);
                s.exceptions.drain(..others);
            },
        ];
        for step in steps {
            if fits(&s) {
                break;
            }
            step(&mut s);
        }
    }
    let mut v = serde_json::to_value(&s).unwrap_or_else(|_| minimal(&s.event_id));
    if !fits(&s) {
        last_resort(&mut v);
    }
    if json_len(&v) > MAX_SNAPSHOT_BYTES {
        v = minimal(&s.event_id);
    }
    v
}

fn frames_mut(s: &mut Snapshot) -> impl Iterator<Item = &mut FrameSnapshot> {
    s.exceptions.iter_mut().flat_map(|x| x.frames.iter_mut())
}

/// Strings to 256 bytes, then no tags, user, request, then the primary's 10 innermost frames.
fn last_resort(v: &mut Value) {
    let fits = |v: &Value| json_len(v) <= MAX_SNAPSHOT_BYTES;
    cut_strings(v, MIN_FIELD_BYTES);
    if fits(v) {
        return;
    }
    if let Some(s) = v.as_object_mut() {
        s.insert("tags".to_owned(), json!({}));
        s.insert("user".to_owned(), Value::Null);
        s.insert("request".to_owned(), Value::Null);
    }
    if fits(v) {
        return;
    }
    let frames = v
        .get_mut("exceptions")
        .and_then(Value::as_array_mut)
        .and_then(|xs| xs.last_mut())
        .and_then(|x| x.get_mut("frames"))
        .and_then(Value::as_array_mut);
    if let Some(frames) = frames {
        let skip = frames.len().saturating_sub(MIN_FRAMES);
        frames.drain(..skip);
    }
}

fn minimal(event_id: &str) -> Value {
    json!({ "event_id": event_id, "truncated": true })
}
