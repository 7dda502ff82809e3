//! Field repairs of [`super`]: each makes one field of a JSON object what sentry-types reads,
//! or drops it.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use sentry_types::protocol::v7::Breadcrumb;

type Object = Map<String, Value>;

/// Whether `v` deserializes as `T`.
pub(super) fn parses<T: DeserializeOwned>(v: &Value) -> bool {
    T::deserialize(v).is_ok()
}

/// Removes `key` when its value fails `ok`.
pub(super) fn keep_if(o: &mut Object, key: &str, ok: impl FnOnce(&Value) -> bool) {
    if o.get(key).is_some_and(|v| !ok(v)) {
        o.remove(key);
    }
}

pub(super) fn drop_nulls(o: &mut Object) {
    o.retain(|_, v| !v.is_null());
}

/// The text of a string, number or boolean.
pub(super) fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A string field: a number or boolean becomes its text; anything else is dropped.
pub(super) fn relax_string(o: &mut Object, key: &str) {
    let Some(v) = o.get_mut(key) else {
        return;
    };
    match string_of(v) {
        Some(s) => *v = Value::String(s),
        None => {
            o.remove(key);
        }
    }
}

/// A map of strings (tags, headers): values become their text (a list, its items joined by
/// `, `), `[[key, value]…]` becomes the map; entries without a text are dropped.
pub(super) fn relax_string_map(o: &mut Object, key: &str) {
    let Some(v) = o.get_mut(key) else {
        return;
    };
    match pairs(v) {
        Some(entries) => {
            *v = Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            );
        }
        None => {
            o.remove(key);
        }
    }
}

/// A text field that may come as pairs (`query_string`, `cookies`): pairs are joined back.
pub(super) fn relax_pairs_text(o: &mut Object, key: &str, between: &str, within: &str) {
    let Some(v) = o.get_mut(key) else {
        return;
    };
    if let Some(s) = string_of(v) {
        *v = Value::String(s);
    } else if let Some(entries) = pairs(v) {
        let text: Vec<String> = entries
            .into_iter()
            .map(|(k, v)| format!("{k}{within}{v}"))
            .collect();
        *v = Value::String(text.join(between));
    } else {
        o.remove(key);
    }
}

/// The entries of an object or of a list of `[key, value]` pairs, values as text.
pub(super) fn pairs(v: &Value) -> Option<Vec<(String, String)>> {
    let text = |v: &Value| match v {
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(string_of)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Object(_) => Some(v.to_string()),
        other => string_of(other),
    };
    match v {
        Value::Object(map) => Some(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
                .collect(),
        ),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|pair| match pair.as_array()?.as_slice() {
                    [k, v] => Some((string_of(k)?, text(v)?)),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// A level sentry-types knows (`debug`, `info`, `warning`, `error`, `fatal`), from the names
/// SDKs and logging libraries use; an unknown one is dropped (the default applies).
pub(super) fn relax_level(o: &mut Object, key: &str) {
    let Some(v) = o.get_mut(key) else {
        return;
    };
    let level = v.as_str().and_then(|s| {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "debug" | "trace" | "notset" => "debug",
            "info" | "log" | "notice" => "info",
            "warning" | "warn" => "warning",
            "error" | "err" => "error",
            "fatal" | "critical" | "crit" | "alert" | "emergency" => "fatal",
            _ => return None,
        })
    });
    match level {
        Some(level) => *v = Value::from(level),
        None => {
            o.remove(key);
        }
    }
}

/// A timestamp sentry-types reads (seconds since the epoch, or RFC 3339); a date and time
/// without an offset is taken as UTC; anything else is dropped (the default applies).
pub(super) fn relax_timestamp(o: &mut Object, key: &str) {
    let Some(v) = o.get_mut(key) else {
        return;
    };
    if timestamp_ok(v) {
        return;
    }
    if let Some(utc) = v.as_str().map(|s| format!("{s}Z")) {
        let utc = Value::String(utc);
        if timestamp_ok(&utc) {
            *v = utc;
            return;
        }
    }
    o.remove(key);
}

/// Whether sentry-types reads `v` as a timestamp (probed through a breadcrumb's).
pub(super) fn timestamp_ok(v: &Value) -> bool {
    let mut probe = Object::new();
    probe.insert("timestamp".to_owned(), v.clone());
    parses::<Breadcrumb>(&Value::Object(probe))
}

/// A non-negative integer (also from an integral float or a string of digits), or dropped.
pub(super) fn relax_u64(o: &mut Object, key: &str) {
    let Some(v) = o.get_mut(key) else {
        return;
    };
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1e15)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match n {
        Some(n) => *v = Value::from(n),
        None => {
            o.remove(key);
        }
    }
}

/// A list of source lines: each item its text (`null` an empty line); not a list, dropped.
pub(super) fn relax_lines(o: &mut Object, key: &str) {
    let Some(v) = o.get_mut(key) else {
        return;
    };
    match v {
        Value::Array(lines) => {
            for line in lines.iter_mut() {
                let text = match &*line {
                    Value::String(_) => continue,
                    Value::Null => String::new(),
                    other => string_of(other).unwrap_or_else(|| other.to_string()),
                };
                *line = Value::String(text);
            }
        }
        _ => {
            o.remove(key);
        }
    }
}

/// A `Values` collection (`{"values": […]}`, or a bare list): items that `keep` rejects
/// after repairing them are dropped.
pub(super) fn relax_values(o: &mut Object, key: &str, keep: fn(&mut Value) -> bool) {
    let Some(v) = o.get_mut(key) else {
        return;
    };
    if v.is_array() {
        let items = v.take();
        *v = serde_json::json!({ "values": items });
    }
    match v.get_mut("values").and_then(Value::as_array_mut) {
        Some(values) => values.retain_mut(keep),
        None => {
            o.remove(key);
        }
    }
}
