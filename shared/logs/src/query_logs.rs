//! `GET /logs`: a page of a user's lines, with its volume per day on the first page.

use lookout_core::time::Timestamp;

use crate::authenticate::LogUser;
use crate::error::LogError;
use crate::output::{LogPage, LogQuery};
use crate::store::lines::LogLines;
use crate::store::usage::LogUsageCounts;
use crate::user_name::UserName;

/// Who reads: the admin (any user's lines), or a log user authenticated by its token
/// ([`crate::authenticate`]).
#[derive(Debug, Clone)]
pub enum Reader {
    Admin,
    User(LogUser),
}

/// One page to read.
#[derive(Debug)]
pub struct QueryLogs {
    pub reader: Reader,
    /// Whose lines.
    pub user: UserName,
    pub query: LogQuery,
    pub now: Timestamp,
}

/// A page of `cmd.user`'s lines matching the query. The first page (no `next_token`) also
/// carries the user's lines and bytes per UTC day over the last 30 days (the console's volume
/// chart): a user's own from its authentication, the admin's by one more read.
pub async fn query_logs(
    lines: &dyn LogLines,
    usage: &dyn LogUsageCounts,
    cmd: QueryLogs,
) -> Result<LogPage, LogError> {
    let first_page = cmd.query.next_token.is_none();
    let mut page = lines.query(&cmd.user, cmd.query).await?;
    if first_page {
        let counted = match cmd.reader {
            Reader::User(reader) => Some(reader.usage),
            Reader::Admin => usage.read(&cmd.user).await?,
        };
        page.usage = counted.map(|u| u.series(cmd.now));
    }
    Ok(page)
}
