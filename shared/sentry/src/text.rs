//! Cutting text to a bound, on character boundaries.

/// Marks a cut.
pub(crate) const ELLIPSIS: char = '…';

/// `s` with at most `max` characters; a longer one keeps `max - 1` and ends in `…`.
pub(crate) fn cut_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
            let mut out = String::with_capacity(end + ELLIPSIS.len_utf8());
            out.push_str(&s[..end]);
            if max > 0 {
                out.push(ELLIPSIS);
            }
            out
        }
    }
}

/// `s` in at most `max` bytes (UTF-8); a longer one is cut on a character boundary and ends
/// in `…` (which counts).
pub(crate) fn cut_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let Some(room) = max.checked_sub(ELLIPSIS.len_utf8()) else {
        return String::new();
    };
    let mut end = room;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + ELLIPSIS.len_utf8());
    out.push_str(&s[..end]);
    out.push(ELLIPSIS);
    out
}

/// `s` on one line: each run of whitespace (newlines too) becomes one space, trimmed.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
