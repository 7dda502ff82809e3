//! Pages bounded by bytes as well as by count.
//!
//! A Lambda response behind API Gateway may be at most 6 MB; a page of a thousand items of up
//! to 32–300 KB each could be far more, and would then fail as a 500. Every paged read stops at
//! [`MAX_PAGE_BYTES`] of items (as JSON) as well as at its count limit, and its next token
//! points after the last item it returned. One item alone always fits (items are far smaller
//! than the budget), so a page always makes progress.

use serde::Serialize;
use std::time::{Duration, Instant};

/// Most DynamoDB pages one request reads before it answers with what it has and a next
/// token: a filter that matches nothing must not read a whole partition in one request.
pub const MAX_READ_PAGES: usize = 8;
/// Longest one request reads before it answers the same way: far under every function's
/// timeout, so one caller's requests cannot hold many Lambdas for long.
pub const MAX_READ_TIME: Duration = Duration::from_secs(3);

/// What is left of a request's reads, in pages and in time.
#[derive(Debug, Clone)]
pub struct ReadBudget {
    read: usize,
    max_pages: usize,
    deadline: Instant,
}

impl Default for ReadBudget {
    fn default() -> Self {
        Self::new(MAX_READ_PAGES, MAX_READ_TIME)
    }
}

impl ReadBudget {
    pub fn new(max_pages: usize, max_time: Duration) -> Self {
        Self {
            read: 0,
            max_pages: max_pages.max(1),
            deadline: Instant::now() + max_time,
        }
    }

    /// Counts one page read; true when the request may read no more (it then answers with a
    /// next token where there is more to read).
    pub fn spent(&mut self) -> bool {
        self.read += 1;
        self.read >= self.max_pages || Instant::now() >= self.deadline
    }

    /// Pages read so far.
    pub fn pages(&self) -> usize {
        self.read
    }
}

/// The JSON of the items of one page, at most: room under Lambda's 6 MB response limit for
/// the page's envelope and any escaping API Gateway adds.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// What is left of a page's byte budget.
#[derive(Debug, Clone)]
pub struct ByteBudget {
    left: usize,
    taken: usize,
}

impl Default for ByteBudget {
    fn default() -> Self {
        Self::new(MAX_PAGE_BYTES)
    }
}

impl ByteBudget {
    pub fn new(max: usize) -> Self {
        Self {
            left: max,
            taken: 0,
        }
    }

    /// Takes an item of `bytes` if it fits (the first always does); false: the page is full.
    pub fn take(&mut self, bytes: usize) -> bool {
        if self.taken > 0 && bytes > self.left {
            return false;
        }
        self.left = self.left.saturating_sub(bytes);
        self.taken += 1;
        true
    }

    /// Takes `item` by the length of its JSON (plus a separator) if it fits.
    pub fn take_json<T: Serialize>(&mut self, item: &T) -> bool {
        self.take(json_len(item) + 1)
    }
}

/// The length of `item` as JSON (0 if it cannot be serialized; it then fails later, loudly).
pub fn json_len<T: Serialize>(item: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, item) {
        Ok(()) => count.0,
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_page_count_or_the_deadline() {
        let mut b = ReadBudget::new(3, Duration::from_secs(60));
        assert!(!b.spent());
        assert!(!b.spent());
        assert!(b.spent(), "the third page is the last");
        assert_eq!(b.pages(), 3);
        let mut late = ReadBudget::new(100, Duration::ZERO);
        assert!(late.spent(), "past the deadline after any page");
        assert!(
            ReadBudget::new(0, Duration::from_secs(1)).spent(),
            "one page at least"
        );
    }

    #[test]
    fn the_first_item_always_fits_then_the_budget_bounds_the_page() {
        let mut b = ByteBudget::new(10);
        assert!(b.take(25), "one item alone always fits");
        assert!(!b.take(1));
        let mut b = ByteBudget::new(10);
        assert!(b.take(4));
        assert!(b.take(6));
        assert!(!b.take(1));
    }

    #[test]
    fn json_len_is_the_length_of_the_json() {
        let v = serde_json::json!({"a": "é", "b": [1, 2]});
        assert_eq!(
            json_len(&v),
            serde_json::to_vec(&v).map(|v| v.len()).unwrap_or(0)
        );
        let mut b = ByteBudget::new(json_len(&v) + 1);
        assert!(b.take_json(&v));
        assert!(!b.take_json(&v));
    }
}
