//! Pages bounded by bytes as well as by count.
//!
//! A Lambda response behind API Gateway may be at most 6 MB; a page of a thousand items of up
//! to 32–300 KB each could be far more, and would then fail as a 500. Every paged read stops at
//! [`MAX_PAGE_BYTES`] of items (as JSON) as well as at its count limit, and its next token
//! points after the last item it returned. One item alone always fits (items are far smaller
//! than the budget), so a page always makes progress.

use serde::Serialize;

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
