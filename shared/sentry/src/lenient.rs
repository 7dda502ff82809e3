//! Payloads as real SDKs send them, repaired where sentry-types' structs are stricter than
//! Sentry itself, then deserialized with those structs.
//!
//! Sentry's ingest (Relay) accepts, and the Python SDK 2.x sends, what sentry-types rejects:
//! a tag or a user id that is a number (`set_tag("shard", 3)`, `set_user({"id": 42})`), a
//! request's `data` that is the parsed JSON body, log levels such as `notset`, a context of a
//! type it does not know, a log attribute of type `array`. One such field would fail the
//! whole event, so each field is first checked against its sentry-types type (by
//! deserializing it alone): a field that fails is repaired when the intent is plain (a number
//! where a string belongs becomes its text, an object where a string belongs its JSON, an
//! unknown context type becomes a generic context) and dropped otherwise; an exception,
//! frame, breadcrumb or thread that still fails is dropped alone.
//!
//! Frame `vars` (local variables) are dropped on the way in: they may carry secrets.

use serde_json::{Map, Value};

use sentry_types::protocol::v7::{
    Addr, Breadcrumb, ClientSdkInfo, ClientSdkPackage, Context, DebugMeta, Event, Exception, Frame,
    IpAddress, Log, LogAttribute, LogEntry, LogSeverityNumber, Mechanism, MechanismMeta, RegVal,
    Request, Stacktrace, TemplateInfo, Thread, ThreadId, TraceId, Url, User, Uuid,
};

mod fields;

use fields::{
    drop_nulls, keep_if, parses, relax_level, relax_lines, relax_pairs_text, relax_string,
    relax_string_map, relax_timestamp, relax_u64, relax_values, string_of,
};

type Object = Map<String, Value>;

/// Contexts whose type sentry-types infers from their key when they have no `type`.
const INFERABLE_CONTEXTS: [&str; 9] = [
    "device", "os", "runtime", "app", "browser", "trace", "gpu", "otel", "response",
];

/// An event (an `event` item's payload, or a `/store/` body).
pub(crate) fn event(bytes: &[u8]) -> Result<Event<'static>, String> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let Some(event) = value.as_object_mut() else {
        return Err("an event must be a JSON object".to_owned());
    };
    relax_event(event);
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// The logs of a `log` item: `{"items": [<log>…]}`.
pub(crate) fn logs(bytes: &[u8]) -> Result<Vec<Log>, String> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) else {
        return Err("a log item must be {\"items\": [...]}".to_owned());
    };
    items
        .iter_mut()
        .enumerate()
        .map(|(i, item)| log(item.take()).map_err(|e| format!("log {i}: {e}")))
        .collect()
}

fn relax_event(e: &mut Object) {
    drop_nulls(e);
    relax_logentry(e);
    for key in [
        "culprit",
        "transaction",
        "message",
        "logger",
        "platform",
        "server_name",
        "release",
        "dist",
        "environment",
    ] {
        relax_string(e, key);
    }
    keep_if(e, "event_id", |v| {
        v.as_str().is_some_and(|s| Uuid::parse_str(s).is_ok())
    });
    relax_timestamp(e, "timestamp");
    relax_fingerprint(e);
    relax_string_map(e, "tags");
    relax_string_map(e, "modules");
    keep_if(e, "extra", Value::is_object);
    relax_user(e);
    relax_request(e);
    relax_contexts(e);
    relax_values(e, "breadcrumbs", relax_breadcrumb);
    relax_values(e, "exception", relax_exception);
    relax_values(e, "threads", relax_thread);
    relax_stacktrace(e, "stacktrace");
    keep_if(e, "template", parses::<TemplateInfo>);
    keep_if(e, "debug_meta", parses::<DebugMeta>);
    relax_sdk(e);
    relax_level(e, "level");
    // Sentry's SDKs send a level; without one, an exception is an error (sentry-types'
    // default) and anything else (a message) is info.
    let has_exception = e
        .get("exception")
        .and_then(|x| x.get("values"))
        .and_then(Value::as_array)
        .is_some_and(|values| !values.is_empty());
    if !has_exception && !e.contains_key("level") {
        e.insert("level".to_owned(), Value::from("info"));
    }
}

/// `logentry` as sentry-types reads it (`message` required, `params` a list), from the forms
/// SDKs use (also the legacy `message` object); its `formatted` text, which sentry-types has
/// no field for, becomes the event's `message` when it has none.
fn relax_logentry(e: &mut Object) {
    if e.get("message").is_some_and(Value::is_object) {
        if let Some(legacy) = e.remove("message") {
            e.entry("logentry").or_insert(legacy);
        }
    }
    let Some(entry) = e.get_mut("logentry") else {
        return;
    };
    if let Value::String(text) = entry {
        *entry = serde_json::json!({ "message": text });
    }
    let formatted = match entry.as_object_mut() {
        Some(l) => {
            drop_nulls(l);
            relax_string(l, "message");
            relax_string(l, "formatted");
            if !l.contains_key("message") {
                if let Some(formatted) = l.get("formatted").cloned() {
                    l.insert("message".to_owned(), formatted);
                }
            }
            match l.get_mut("params") {
                Some(Value::Array(_)) | None => {}
                Some(params) => *params = Value::Array(vec![params.take()]),
            }
            l.get("formatted")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }
        None => None,
    };
    keep_if(e, "logentry", parses::<LogEntry>);
    let has_message = e.get("message").is_some_and(|m| !m.is_null());
    if let (Some(formatted), false) = (formatted, has_message) {
        e.insert("message".to_owned(), Value::String(formatted));
    }
}

fn relax_fingerprint(e: &mut Object) {
    let Some(fp) = e.get_mut("fingerprint") else {
        return;
    };
    let entries: Vec<Value> = match fp {
        Value::Array(items) => items
            .iter()
            .filter_map(string_of)
            .map(Value::String)
            .collect(),
        Value::String(s) => vec![Value::String(s.clone())],
        _ => Vec::new(),
    };
    if entries.is_empty() {
        e.remove("fingerprint");
    } else {
        *fp = Value::Array(entries);
    }
}

fn relax_user(e: &mut Object) {
    let Some(user) = e.get_mut("user") else {
        return;
    };
    if let Some(u) = user.as_object_mut() {
        drop_nulls(u);
        for key in ["id", "email", "username"] {
            relax_string(u, key);
        }
        keep_if(u, "ip_address", parses::<IpAddress>);
    }
    keep_if(e, "user", parses::<User>);
}

fn relax_request(e: &mut Object) {
    let Some(request) = e.get_mut("request") else {
        return;
    };
    if let Some(r) = request.as_object_mut() {
        drop_nulls(r);
        keep_if(r, "url", |v| {
            v.as_str().is_some_and(|s| Url::parse(s).is_ok())
        });
        relax_string(r, "method");
        if let Some(data) = r.get_mut("data") {
            if !data.is_string() {
                *data = Value::String(data.to_string());
            }
        }
        relax_pairs_text(r, "query_string", "&", "=");
        relax_pairs_text(r, "cookies", "; ", "=");
        relax_string_map(r, "headers");
        relax_string_map(r, "env");
    }
    keep_if(e, "request", parses::<Request>);
}

/// Each context a sentry-types [`Context`]: one it cannot read as its type (an unknown type,
/// a bad trace id) is kept as a generic (`unknown`) context.
fn relax_contexts(e: &mut Object) {
    let Some(contexts) = e.get_mut("contexts") else {
        return;
    };
    match contexts.as_object_mut() {
        Some(contexts) => {
            contexts.retain(|_, c| c.is_object());
            for (key, context) in contexts.iter_mut() {
                let Some(c) = context.as_object_mut() else {
                    continue;
                };
                if !c.get("type").is_some_and(Value::is_string) {
                    let inferred = if INFERABLE_CONTEXTS.contains(&key.as_str()) {
                        key.as_str()
                    } else {
                        "unknown"
                    };
                    c.insert("type".to_owned(), Value::from(inferred));
                }
                if !parses::<Context>(context) {
                    if let Some(c) = context.as_object_mut() {
                        c.insert("type".to_owned(), Value::from("unknown"));
                    }
                }
            }
        }
        None => {
            e.remove("contexts");
        }
    }
}

fn relax_breadcrumb(v: &mut Value) -> bool {
    let Some(c) = v.as_object_mut() else {
        return false;
    };
    drop_nulls(c);
    relax_timestamp(c, "timestamp");
    relax_level(c, "level");
    for key in ["type", "category", "message"] {
        relax_string(c, key);
    }
    keep_if(c, "data", Value::is_object);
    parses::<Breadcrumb>(v)
}

fn relax_exception(v: &mut Value) -> bool {
    let Some(x) = v.as_object_mut() else {
        return false;
    };
    drop_nulls(x);
    for key in ["type", "value", "module"] {
        relax_string(x, key);
    }
    if !x.contains_key("type") {
        if !x.contains_key("value") {
            return false;
        }
        x.insert("type".to_owned(), Value::from(""));
    }
    relax_stacktrace(x, "stacktrace");
    relax_stacktrace(x, "raw_stacktrace");
    keep_if(x, "thread_id", parses::<ThreadId>);
    relax_mechanism(x);
    parses::<Exception>(v)
}

fn relax_mechanism(x: &mut Object) {
    let Some(mechanism) = x.get_mut("mechanism") else {
        return;
    };
    if let Some(m) = mechanism.as_object_mut() {
        drop_nulls(m);
        relax_string(m, "type");
        m.entry("type").or_insert_with(|| Value::from("generic"));
        relax_string(m, "description");
        keep_if(m, "help_link", |v| {
            v.as_str().is_some_and(|s| Url::parse(s).is_ok())
        });
        keep_if(m, "handled", Value::is_boolean);
        keep_if(m, "synthetic", Value::is_boolean);
        keep_if(m, "data", Value::is_object);
        keep_if(m, "meta", parses::<MechanismMeta>);
    }
    keep_if(x, "mechanism", parses::<Mechanism>);
}

fn relax_thread(v: &mut Value) -> bool {
    let Some(t) = v.as_object_mut() else {
        return false;
    };
    drop_nulls(t);
    keep_if(t, "id", parses::<ThreadId>);
    relax_string(t, "name");
    relax_stacktrace(t, "stacktrace");
    relax_stacktrace(t, "raw_stacktrace");
    keep_if(t, "crashed", Value::is_boolean);
    keep_if(t, "current", Value::is_boolean);
    parses::<Thread>(v)
}

fn relax_stacktrace(parent: &mut Object, key: &str) {
    let Some(stacktrace) = parent.get_mut(key) else {
        return;
    };
    if let Some(s) = stacktrace.as_object_mut() {
        drop_nulls(s);
        match s.get_mut("frames") {
            Some(Value::Array(frames)) => frames.retain_mut(relax_frame),
            Some(_) => {
                s.remove("frames");
            }
            None => {}
        }
        keep_if(s, "frames_omitted", parses::<(u64, u64)>);
        keep_if(
            s,
            "registers",
            parses::<sentry_types::protocol::v7::Map<String, RegVal>>,
        );
    }
    keep_if(parent, key, parses::<Stacktrace>);
}

fn relax_frame(v: &mut Value) -> bool {
    let Some(f) = v.as_object_mut() else {
        return false;
    };
    drop_nulls(f);
    f.remove("vars");
    for key in [
        "function",
        "symbol",
        "module",
        "package",
        "filename",
        "abs_path",
        "context_line",
        "addr_mode",
    ] {
        relax_string(f, key);
    }
    relax_u64(f, "lineno");
    relax_u64(f, "colno");
    relax_lines(f, "pre_context");
    relax_lines(f, "post_context");
    keep_if(f, "in_app", Value::is_boolean);
    for key in ["image_addr", "instruction_addr", "symbol_addr"] {
        keep_if(f, key, parses::<Addr>);
    }
    parses::<Frame>(v)
}

fn relax_sdk(e: &mut Object) {
    let Some(sdk) = e.get_mut("sdk") else {
        return;
    };
    if let Some(s) = sdk.as_object_mut() {
        drop_nulls(s);
        relax_string(s, "name");
        relax_string(s, "version");
        if let Some(Value::Array(integrations)) = s.get_mut("integrations") {
            integrations.retain(Value::is_string);
        }
        if let Some(Value::Array(packages)) = s.get_mut("packages") {
            packages.retain(parses::<ClientSdkPackage>);
        }
    }
    keep_if(e, "sdk", parses::<ClientSdkInfo>);
}

/// One log, its attributes taken as they come: `{"value": …, "type": …}` or a bare value, of
/// any type (sentry-types rejects `array`, which the Python SDK sends, and an integral
/// `double`, which JavaScript sends as `1`).
fn log(mut v: Value) -> Result<Log, String> {
    let Some(l) = v.as_object_mut() else {
        return Err("not an object".to_owned());
    };
    drop_nulls(l);
    if let Some(level) = l.get("level").and_then(Value::as_str) {
        let level = match level.trim().to_ascii_lowercase().as_str() {
            "warning" => "warn".to_owned(),
            "critical" | "crit" => "fatal".to_owned(),
            "log" | "notice" => "info".to_owned(),
            "err" => "error".to_owned(),
            other => other.to_owned(),
        };
        l.insert("level".to_owned(), Value::String(level));
    }
    relax_string(l, "body");
    relax_timestamp(l, "timestamp");
    keep_if(l, "trace_id", parses::<TraceId>);
    keep_if(l, "severity_number", parses::<LogSeverityNumber>);
    let attributes = l.remove("attributes");
    let mut log: Log = serde_json::from_value(v).map_err(|e| e.to_string())?;
    if let Some(Value::Object(attributes)) = attributes {
        for (key, attribute) in attributes {
            let value = match attribute {
                Value::Object(mut a) if a.contains_key("value") => a.remove("value"),
                other => Some(other),
            };
            if let Some(value) = value.filter(|v| !v.is_null()) {
                log.attributes.insert(key, LogAttribute(value));
            }
        }
    }
    Ok(log)
}
