//! Telegram: a plain-text `sendMessage` to the chat the channel's URL names, with an
//! "Acknowledge" inline button when the alert needs someone.
//!
//! The channel's URL is the Bot API method itself,
//! `https://api.telegram.org/bot{token}/sendMessage?chat_id={chat}` (the form Telegram's own
//! documentation and most cron one-liners use); the body repeats `chat_id`. Telegram counts a
//! message's 4,096-character limit in UTF-16 code units (an emoji is two), so the text is cut
//! by that count. No `parse_mode`: an alert's texts come from tenants' apps and are sent as
//! they are, never read as markup. The button's `callback_data` (at most 64 bytes) is the
//! alert's [`Alert::ack_callback`]; a longer one is left out (the ack link is in the text).

use serde_json::{json, Value};

use crate::alert::Alert;
use crate::text::ELLIPSIS;

/// Longest message text, in UTF-16 code units.
pub(crate) const MAX_TEXT_UTF16: usize = 4096;
/// Longest `callback_data`, in bytes.
pub const MAX_CALLBACK_DATA: usize = 64;

/// The chat a `sendMessage` URL names (its `chat_id` query parameter), if any.
pub fn telegram_chat(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "chat_id" && !v.is_empty()).then(|| v.to_owned())
    })
}

/// The message for `alert`, as POSTed to `sendMessage` for `chat`.
pub fn telegram_payload(alert: &Alert, chat: &str) -> Value {
    let mut text = format!("[{}] {}", alert.level.as_str().to_uppercase(), alert.title);
    if !alert.text.trim().is_empty() {
        text.push_str("\n\n");
        text.push_str(&alert.text);
    }
    for (name, value) in &alert.fields {
        text.push_str(&format!("\n{name}: {value}"));
    }
    // The links come last but are kept whole: the body gets what they leave.
    let mut tail = String::new();
    if let Some(url) = &alert.url {
        tail.push_str(&format!("\n\nOpen: {url}"));
    }
    if let Some(ack) = &alert.ack_url {
        tail.push_str(&format!("\nAcknowledge: {ack}"));
    }
    if utf16(&tail) > MAX_TEXT_UTF16 / 2 {
        tail.clear();
    }
    let text = format!("{}{tail}", cut_utf16(&text, MAX_TEXT_UTF16 - utf16(&tail)));
    let mut body = json!({
        "chat_id": chat,
        "text": text,
        "disable_web_page_preview": true,
    });
    if let Some(data) = alert
        .ack_callback
        .as_deref()
        .filter(|d| !d.is_empty() && d.len() <= MAX_CALLBACK_DATA)
    {
        body["reply_markup"] = json!({"inline_keyboard": [[
            {"text": "Acknowledge", "callback_data": data}
        ]]});
    }
    body
}

fn utf16(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `s` within `max` UTF-16 code units, ending in an ellipsis when cut (never inside a
/// character).
fn cut_utf16(s: &str, max: usize) -> String {
    if utf16(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + c.len_utf16() > max.saturating_sub(1) {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push(ELLIPSIS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKind, Level};

    fn alert() -> Alert {
        Alert {
            id: "a1".into(),
            title: "worker is down".into(),
            text: "no heartbeat for 5 minutes".into(),
            level: Level::Critical,
            kind: AlertKind::Heartbeat,
            url: Some("https://lookout.example/console#incident/1".into()),
            ack_url: Some("https://lookout.example/ack/t".into()),
            ack_callback: Some("a:inc-1:0123456789abcdef".into()),
            fields: vec![("app".into(), "worker".into())],
            at: "2026-12-07T10:00:00Z".into(),
        }
    }

    #[test]
    fn the_message_has_the_text_the_links_and_the_button() {
        let body = telegram_payload(&alert(), "-100123");
        assert_eq!(body["chat_id"], "-100123");
        assert_eq!(
            body["text"],
            "[CRITICAL] worker is down\n\nno heartbeat for 5 minutes\napp: worker\n\n\
             Open: https://lookout.example/console#incident/1\n\
             Acknowledge: https://lookout.example/ack/t"
        );
        assert!(body.get("parse_mode").is_none(), "texts are never markup");
        assert_eq!(
            body["reply_markup"]["inline_keyboard"][0][0],
            json!({"text": "Acknowledge", "callback_data": "a:inc-1:0123456789abcdef"})
        );
        let mut plain = alert();
        plain.ack_callback = None;
        assert!(telegram_payload(&plain, "1").get("reply_markup").is_none());
        plain.ack_callback = Some("x".repeat(65));
        assert!(
            telegram_payload(&plain, "1").get("reply_markup").is_none(),
            "over 64 bytes Telegram refuses the message: the button is left out"
        );
    }

    #[test]
    fn a_long_text_is_cut_by_utf16_units_keeping_the_links() {
        let mut a = alert();
        a.text = "😀".repeat(5000);
        let body = telegram_payload(&a, "1");
        let text = body["text"].as_str().unwrap_or_default();
        assert!(utf16(text) <= MAX_TEXT_UTF16, "{}", utf16(text));
        assert!(text.ends_with("Acknowledge: https://lookout.example/ack/t"));
        assert!(text.contains('…'));
    }

    #[test]
    fn the_chat_comes_from_the_url() {
        assert_eq!(
            telegram_chat("https://api.telegram.org/bot1:A/sendMessage?chat_id=-100123"),
            Some("-100123".into())
        );
        assert_eq!(
            telegram_chat("https://api.telegram.org/bot1:A/sendMessage?x=1&chat_id=@ops"),
            Some("@ops".into())
        );
        assert_eq!(
            telegram_chat("https://api.telegram.org/bot1:A/sendMessage"),
            None
        );
        assert_eq!(telegram_chat("https://x/y?chat_id="), None);
    }
}
