//! Envelopes, framed by hand: Sentry's format, what `/api/<project>/envelope/` receives.
//!
//! ```text
//! {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2024-01-01T00:00:00Z"}\n
//! {"type":"event","length":34}\n
//! {"message":"hello","level":"info"}\n
//! {"type":"client_report"}\n
//! {"discarded_events":[]}\n
//! ```
//!
//! The first line is the envelope header (a JSON object). Each item is a header line (a JSON
//! object with a `type` and an optional `length`) and a payload: exactly `length` bytes when
//! given, else up to the next newline or the end. A newline ends each header and payload; the
//! last may lack it. Blank lines between items and at the end are tolerated.
//!
//! Parsed items: `event` ([`Item::Event`]), `check_in` ([`Item::CheckIn`]), `log`
//! ([`Item::Logs`]). Every other type (sessions, client reports, transactions, attachments,
//! profiles, replays, spans, types yet to come) is [`Item::Dropped`] without reading its
//! payload. sentry-types' own envelope parser is not used: it fails on types it does not know.

use serde_json::Value;

use sentry_types::protocol::v7::{Event, Log, MonitorCheckIn};

use crate::lenient;

/// The most items one envelope may hold (Sentry's SDKs send a handful).
pub const MAX_ITEMS: usize = 1000;

/// A parsed envelope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    /// The header's `event_id` (the event's, when the envelope carries one).
    pub event_id: Option<String>,
    /// The header's `dsn` (sent by SDKs through a tunnel, and by some browser SDKs).
    pub dsn: Option<String>,
    /// The items, in order.
    pub items: Vec<Item>,
}

/// One item of an envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An error or message event.
    Event(Box<Event<'static>>),
    /// A cron monitor check-in.
    CheckIn(MonitorCheckIn),
    /// Structured logs (one `log` item holds many).
    Logs(Vec<Log>),
    /// Any other type, not read: `session`, `sessions`, `client_report`, `transaction`,
    /// `attachment`, `profile`, `replay_event`, `span`, …
    Dropped { item_type: String },
}

impl Item {
    /// The item's type as the envelope names it.
    pub fn item_type(&self) -> &str {
        match self {
            Item::Event(_) => "event",
            Item::CheckIn(_) => "check_in",
            Item::Logs(_) => "log",
            Item::Dropped { item_type } => item_type,
        }
    }
}

/// Why an envelope (or a `/store/` body) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// No envelope header (an empty body).
    #[error("empty envelope: no header line")]
    Empty,
    /// The first line is not a JSON object followed by a newline.
    #[error("bad envelope header: {0}")]
    Header(String),
    /// Item `index` (from 0) has a header that is not a JSON object with a string `type`
    /// and an optional integer `length`, followed by a newline.
    #[error("item {index}: bad item header: {reason}")]
    ItemHeader { index: usize, reason: String },
    /// Item `index` declares a `length` that runs past the end of the body.
    #[error("item {index} ({item_type}): length {length} runs past the end of the envelope")]
    Truncated {
        index: usize,
        item_type: String,
        length: u64,
    },
    /// Item `index`'s `length` bytes are not followed by a newline or the end.
    #[error("item {index} ({item_type}): no newline after its {length} bytes of payload")]
    MissingNewline {
        index: usize,
        item_type: String,
        length: u64,
    },
    /// Item `index`, of a type that is read, has a payload that does not parse.
    #[error("item {index} ({item_type}): bad payload: {reason}")]
    Payload {
        index: usize,
        item_type: String,
        reason: String,
    },
    /// More than [`MAX_ITEMS`] items.
    #[error("more than {limit} items in one envelope")]
    TooManyItems { limit: usize },
    /// A `/store/` body that is not an event.
    #[error("bad event: {0}")]
    Event(String),
}

/// Parses an envelope (its body already decoded, see [`crate::decode_body`]).
///
/// Events and logs are read leniently, as Sentry reads them: a field that sentry-types' struct
/// rejects is repaired or dropped rather than failing the envelope (see the `lenient` module:
/// numeric tags and user ids, a request's JSON `data`, unknown levels and context types, log
/// attributes of type `array`…). An event's `logentry.formatted`, for which sentry-types has no
/// field, becomes its `message` when it has none; frame `vars` are dropped.
pub fn parse_envelope(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(EnvelopeError::Empty);
    }
    let (header, mut pos) = json_line(bytes, 0).map_err(EnvelopeError::Header)?;
    let Value::Object(header) = header else {
        return Err(EnvelopeError::Header("not a JSON object".to_owned()));
    };
    let text = |key: &str| header.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut envelope = Envelope {
        event_id: text("event_id"),
        dsn: text("dsn"),
        items: Vec::new(),
    };
    while bytes
        .get(pos..)
        .is_some_and(|rest| !rest.iter().all(u8::is_ascii_whitespace))
    {
        let index = envelope.items.len();
        if index == MAX_ITEMS {
            return Err(EnvelopeError::TooManyItems { limit: MAX_ITEMS });
        }
        let (item_type, payload, next) = frame_item(bytes, pos, index)?;
        envelope.items.push(read_item(item_type, payload, index)?);
        pos = next;
    }
    Ok(envelope)
}

/// Parses the body of the legacy `/store/` endpoint: one event as JSON.
pub fn parse_store(bytes: &[u8]) -> Result<Event<'static>, EnvelopeError> {
    lenient::event(bytes).map_err(EnvelopeError::Event)
}

/// The item at `pos`: its type, its payload, and where the next item starts.
fn frame_item(
    bytes: &[u8],
    pos: usize,
    index: usize,
) -> Result<(String, &[u8], usize), EnvelopeError> {
    let bad_header = |reason: String| EnvelopeError::ItemHeader { index, reason };
    let (header, header_end) = json_line(bytes, pos).map_err(bad_header)?;
    let Value::Object(header) = header else {
        return Err(bad_header("not a JSON object".to_owned()));
    };
    let item_type = match header.get("type") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        _ => return Err(bad_header("no string `type`".to_owned())),
    };
    let length = match header.get("length") {
        None | Some(Value::Null) => None,
        Some(length) => match length.as_u64() {
            Some(n) => Some(n),
            None => return Err(bad_header(format!("`length` {length} is not a byte count"))),
        },
    };
    // A header at the very end has no newline: its payload is empty.
    let start = (header_end + 1).min(bytes.len());
    let end = match length {
        Some(length) => {
            let end = usize::try_from(length)
                .ok()
                .and_then(|n| start.checked_add(n))
                .filter(|&end| end <= bytes.len())
                .ok_or_else(|| EnvelopeError::Truncated {
                    index,
                    item_type: item_type.clone(),
                    length,
                })?;
            if !matches!(bytes.get(end), None | Some(b'\n')) {
                return Err(EnvelopeError::MissingNewline {
                    index,
                    item_type,
                    length,
                });
            }
            end
        }
        None => bytes
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(bytes.len(), |n| start + n),
    };
    let payload = bytes.get(start..end).unwrap_or_default();
    Ok((item_type, payload, end + 1))
}

/// One JSON value starting at `pos` (after optional whitespace) that ends its line: the value
/// and the offset of its newline (or of the end).
fn json_line(bytes: &[u8], pos: usize) -> Result<(Value, usize), String> {
    let rest = bytes.get(pos..).unwrap_or_default();
    let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
    let value = match stream.next() {
        Some(Ok(value)) => value,
        Some(Err(e)) => return Err(e.to_string()),
        None => return Err("missing".to_owned()),
    };
    let mut end = pos + stream.byte_offset();
    // Spaces (and a `\r`) before the newline are tolerated.
    while matches!(bytes.get(end), Some(b' ' | b'\t' | b'\r')) {
        end += 1;
    }
    match bytes.get(end) {
        None | Some(b'\n') => Ok((value, end)),
        Some(_) => Err("not followed by a newline".to_owned()),
    }
}

fn read_item(item_type: String, payload: &[u8], index: usize) -> Result<Item, EnvelopeError> {
    let bad = |item_type: &str, reason: String| EnvelopeError::Payload {
        index,
        item_type: item_type.to_owned(),
        reason,
    };
    match item_type.as_str() {
        "event" => lenient::event(payload)
            .map(|e| Item::Event(Box::new(e)))
            .map_err(|e| bad("event", e)),
        "check_in" => serde_json::from_slice::<MonitorCheckIn>(payload)
            .map(Item::CheckIn)
            .map_err(|e| bad("check_in", e.to_string())),
        "log" => lenient::logs(payload)
            .map(Item::Logs)
            .map_err(|e| bad("log", e)),
        _ => Ok(Item::Dropped { item_type }),
    }
}
