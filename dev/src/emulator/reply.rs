//! An answer of the emulator: a status, a body (JSON, text or none) and extra headers. The
//! messenger APIs answer JSON; Slack's incoming webhooks answer text (`ok`, `no_service`) and
//! Discord's webhooks `204 No Content`, and rate limits come with `Retry-After`.

use serde_json::Value;

/// What a reply's body is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ReplyBody {
    Json(Value),
    Text(String),
    Empty,
}

/// One answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: ReplyBody,
    /// Headers besides `Content-Type`, `Content-Length` and `Connection`.
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A `text/plain` answer.
    pub(crate) fn text(status: u16, text: &str) -> Self {
        Self {
            status,
            body: ReplyBody::Text(text.to_owned()),
            headers: Vec::new(),
        }
    }

    /// An answer without a body (`204`).
    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            body: ReplyBody::Empty,
            headers: Vec::new(),
        }
    }

    /// A JSON answer.
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: ReplyBody::Json(body),
            headers: Vec::new(),
        }
    }

    /// The same answer with `name: value` added.
    pub(crate) fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

impl From<(u16, Value)> for Reply {
    fn from((status, body): (u16, Value)) -> Self {
        Self::json(status, body)
    }
}
