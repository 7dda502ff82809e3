//! What the log routes return, and the query they answer.

use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::level::Level;
use crate::usage::DayUsage;

/// A stored line as the query returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogOut {
    pub event_at: Timestamp,
    pub level: String,
    pub msg: String,
    pub p_description: String,
    pub p_name: String,
    pub pid: u64,
    pub post_time: Timestamp,
}

/// A page of query results.
#[derive(Debug, Serialize, Deserialize)]
pub struct LogPage {
    pub user: String,
    pub logs: Vec<LogOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// First page only: the user's volume per UTC day ([`crate::Usage::series`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Vec<DayUsage>>,
}

/// Query filters.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub p_name: Option<String>,
    pub pid: Option<u64>,
    pub levels: Vec<Level>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: usize,
    pub next_token: Option<String>,
}

/// A token just issued; shown once.
#[derive(Debug, Serialize)]
pub struct IssuedToken {
    pub user: String,
    /// The secret itself.
    pub token: String,
    /// What the client sends as `X-User-Token` (md5 hex of `token`).
    pub x_user_token: String,
    pub rotated: bool,
}
