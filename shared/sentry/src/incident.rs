//! An event as a neutral incident draft: title, message, level, group key, snapshot.
//!
//! - Title: the primary exception (the last of `exception.values`: Sentry lists a chain from
//!   the first cause to the exception raised last) as `Type: value`; else the event's message
//!   (the formatted log message); else `<unlabeled event>`. On one line, at most
//!   [`MAX_TITLE_CHARS`].
//! - Message: the primary exception, the line of its culprit frame (`function in module at
//!   line N`) and the exceptions it chains; or the whole message. At most
//!   [`MAX_MESSAGE_CHARS`].
//! - Level: Sentry's `fatal` is `crit`; the others keep their name.
//! - Group key: the SHA-256 (hex) of what makes two events one issue: the event's
//!   `fingerprint` when it sets one (`{{ default }}` in it standing for the default key),
//!   else the primary exception's module and type with its culprit frame's module (or file)
//!   and function (its value when it has no frames), else the message template (before its
//!   parameters are filled in, so `user %s failed` is one group for every user). Each kind is
//!   prefixed (`fp:`, `exc:`, `msg:`) before hashing, so kinds never collide.
//!
//! The culprit frame is the innermost in-app frame (the last one, frames being listed
//! outermost first), or the innermost frame when none is marked in-app.

use serde_json::Value;
use sha2::{Digest, Sha256};

use sentry_types::protocol::v7::{Event, Exception, Frame, Level, LogEntry};

use crate::snapshot::snapshot;
use crate::text::{cut_chars, one_line};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// The title of an event with no exception and no message.
const UNLABELED: &str = "<unlabeled event>";
/// Separates the parts hashed into a group key.
const SEP: char = '\u{1f}';
/// Chained exceptions named in a message.
const MAX_CHAINED: usize = 9;

/// What an event becomes, before the incidents domain takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDraft {
    /// One line, at most [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// At most [`MAX_MESSAGE_CHARS`] characters.
    pub message: String,
    /// `debug`, `info`, `warning`, `error` or `crit`.
    pub level: &'static str,
    /// 64 hex digits: events with the same key are one issue.
    pub group_key: String,
    /// The event's context, a JSON object of at most [`crate::MAX_SNAPSHOT_BYTES`].
    pub snapshot: Value,
}

/// The incident draft of an event.
pub fn event_draft(event: &Event<'_>) -> IncidentDraft {
    let primary = event.exception.values.last();
    let text = primary
        .and_then(exception_label)
        .or_else(|| message_text(event))
        .unwrap_or_else(|| UNLABELED.to_owned());
    IncidentDraft {
        title: cut_chars(
            &one_line(&cut_chars(&text, MAX_TITLE_CHARS * 4)),
            MAX_TITLE_CHARS,
        ),
        message: cut_chars(&message(event, &text), MAX_MESSAGE_CHARS),
        level: level_name(event.level),
        group_key: group_key(event),
        snapshot: snapshot(event),
    }
}

/// Sentry's level as an incident level.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warning => "warning",
        Level::Error => "error",
        Level::Fatal => "crit",
    }
}

/// `Type: value`, or the one of them that is not empty.
fn exception_label(x: &Exception) -> Option<String> {
    let ty = x.ty.trim();
    let value = x.value.as_deref().unwrap_or_default().trim();
    match (ty.is_empty(), value.is_empty()) {
        (true, true) => None,
        (false, true) => Some(ty.to_owned()),
        (true, false) => Some(value.to_owned()),
        (false, false) => Some(format!("{ty}: {value}")),
    }
}

/// The event's message: `message` (which holds `logentry.formatted`, see
/// [`crate::parse_envelope`]), else `logentry` with its parameters filled in.
fn message_text(event: &Event<'_>) -> Option<String> {
    let message = event.message.as_deref().map(str::trim);
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        return Some(message.to_owned());
    }
    let formatted = format_logentry(event.logentry.as_ref()?);
    (!formatted.trim().is_empty()).then(|| formatted.trim().to_owned())
}

/// A log entry's template with `%s`-style placeholders replaced by its parameters in turn.
fn format_logentry(entry: &LogEntry) -> String {
    if entry.params.is_empty() {
        return entry.message.clone();
    }
    let mut params = entry.params.iter();
    let mut out = String::with_capacity(entry.message.len());
    let mut chars = entry.message.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('%') => {
                chars.next();
                out.push('%');
            }
            Some('s' | 'd' | 'i' | 'r' | 'f') => {
                chars.next();
                match params.next() {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(other) => out.push_str(&other.to_string()),
                    None => out.push_str("%?"),
                }
            }
            _ => out.push('%'),
        }
    }
    out
}

/// The message: the exception, its culprit and its chain; or the event's message.
fn message(event: &Event<'_>, text: &str) -> String {
    let values = &event.exception.values;
    let Some(primary) = values.last() else {
        return text.to_owned();
    };
    let mut out = text.to_owned();
    if let Some(line) = culprit_frame(primary).and_then(culprit_line) {
        out.push_str("\nat ");
        out.push_str(&line);
    }
    for cause in values.iter().rev().skip(1).take(MAX_CHAINED) {
        if let Some(label) = exception_label(cause) {
            out.push_str("\n\ncaused by ");
            out.push_str(&label);
            if let Some(line) = culprit_frame(cause).and_then(culprit_line) {
                out.push_str("\nat ");
                out.push_str(&line);
            }
        }
    }
    out
}

/// The innermost in-app frame, or the innermost frame when none is in-app.
pub(crate) fn culprit_frame(x: &Exception) -> Option<&Frame> {
    let frames = &x.stacktrace.as_ref().or(x.raw_stacktrace.as_ref())?.frames;
    frames
        .iter()
        .rev()
        .find(|f| f.in_app == Some(true))
        .or_else(|| frames.last())
}

/// Where a frame is: its module, else its file name, else its path.
fn frame_place(f: &Frame) -> Option<&str> {
    [&f.module, &f.filename, &f.abs_path]
        .into_iter()
        .filter_map(|s| s.as_deref())
        .map(str::trim)
        .find(|s| !s.is_empty())
}

/// `function in module at line N` (the parts the frame has).
fn culprit_line(f: &Frame) -> Option<String> {
    let function = f
        .function
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let place = frame_place(f);
    let mut line = match (function, place) {
        (None, None) => return None,
        (Some(function), None) => function.to_owned(),
        (None, Some(place)) => place.to_owned(),
        (Some(function), Some(place)) => format!("{function} in {place}"),
    };
    if let Some(n) = f.lineno {
        line.push_str(&format!(" at line {n}"));
    }
    Some(line)
}

/// The group key (see the module's doc).
fn group_key(event: &Event<'_>) -> String {
    let default = default_key(event);
    let fingerprint = &event.fingerprint;
    let is_default = |entry: &str| matches!(entry.trim(), "{{ default }}" | "{{default}}");
    let only_default = match fingerprint.as_ref() {
        [] => true,
        [only] => is_default(only),
        _ => false,
    };
    let material = if only_default {
        default
    } else {
        let parts: Vec<&str> = fingerprint
            .iter()
            .map(|entry| {
                if is_default(entry) {
                    default.as_str()
                } else {
                    entry.as_ref()
                }
            })
            .collect();
        format!("fp:{}", parts.join(&SEP.to_string()))
    };
    hex::encode(Sha256::digest(material.as_bytes()))
}

/// What groups an event without a fingerprint, before hashing.
fn default_key(event: &Event<'_>) -> String {
    if let Some(x) = event.exception.values.last() {
        let module = x.module.as_deref().unwrap_or_default();
        return match culprit_frame(x) {
            Some(f) => format!(
                "exc:{module}{SEP}{}{SEP}{}{SEP}{}",
                x.ty,
                frame_place(f).unwrap_or_default(),
                f.function.as_deref().unwrap_or_default()
            ),
            None => format!(
                "exc:{module}{SEP}{}{SEP}{}",
                x.ty,
                x.value.as_deref().unwrap_or_default()
            ),
        };
    }
    let template = event
        .logentry
        .as_ref()
        .map(|l| l.message.trim())
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .or_else(|| message_text(event))
        .unwrap_or_default();
    format!("msg:{template}")
}
