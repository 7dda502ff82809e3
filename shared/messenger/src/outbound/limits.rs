//! How long one message may be at each messenger, and how a longer text goes out (pure).
//!
//! | messenger | one text message | counted in |
//! |---|---|---|
//! | Telegram `sendMessage` `text` | 1-4096 | UTF-16 code units, after entity parsing (Lookout sends no `parse_mode`: the text as sent) |
//! | WhatsApp Cloud API `text.body` | 4096 | characters |
//! | Viber REST `send_message` `text` | 7000 | characters |
//!
//! Lengths are counted here in UTF-16 code units ([`text_units`]): Telegram's own unit, and
//! never less than the characters WhatsApp or Viber could count (a character outside the Basic
//! Multilingual Plane, most emoji among them, is two units), so a part that fits here fits
//! there. A broadcast of 4096 characters (the API's limit) can be 8192 units.
//!
//! A longer text is **split, not truncated**, at all three ([`message_parts`]): what a cut
//! would drop is the tail of an incident or a broadcast (the stack trace, the last
//! instructions), and a broadcast's recipient has no console to read it in. The parts are
//! numbered `(1/3) `, `(2/3) `, … and each ends after the last line break that leaves it at
//! least half full, else after the last whitespace, else between two characters (never inside
//! one). At most [`MAX_PARTS`] go out per text: beyond that the last part ends with
//! `… (cut: N more characters)`, so nothing is ever lost silently.
//!
//! How the parts are sent (in order, within one delivery) and what a failure between two of
//! them means for retries is the port's concern: [`MessengerApi::send`](crate::outbound::port::MessengerApi::send).

use crate::outbound::kind::MessengerKind;

/// Longest broadcast text the API accepts, in characters (the seed's limit, Telegram's and
/// WhatsApp's per message). Messengers count differently (Telegram in UTF-16 units, so 4096
/// emoji are 8192): what one message holds is [`MessengerKind::max_text_units`], and a longer
/// text goes out in parts ([`message_parts`]).
pub const MAX_TEXT_CHARS: usize = 4096;

/// Telegram `sendMessage`: UTF-16 code units of `text`.
pub const TELEGRAM_MAX_TEXT: usize = 4096;
/// WhatsApp Cloud API: characters of a text message's `body`.
pub(crate) const WHATSAPP_MAX_TEXT: usize = 4096;
/// Viber REST `send_message`: characters of `text`.
pub(crate) const VIBER_MAX_TEXT: usize = 7000;
/// Most messages one text goes out as. A 10,000-character incident needs 3 at Telegram (5 if
/// it were all emoji); a broadcast (at most 4096 characters) at most 2.
pub(crate) const MAX_PARTS: usize = 5;
/// Smallest per-message limit [`message_parts`] honours: room for a part's number, the cut
/// mark and some text. Smaller limits are raised to it.
pub(crate) const MIN_TEXT_LIMIT: usize = 64;

/// Length of a part's number, `(k/n) `: n is one digit.
const PART_NUMBER_UNITS: usize = 6;
const _: () = assert!(
    MAX_PARTS >= 1 && MAX_PARTS <= 9,
    "part numbers are one digit"
);

impl MessengerKind {
    /// The longest text one message of this messenger may carry, in UTF-16 code units.
    pub fn max_text_units(self) -> usize {
        match self {
            Self::Telegram => TELEGRAM_MAX_TEXT,
            Self::WhatsApp => WHATSAPP_MAX_TEXT,
            Self::Viber => VIBER_MAX_TEXT,
        }
    }
}

/// The length of `text` in UTF-16 code units: Telegram's count, and an upper bound of the
/// characters WhatsApp and Viber count.
pub fn text_units(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// The messages `text` goes out as through a messenger that takes at most `limit` UTF-16 units
/// per message (at least [`MIN_TEXT_LIMIT`]): `text` itself when it fits; otherwise parts
/// numbered `(k/n) ` in order, each within `limit`, that together hold the whole text (its
/// trailing whitespace and any part of nothing but whitespace are left out), or, past
/// [`MAX_PARTS`], as much as fits followed by [`cut_mark`].
pub(crate) fn message_parts(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(MIN_TEXT_LIMIT);
    if text_units(text) <= limit {
        return vec![text.to_owned()];
    }
    let room = limit - PART_NUMBER_UNITS;
    let mut pieces = Vec::new();
    let mut rest = text.trim_end();
    while !rest.is_empty() {
        if pieces.len() + 1 == MAX_PARTS && text_units(rest) > room {
            // The last part: as much as fits beside the mark. The mark for all of `rest` is at
            // least as long as the one for what is left of it.
            let end = cut_point(rest, room - text_units(&cut_mark(rest.chars().count())));
            let left = rest[end..].chars().count();
            pieces.push(format!("{}{}", rest[..end].trim_end(), cut_mark(left)));
            break;
        }
        let end = cut_point(rest, room);
        if !rest[..end].trim().is_empty() {
            pieces.push(rest[..end].to_owned());
        }
        rest = &rest[end..];
    }
    let n = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| format!("({}/{n}) {piece}", i + 1))
        .collect()
}

/// What ends a text that did not fit in [`MAX_PARTS`] messages: `… (cut: N more characters)`.
pub(crate) fn cut_mark(left_chars: usize) -> String {
    format!("… (cut: {left_chars} more characters)")
}

/// Where the first piece of `text` ends (a byte offset, past at least one character) when a
/// piece holds `room` UTF-16 units: the end of `text` when it fits; else after the last line
/// break of the longest prefix that fits, if that leaves the piece at least half full; else
/// after its last whitespace, likewise; else at that prefix's end.
fn cut_point(text: &str, room: usize) -> usize {
    let mut units = 0;
    let Some(fit) = text
        .char_indices()
        .find(|&(_, c)| {
            units += c.len_utf16();
            units > room
        })
        .map(|(i, _)| i)
    else {
        return text.len();
    };
    let window = &text[..fit];
    let half_full = |end: &usize| text_units(&window[..*end]) * 2 >= room;
    let after_line = window.rfind('\n').map(|i| i + 1).filter(half_full);
    let after_space = || {
        window
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map(|(i, c)| i + c.len_utf8())
            .filter(half_full)
    };
    let end = after_line.or_else(after_space).unwrap_or(fit);
    // A first character wider than `room` still goes (never for the limits above).
    end.max(text.chars().next().map_or(0, char::len_utf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts without their numbers, after checking the numbers are `(1/n) `…`(n/n) `.
    fn unnumbered(parts: &[String]) -> Vec<&str> {
        let n = parts.len();
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let number = format!("({}/{n}) ", i + 1);
                p.strip_prefix(&number)
                    .unwrap_or_else(|| panic!("part {i} does not start with {number:?}: {p:?}"))
            })
            .collect()
    }

    fn assert_within(parts: &[String], limit: usize) {
        for (i, p) in parts.iter().enumerate() {
            assert!(
                text_units(p) <= limit,
                "part {i} is {} units: {p:?}",
                text_units(p)
            );
        }
    }

    #[test]
    fn units_are_utf16_code_units() {
        assert_eq!(text_units(""), 0);
        assert_eq!(text_units("abc"), 3);
        assert_eq!(text_units("Привет"), 6, "Cyrillic is one unit a letter");
        assert_eq!(text_units("👋"), 2, "outside the BMP: a surrogate pair");
        assert_eq!(text_units(&"👋".repeat(4096)), 8192);
    }

    #[test]
    fn each_messenger_has_its_documented_limit() {
        assert_eq!(MessengerKind::Telegram.max_text_units(), 4096);
        assert_eq!(MessengerKind::WhatsApp.max_text_units(), 4096);
        assert_eq!(MessengerKind::Viber.max_text_units(), 7000);
    }

    #[test]
    fn a_text_that_fits_goes_as_it_is() {
        assert_eq!(message_parts("disk full", 4096), ["disk full"]);
        let exact = "x".repeat(4096);
        assert_eq!(message_parts(&exact, 4096), [exact]);
        let emoji = "👋".repeat(2048);
        assert_eq!(
            message_parts(&emoji, 4096),
            [emoji],
            "8192 bytes, 4096 units"
        );
        assert_eq!(message_parts("", 4096), [""]);
    }

    #[test]
    fn a_longer_text_is_split_after_line_breaks_and_numbered() {
        let text: String = (0..12)
            .map(|i| format!("line {i:02} of the log\n"))
            .collect();
        let parts = message_parts(&text, 64);
        assert_within(&parts, 64);
        assert_eq!(
            parts.len(),
            4,
            "three 19-character lines a part: {parts:#?}"
        );
        for p in unnumbered(&parts) {
            assert!(p.ends_with('\n') || text.trim_end().ends_with(p), "{p:?}");
            assert!(p.starts_with("line "), "cut at a line start: {p:?}");
        }
        assert_eq!(unnumbered(&parts).concat(), text.trim_end(), "nothing lost");
    }

    #[test]
    fn without_line_breaks_it_is_split_after_spaces() {
        let text = "word ".repeat(40);
        let parts = message_parts(&text, 64);
        assert_within(&parts, 64);
        for p in unnumbered(&parts) {
            assert!(p.starts_with("word"), "{p:?}");
        }
        assert_eq!(unnumbered(&parts).concat(), text.trim_end());
    }

    #[test]
    fn a_line_break_early_in_the_window_does_not_make_a_tiny_part() {
        let text = format!("title\n{}", "word ".repeat(30));
        let parts = message_parts(&text, 64);
        assert_within(&parts, 64);
        assert!(
            unnumbered(&parts)[0].starts_with("title\nword"),
            "{parts:#?}"
        );
        assert_eq!(unnumbered(&parts).concat(), text.trim_end());
    }

    #[test]
    fn a_long_word_is_cut_between_characters_never_inside_one() {
        let text = "👋".repeat(100);
        let parts = message_parts(&text, 64);
        assert_within(&parts, 64);
        assert_eq!(parts.len(), 4, "200 units, 58 a part: {parts:#?}");
        assert_eq!(unnumbered(&parts).concat(), text);
        let word = "ж".repeat(150);
        assert_eq!(unnumbered(&message_parts(&word, 64)).concat(), word);
    }

    #[test]
    fn blank_parts_are_not_sent() {
        let text = format!("first{}last", " ".repeat(200));
        let parts = message_parts(&text, 64);
        assert_within(&parts, 64);
        assert_eq!(parts.len(), 2, "{parts:#?}");
        assert!(parts[0].starts_with("(1/2) first"), "{parts:#?}");
        assert!(parts[1].ends_with("last"), "{parts:#?}");
    }

    #[test]
    fn past_the_most_parts_the_last_one_says_how_much_was_cut() {
        let text: String = (0..1000).map(|i| format!("line {i:04}\n")).collect();
        let parts = message_parts(&text, 64);
        assert_within(&parts, 64);
        assert_eq!(parts.len(), MAX_PARTS);
        let shown = unnumbered(&parts).concat();
        let (shown, left) = shown
            .rsplit_once("… (cut: ")
            .expect("the last part carries the cut mark");
        let left: usize = left
            .strip_suffix(" more characters)")
            .unwrap()
            .parse()
            .unwrap();
        let total = text.trim_end().chars().count();
        let kept: String = text.chars().take(total - left).collect();
        assert_eq!(
            kept.trim_end(),
            shown,
            "the parts hold the text up to the cut"
        );
        assert!(left > 9000, "{left}");
    }

    #[test]
    fn an_incident_of_10000_characters_fits_each_messenger() {
        let message: String = (0..200)
            .map(|i| format!("{i:03} at billing::charge (src/charge.rs:{i}) failed to settle\n"))
            .collect::<String>()
            .chars()
            .take(10_000)
            .collect();
        let text = format!("[Lookout] CRIT in billing: DB down\n{message}\nid: 0b3c");
        for (kind, want) in [
            (MessengerKind::Telegram, 3),
            (MessengerKind::WhatsApp, 3),
            (MessengerKind::Viber, 2),
        ] {
            let parts = message_parts(&text, kind.max_text_units());
            assert_within(&parts, kind.max_text_units());
            assert_eq!(parts.len(), want, "{kind}");
            assert_eq!(unnumbered(&parts).concat(), text, "{kind}: all of it");
        }
    }

    #[test]
    fn limits_below_the_minimum_are_raised() {
        let parts = message_parts(&"x".repeat(100), 10);
        assert_within(&parts, MIN_TEXT_LIMIT);
        assert_eq!(parts.len(), 2);
    }
}
