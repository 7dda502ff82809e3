//! Cutting texts to a service's limit: by characters (Unicode scalar values), never inside
//! one, ending in an ellipsis when cut.

/// The mark a cut text ends with (one character).
pub(crate) const ELLIPSIS: char = '…';

/// The number of characters in `s`.
pub(crate) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `s` if it has at most `max` characters, else its first `max - 1` and an ellipsis.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let keep = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
            let mut out = String::with_capacity(keep + ELLIPSIS.len_utf8());
            out.push_str(&s[..keep]);
            out.push(ELLIPSIS);
            out
        }
    }
}

/// `s` with each character replaced by `escape`'s text for it, within `max` characters of
/// the escaped result: cut before an escape that would not fit whole (so no half `&amp;`),
/// with an ellipsis.
pub(crate) fn escape_truncate(
    s: &str,
    max: usize,
    escape: impl Fn(char) -> Option<&'static str>,
) -> String {
    let full: String = s
        .chars()
        .map(|c| escape(c).map_or_else(|| c.to_string(), str::to_owned))
        .collect();
    if chars(&full) <= max {
        return full;
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let piece = escape(c).map_or_else(|| c.to_string(), str::to_owned);
        let n = chars(&piece);
        if used + n > max - 1 {
            break;
        }
        out.push_str(&piece);
        used += n;
    }
    out.push(ELLIPSIS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_characters_with_an_ellipsis() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello", 4), "hel…");
        assert_eq!(truncate("hello", 1), "…");
        assert_eq!(truncate("hello", 0), "");
        assert_eq!(truncate("", 3), "");
        // Multi-byte characters count one each and are never split.
        let cut = truncate("äöüßé", 3);
        assert_eq!(cut, "äö…");
        assert_eq!(chars(&cut), 3);
        assert_eq!(truncate("👋👋👋", 2), "👋…");
    }

    #[test]
    fn escaping_never_splits_an_entity() {
        let esc = |c: char| (c == '&').then_some("&amp;");
        assert_eq!(escape_truncate("a&b", 10, esc), "a&amp;b");
        // "a&amp;bc" is 8 characters: at 7 the entity fits before the ellipsis, at 6 it
        // does not fit whole and is left out.
        assert_eq!(escape_truncate("a&bc", 7, esc), "a&amp;…");
        assert_eq!(escape_truncate("a&bc", 6, esc), "a…");
        assert_eq!(escape_truncate("&&&", 0, esc), "");
    }
}
