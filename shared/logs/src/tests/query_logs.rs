//! `query_logs`: a page of a user's lines in time order, filtered, paged by token, with the
//! volume chart on the first page.

use lookout_core::time::Timestamp;
use serde_json::{json, Value};

use super::{issued, lines_of, signed_in, ts, user};
use crate::authenticate::LogUser;
use crate::error::LogError;
use crate::input::Batch;
use crate::level::Level;
use crate::output::{LogPage, LogQuery};
use crate::query_logs::{query_logs, QueryLogs, Reader};
use crate::store::lines::LogLines;
use crate::store::memory::MemoryLogs;
use crate::store::usage::LogUsageCounts;
use crate::usage::Usage;

fn now() -> Timestamp {
    ts("2026-01-02T00:00:00Z")
}

/// Stores `batch` as it is (no quota, no count).
async fn stored(store: &MemoryLogs, batch: Batch) {
    let planned = store.lines.plan(batch, now()).unwrap();
    store.lines.write(&planned).await.unwrap();
}

/// A line of `level` at `at` saying `msg`.
fn line(level: &str, at: &str, msg: &str) -> Value {
    json!({"level": level, "msg": msg, "event_at": at})
}

async fn read(
    store: &MemoryLogs,
    reader: Reader,
    name: &str,
    query: LogQuery,
) -> Result<LogPage, LogError> {
    let cmd = QueryLogs {
        reader,
        user: user(name),
        query,
        now: now(),
    };
    query_logs(&store.lines, &store.usage, cmd).await
}

fn msgs(page: &LogPage) -> Vec<&str> {
    page.logs.iter().map(|l| l.msg.as_str()).collect()
}

/// `ann`'s lines: two overlapping batches of two processes (api: a, c, e; worker: b, d).
async fn ann_lines(store: &MemoryLogs) {
    let api = json!([
        line("info", "2026-01-01T10:00:00Z", "a"),
        line("error", "2026-01-01T10:00:20Z", "c"),
        line("info", "2026-01-01T10:00:40Z", "e"),
    ]);
    let worker = json!([
        line("debug", "2026-01-01T10:00:10Z", "b"),
        line("warning", "2026-01-01T10:00:30Z", "d"),
    ]);
    stored(store, lines_of("ann", "api", api)).await;
    let mut worker = lines_of("ann", "worker", worker);
    worker.pid = 2;
    stored(store, worker).await;
}

#[tokio::test]
async fn returns_the_users_lines_in_time_order() {
    let store = MemoryLogs::new(30);
    ann_lines(&store).await;
    stored(
        &store,
        lines_of(
            "bob",
            "api",
            json!([line("info", "2026-01-01T10:00:05Z", "bob's")]),
        ),
    )
    .await;

    let page = read(&store, Reader::Admin, "ann", LogQuery::default())
        .await
        .unwrap();

    assert_eq!(page.user, "ann");
    assert_eq!(msgs(&page), ["a", "b", "c", "d", "e"]);
    let d = &page.logs[3];
    assert_eq!(
        (d.level.as_str(), d.p_name.as_str(), d.pid),
        ("warning", "worker", 2)
    );
    assert_eq!(d.event_at, ts("2026-01-01T10:00:30Z"));
    assert_eq!(d.post_time, ts("2026-01-01T00:00:00Z"));
    assert_eq!(page.next_token, None);
}

#[tokio::test]
async fn filters_by_process_pid_level_and_time() {
    let store = MemoryLogs::new(30);
    ann_lines(&store).await;
    let by = |q: LogQuery| read(&store, Reader::Admin, "ann", q);

    let api = by(LogQuery {
        p_name: Some("api".into()),
        ..LogQuery::default()
    })
    .await
    .unwrap();
    let pid2 = by(LogQuery {
        pid: Some(2),
        ..LogQuery::default()
    })
    .await
    .unwrap();
    let loud = by(LogQuery {
        levels: vec![Level::Error, Level::Warning],
        ..LogQuery::default()
    })
    .await
    .unwrap();
    let window = by(LogQuery {
        from: Some(ts("2026-01-01T10:00:10Z")),
        to: Some(ts("2026-01-01T10:00:30Z")),
        ..LogQuery::default()
    })
    .await
    .unwrap();

    assert_eq!(msgs(&api), ["a", "c", "e"]);
    assert_eq!(msgs(&pid2), ["b", "d"]);
    assert_eq!(msgs(&loud), ["c", "d"]);
    assert_eq!(msgs(&window), ["b", "c", "d"]);
}

#[tokio::test]
async fn a_line_from_before_an_hour_long_chunk_is_found_from_its_time() {
    let store = MemoryLogs::new(30);
    // One chunk from 09:30 to 10:29: a query from 10:00 must look back into it.
    let spread = json!([
        line("info", "2026-01-01T09:30:00Z", "early"),
        line("info", "2026-01-01T10:29:00Z", "late"),
    ]);
    stored(&store, lines_of("ann", "api", spread)).await;

    let page = read(
        &store,
        Reader::Admin,
        "ann",
        LogQuery {
            from: Some(ts("2026-01-01T10:00:00Z")),
            ..LogQuery::default()
        },
    )
    .await
    .unwrap();

    assert_eq!(msgs(&page), ["late"]);
}

#[tokio::test]
async fn pages_chain_through_every_line_once() {
    let store = MemoryLogs::new(30);
    ann_lines(&store).await;

    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let q = LogQuery {
            limit: 2,
            next_token: token.clone(),
            ..LogQuery::default()
        };
        let page = read(&store, Reader::Admin, "ann", q).await.unwrap();
        pages += 1;
        assert!(page.logs.len() <= 2);
        seen.extend(msgs(&page).into_iter().map(str::to_owned));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }

    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn a_read_budget_spent_on_filtered_chunks_answers_early_with_a_token() {
    // One chunk per line (two hours apart), pages of two chunks, one page per request. (A
    // token's chunk is read again, its lines skipped: pages of one chunk would never move on.)
    let store = MemoryLogs::new(30).with_read_bounds(1, 2);
    let logs: Vec<Value> = (0..4)
        .map(|h| {
            line(
                if h == 3 { "error" } else { "info" },
                &format!("2026-01-01T0{}:00:00Z", 2 * h),
                &format!("l{h}"),
            )
        })
        .collect();
    stored(&store, lines_of("ann", "api", logs.into())).await;
    let errors = |next_token| LogQuery {
        levels: vec![Level::Error],
        next_token,
        ..LogQuery::default()
    };

    let mut token = None;
    let mut empty_pages = 0;
    let found = loop {
        assert!(empty_pages < 10, "the pages do not move on");
        let page = read(&store, Reader::Admin, "ann", errors(token.clone()))
            .await
            .unwrap();
        if !page.logs.is_empty() {
            break page;
        }
        empty_pages += 1;
        token = Some(
            page.next_token
                .expect("an empty page that read its budget goes on"),
        );
    };

    assert_eq!(empty_pages, 2, "[l0 l1], [l1 l2], then [l2 l3]");
    assert_eq!(msgs(&found), ["l3"]);
    assert_eq!(found.next_token, None);
}

#[tokio::test]
async fn a_bad_limit_or_another_users_token_is_invalid() {
    let store = MemoryLogs::new(30);
    ann_lines(&store).await;
    stored(
        &store,
        lines_of(
            "bob",
            "api",
            json!([line("info", "2026-01-01T10:00:00Z", "x")]),
        ),
    )
    .await;
    let anns = read(
        &store,
        Reader::Admin,
        "ann",
        LogQuery {
            limit: 1,
            ..LogQuery::default()
        },
    )
    .await
    .unwrap()
    .next_token;

    let too_many = read(
        &store,
        Reader::Admin,
        "ann",
        LogQuery {
            limit: 1001,
            ..LogQuery::default()
        },
    )
    .await;
    let crossed = read(
        &store,
        Reader::Admin,
        "bob",
        LogQuery {
            next_token: anns,
            ..LogQuery::default()
        },
    )
    .await;
    let garbage = read(
        &store,
        Reader::Admin,
        "ann",
        LogQuery {
            next_token: Some("zz".into()),
            ..LogQuery::default()
        },
    )
    .await;

    assert!(
        matches!(&too_many, Err(LogError::Invalid(m)) if m.contains("limit")),
        "{too_many:?}"
    );
    assert!(
        matches!(&crossed, Err(LogError::Invalid(m)) if m.contains("next_token")),
        "{crossed:?}"
    );
    assert!(
        matches!(&garbage, Err(LogError::Invalid(m)) if m.contains("next_token")),
        "{garbage:?}"
    );
}

#[tokio::test]
async fn a_token_past_the_end_of_the_window_has_nothing_left() {
    let store = MemoryLogs::new(30);
    ann_lines(&store).await;
    let first = read(
        &store,
        Reader::Admin,
        "ann",
        LogQuery {
            limit: 4,
            ..LogQuery::default()
        },
    )
    .await
    .unwrap();

    let page = read(
        &store,
        Reader::Admin,
        "ann",
        LogQuery {
            to: Some(ts("2026-01-01T09:00:00Z")),
            next_token: first.next_token,
            ..LogQuery::default()
        },
    )
    .await
    .unwrap();

    assert!(page.logs.is_empty());
    assert_eq!(page.next_token, None);
}

#[tokio::test]
async fn a_users_first_page_charts_the_usage_it_signed_in_with() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    store
        .usage
        .count(&user("ann"), &Usage::default(), now(), 4, 2_048)
        .await;
    ann_lines(&store).await;
    let ann: LogUser = signed_in(&store, &token).await;

    let first = read(
        &store,
        Reader::User(ann.clone()),
        "ann",
        LogQuery {
            limit: 2,
            ..LogQuery::default()
        },
    )
    .await
    .unwrap();
    let next = read(
        &store,
        Reader::User(ann),
        "ann",
        LogQuery {
            limit: 2,
            next_token: first.next_token.clone(),
            ..LogQuery::default()
        },
    )
    .await
    .unwrap();

    let chart = first.usage.unwrap();
    assert_eq!(chart.len(), 30);
    assert_eq!(chart[29].day, "2026-01-02");
    assert_eq!((chart[29].lines, chart[29].bytes), (4, 2_048));
    assert_eq!(chart.iter().map(|d| d.bytes).sum::<u64>(), 2_048);
    assert_eq!(next.usage, None, "later pages carry no chart");
}

#[tokio::test]
async fn a_user_readers_chart_is_not_read_again() {
    let store = MemoryLogs::new(30);
    let token = issued(&store, "ann").await;
    let ann = signed_in(&store, &token).await;
    // Counted after the sign-in: the page charts what the sign-in read.
    store
        .usage
        .count(&user("ann"), &Usage::default(), now(), 4, 2_048)
        .await;

    let page = read(&store, Reader::User(ann), "ann", LogQuery::default())
        .await
        .unwrap();

    assert!(page.usage.unwrap().iter().all(|d| d.bytes == 0));
}

#[tokio::test]
async fn the_admins_first_page_reads_the_users_chart() {
    let store = MemoryLogs::new(30);
    issued(&store, "ann").await;
    store
        .usage
        .count(&user("ann"), &Usage::default(), now(), 4, 2_048)
        .await;

    let page = read(&store, Reader::Admin, "ann", LogQuery::default())
        .await
        .unwrap();
    let unknown = read(&store, Reader::Admin, "ghost", LogQuery::default())
        .await
        .unwrap();

    assert_eq!(page.usage.unwrap()[29].bytes, 2_048);
    assert_eq!(unknown.usage, None, "no chart for an unknown user");
    assert!(unknown.logs.is_empty());
}
