//! Paged Query reads: the one loop that follows `LastEvaluatedKey`, for reads to the end
//! ([`super::query_all`]) and for reads bounded by pages, items, bytes or time alike.

use std::{collections::HashMap, future::Future};

use aws_sdk_dynamodb::{
    config::http::HttpResponse,
    error::SdkError,
    operation::query::{builders::QueryFluentBuilder, QueryError, QueryOutput},
    types::AttributeValue,
};

/// A DynamoDB item, or the key of one (`ExclusiveStartKey`, `LastEvaluatedKey`).
pub type Item = HashMap<String, AttributeValue>;

/// How a Query call fails.
pub type QueryCallError = SdkError<QueryError, HttpResponse>;

/// What a [`query_pages`] visitor asks for after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The query's next page, if it has one.
    Page,
    /// The query's next page, if it has one, and those after it, asking for at most this many
    /// items (`Limit`): a page that must end at a count asks only for what it still lacks.
    Limit(i32),
    /// No more pages.
    Stop,
}

/// How a [`query_pages`] read ended.
#[derive(Debug, Clone, PartialEq)]
pub enum PageEnd {
    /// The query's last page was read, and the visitor went on.
    Exhausted,
    /// The visitor said [`Next::Stop`]. `resume` is that page's `LastEvaluatedKey`: where the
    /// query goes on, `None` when it was the query's last page.
    Stopped { resume: Option<Item> },
    /// `max_pages` pages were read and the query goes on: `resume` is its next page's
    /// `ExclusiveStartKey` (with `max_pages` 0, the query's own).
    OutOfPages { resume: Option<Item> },
}

/// What a [`query_pages`] read did.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged {
    /// Query calls made.
    pub pages: usize,
    pub end: PageEnd,
}

impl Paged {
    /// True when the visitor stopped the read.
    pub fn stopped(&self) -> bool {
        matches!(self.end, PageEnd::Stopped { .. })
    }

    /// True when the read ran out of pages before the query ended.
    pub fn out_of_pages(&self) -> bool {
        matches!(self.end, PageEnd::OutOfPages { .. })
    }
}

/// Reads `query` a page at a time from its own `ExclusiveStartKey`, following
/// `LastEvaluatedKey`, and hands each page (`LastEvaluatedKey` included) to `visit`, until the
/// query ends, `visit` says [`Next::Stop`], or `max_pages` pages were read (`None`: no bound).
/// The one loop of every paged read: `visit` keeps the caller's count, byte and read budgets,
/// and what it does with the page's key (a next token) is up to it.
///
/// A failed call ends the read with its error as `E`, as does an error of `visit`.
pub async fn query_pages<E>(
    query: QueryFluentBuilder,
    max_pages: Option<usize>,
    visit: impl FnMut(QueryOutput) -> Result<Next, E>,
) -> Result<Paged, E>
where
    E: From<QueryCallError>,
{
    let start = query.get_exclusive_start_key().clone();
    let fetch = |start, limit: Option<i32>| {
        let mut call = query.clone().set_exclusive_start_key(start);
        if let Some(limit) = limit {
            call = call.limit(limit);
        }
        call.send()
    };
    walk_pages(start, max_pages, fetch, visit).await
}

/// [`query_pages`]' loop, whatever makes the calls: `fetch(start, limit)` reads the page after
/// `start`, with `limit` when the visitor asked for one.
async fn walk_pages<E, F, Fut>(
    mut start: Option<Item>,
    max_pages: Option<usize>,
    mut fetch: impl FnMut(Option<Item>, Option<i32>) -> Fut,
    mut visit: impl FnMut(QueryOutput) -> Result<Next, E>,
) -> Result<Paged, E>
where
    Fut: Future<Output = Result<QueryOutput, F>>,
    E: From<F>,
{
    let mut pages = 0;
    let mut limit = None;
    loop {
        if max_pages.is_some_and(|max| pages >= max) {
            let end = PageEnd::OutOfPages { resume: start };
            return Ok(Paged { pages, end });
        }
        let page = fetch(start, limit).await?;
        pages += 1;
        let resume = page.last_evaluated_key.clone();
        match visit(page)? {
            Next::Stop => {
                let end = PageEnd::Stopped { resume };
                return Ok(Paged { pages, end });
            }
            Next::Limit(n) => limit = Some(n),
            Next::Page => {}
        }
        if resume.is_none() {
            let end = PageEnd::Exhausted;
            return Ok(Paged { pages, end });
        }
        start = resume;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key after page `n` of a fake query.
    fn key(n: usize) -> Item {
        HashMap::from([("pk".to_owned(), AttributeValue::S(n.to_string()))])
    }

    /// Reads a fake query of `total` pages of two items each: every call's `(start, limit)`
    /// and what the walk returned.
    async fn walk(
        start: Option<usize>,
        total: usize,
        max_pages: Option<usize>,
        mut visit: impl FnMut(usize, QueryOutput) -> Result<Next, String>,
    ) -> (Vec<(Option<usize>, Option<i32>)>, Result<Paged, String>) {
        let mut calls = Vec::new();
        let fetch = |start: Option<Item>, limit| {
            let n = match start.as_ref().and_then(|k| k.get("pk")) {
                Some(AttributeValue::S(n)) => n.parse().unwrap(),
                _ => 0,
            };
            calls.push((start.map(|_| n), limit));
            let page = QueryOutput::builder()
                .set_items(Some(vec![key(n), key(n)]))
                .set_last_evaluated_key((n + 1 < total).then(|| key(n + 1)))
                .build();
            std::future::ready(if n < total {
                Ok(page)
            } else {
                Err(format!("no page {n}"))
            })
        };
        let mut page = 0;
        let visit = |out| {
            page += 1;
            visit(page, out)
        };
        let res = walk_pages(start.map(key), max_pages, fetch, visit).await;
        (calls, res)
    }

    fn paged(pages: usize, end: PageEnd) -> Result<Paged, String> {
        Ok(Paged { pages, end })
    }

    #[tokio::test]
    async fn pages_are_read_to_the_end_from_the_querys_start() {
        let mut items = 0;
        let (calls, res) = walk(None, 3, None, |_, out| {
            items += out.items().len();
            Ok(Next::Page)
        })
        .await;
        assert_eq!(calls, [(None, None), (Some(1), None), (Some(2), None)]);
        assert_eq!(res, paged(3, PageEnd::Exhausted));
        assert_eq!(items, 6);
        let (calls, res) = walk(Some(1), 3, None, |_, _| Ok(Next::Page)).await;
        assert_eq!(calls, [(Some(1), None), (Some(2), None)]);
        assert_eq!(res, paged(2, PageEnd::Exhausted));
    }

    #[tokio::test]
    async fn the_visitor_stops_the_read_and_learns_where_it_would_go_on() {
        let (calls, res) = walk(None, 3, None, |n, _| {
            Ok(if n == 2 { Next::Stop } else { Next::Page })
        })
        .await;
        assert_eq!(calls.len(), 2);
        assert_eq!(
            res,
            paged(
                2,
                PageEnd::Stopped {
                    resume: Some(key(2))
                }
            )
        );
        assert!(res.unwrap().stopped());
        // On the last page, a stop is still a stop (callers break out of outer loops on it).
        let (_, res) = walk(None, 1, None, |_, _| Ok(Next::Stop)).await;
        assert_eq!(res, paged(1, PageEnd::Stopped { resume: None }));
        // The visitor sees the page's LastEvaluatedKey.
        let mut keys = Vec::new();
        walk(None, 2, None, |_, out| {
            keys.push(out.last_evaluated_key().cloned());
            Ok(Next::Page)
        })
        .await
        .1
        .unwrap();
        assert_eq!(keys, [Some(key(1)), None]);
    }

    #[tokio::test]
    async fn a_page_budget_bounds_the_calls() {
        let (calls, res) = walk(None, 5, Some(2), |_, _| Ok(Next::Page)).await;
        assert_eq!(calls.len(), 2);
        assert_eq!(
            res,
            paged(
                2,
                PageEnd::OutOfPages {
                    resume: Some(key(2))
                }
            )
        );
        assert!(res.unwrap().out_of_pages());
        // A query that ends within the budget is exhausted, not out of pages.
        let (_, res) = walk(None, 2, Some(2), |_, _| Ok(Next::Page)).await;
        assert_eq!(res, paged(2, PageEnd::Exhausted));
        // No budget left: no call, and the read would start where the query does.
        let (calls, res) = walk(Some(3), 5, Some(0), |_, _| Ok(Next::Page)).await;
        assert!(calls.is_empty());
        assert_eq!(
            res,
            paged(
                0,
                PageEnd::OutOfPages {
                    resume: Some(key(3))
                }
            )
        );
        let (_, res) = walk(None, 5, Some(0), |_, _| Ok(Next::Page)).await;
        assert_eq!(res, paged(0, PageEnd::OutOfPages { resume: None }));
    }

    #[tokio::test]
    async fn the_visitor_sets_the_next_pages_limit() {
        let (calls, res) = walk(None, 4, None, |n, _| {
            Ok(match n {
                1 => Next::Limit(7),
                2 => Next::Page,
                _ => Next::Limit(3),
            })
        })
        .await;
        let limits: Vec<_> = calls.into_iter().map(|(_, limit)| limit).collect();
        assert_eq!(limits, [None, Some(7), Some(7), Some(3)]);
        assert_eq!(res, paged(4, PageEnd::Exhausted));
    }

    #[tokio::test]
    async fn errors_end_the_read() {
        let (calls, res) = walk(None, 3, None, |n, _| {
            if n == 2 {
                Err("bad item".to_owned())
            } else {
                Ok(Next::Page)
            }
        })
        .await;
        assert_eq!(calls.len(), 2);
        assert_eq!(res, Err("bad item".to_owned()));
        let (_, res) = walk(Some(4), 3, None, |_, _| Ok(Next::Page)).await;
        assert_eq!(res, Err("no page 4".to_owned()));
    }
}
