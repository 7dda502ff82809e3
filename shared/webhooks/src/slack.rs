//! Slack incoming webhooks: a Block Kit message (header, text, fields, context, buttons) with
//! a `text` fallback for notifications and clients without blocks.
//!
//! Slack's limits (Block Kit reference): a message holds at most 50 blocks; a header's text
//! 150 characters; a section's text 3,000, its fields at most 10 of 2,000 each; a context at
//! most 10 elements; a button's text 75 and its URL 3,000. Texts are `mrkdwn`, in which `&`,
//! `<` and `>` must be escaped (the header is `plain_text` and is not).

use serde_json::{json, Value};

use crate::alert::Alert;
use crate::text::{escape_truncate, truncate};

/// Most blocks in one message.
pub(crate) const MAX_BLOCKS: usize = 50;
/// Longest header text.
pub(crate) const MAX_HEADER: usize = 150;
/// Longest section text.
pub(crate) const MAX_SECTION: usize = 3000;
/// Most fields in one section.
const MAX_SECTION_FIELDS: usize = 10;
/// Longest field text.
const MAX_FIELD: usize = 2000;
/// Longest button URL; a longer link gets no button.
const MAX_BUTTON_URL: usize = 3000;
/// Longest fallback `text`: Slack cuts at 40,000 and advises 4,000 for notifications.
pub(crate) const MAX_FALLBACK: usize = 4000;
/// Blocks other than field sections: header, text, context, actions.
const FIXED_BLOCKS: usize = 4;

/// `mrkdwn`'s three escapes.
fn mrkdwn_escape(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    }
}

/// `s` escaped for `mrkdwn`, within `max` characters.
fn mrkdwn(s: &str, max: usize) -> String {
    escape_truncate(s, max, mrkdwn_escape)
}

/// The message for `alert`, as POSTed to a Slack incoming webhook.
pub fn slack_payload(alert: &Alert) -> Value {
    let level = alert.level.as_str().to_uppercase();
    let mut blocks = Vec::new();
    let title = if alert.title.trim().is_empty() {
        "Lookout alert"
    } else {
        alert.title.as_str()
    };
    blocks.push(json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(title, MAX_HEADER), "emoji": true},
    }));
    if !alert.text.trim().is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": mrkdwn(&alert.text, MAX_SECTION)},
        }));
    }
    let fields: Vec<Value> = alert
        .fields
        .iter()
        .map(|(name, value)| {
            let name = escape_truncate(name, MAX_FIELD / 4, mrkdwn_escape);
            let budget = MAX_FIELD.saturating_sub(name.chars().count() + 3);
            json!({"type": "mrkdwn", "text": format!("*{name}*\n{}", mrkdwn(value, budget))})
        })
        .collect();
    for chunk in fields
        .chunks(MAX_SECTION_FIELDS)
        .take(MAX_BLOCKS - FIXED_BLOCKS)
    {
        blocks.push(json!({"type": "section", "fields": chunk}));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": mrkdwn(&format!("{level} · {} · {}", alert.kind.as_str(), alert.at), MAX_SECTION),
        }],
    }));
    let mut buttons = Vec::new();
    if let Some(ack) = alert.ack_url.as_deref().filter(|u| fits_button(u)) {
        buttons.push(json!({
            "type": "button",
            "action_id": "ack",
            "style": "primary",
            "text": {"type": "plain_text", "text": "Acknowledge"},
            "url": ack,
        }));
    }
    if let Some(open) = alert.url.as_deref().filter(|u| fits_button(u)) {
        buttons.push(json!({
            "type": "button",
            "action_id": "open",
            "text": {"type": "plain_text", "text": "Open in Lookout"},
            "url": open,
        }));
    }
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    let fallback = format!("[{level}] {title}\n{}", alert.text);
    json!({
        "text": mrkdwn(fallback.trim_end(), MAX_FALLBACK),
        "blocks": blocks,
    })
}

/// Whether a link can be a button's URL.
fn fits_button(url: &str) -> bool {
    !url.is_empty() && url.chars().count() <= MAX_BUTTON_URL
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKind, Level};

    fn alert() -> Alert {
        Alert {
            id: "evt_1".into(),
            title: "Backup job missed".into(),
            text: "No ping since 02:00 & counting <b>".into(),
            level: Level::Critical,
            kind: AlertKind::Heartbeat,
            url: Some("https://lookout.example/console#apps/7".into()),
            ack_url: Some("https://lookout.example/ack?t=abc".into()),
            ack_callback: None,
            fields: vec![
                ("App".into(), "backup".into()),
                ("Last ping".into(), "01:59".into()),
            ],
            at: "2025-01-02T03:04:05Z".into(),
        }
    }

    fn block_types(v: &Value) -> Vec<String> {
        v["blocks"]
            .as_array()
            .map(|b| {
                b.iter()
                    .map(|b| b["type"].as_str().unwrap_or("?").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn renders_header_text_fields_context_and_buttons() {
        let v = slack_payload(&alert());
        assert_eq!(
            block_types(&v),
            ["header", "section", "section", "context", "actions"]
        );
        assert_eq!(v["blocks"][0]["text"]["text"], "Backup job missed");
        assert_eq!(
            v["blocks"][1]["text"]["text"], "No ping since 02:00 &amp; counting &lt;b&gt;",
            "mrkdwn escaped"
        );
        assert_eq!(v["blocks"][2]["fields"][0]["text"], "*App*\nbackup");
        assert_eq!(v["blocks"][2]["fields"][1]["text"], "*Last ping*\n01:59");
        assert_eq!(
            v["blocks"][3]["elements"][0]["text"],
            "CRITICAL · heartbeat · 2025-01-02T03:04:05Z"
        );
        let buttons = &v["blocks"][4]["elements"];
        assert_eq!(buttons[0]["url"], "https://lookout.example/ack?t=abc");
        assert_eq!(buttons[0]["text"]["text"], "Acknowledge");
        assert_eq!(buttons[1]["url"], "https://lookout.example/console#apps/7");
        assert_eq!(
            v["text"],
            "[CRITICAL] Backup job missed\nNo ping since 02:00 &amp; counting &lt;b&gt;"
        );
    }

    #[test]
    fn without_links_or_text_those_blocks_are_left_out() {
        let mut a = alert();
        a.url = None;
        a.ack_url = None;
        a.text = "  ".into();
        a.fields.clear();
        let v = slack_payload(&a);
        assert_eq!(block_types(&v), ["header", "context"]);
        assert_eq!(v["text"], "[CRITICAL] Backup job missed");
    }

    #[test]
    fn long_texts_and_many_fields_stay_within_slacks_limits() {
        let mut a = alert();
        a.title = "t".repeat(400);
        a.text = "é".repeat(10_000);
        a.fields = (0..1000)
            .map(|i| (format!("f{i}"), "v".repeat(5000)))
            .collect();
        a.ack_url = Some(format!("https://x.example/{}", "a".repeat(3000)));
        let v = slack_payload(&a);
        let blocks = v["blocks"].as_array().map(Vec::len).unwrap_or_default();
        assert_eq!(blocks, MAX_BLOCKS, "fields cut to what 50 blocks hold");
        let header = v["blocks"][0]["text"]["text"].as_str().unwrap_or_default();
        assert_eq!(header.chars().count(), MAX_HEADER);
        assert!(header.ends_with('…'));
        let section = v["blocks"][1]["text"]["text"].as_str().unwrap_or_default();
        assert_eq!(section.chars().count(), MAX_SECTION);
        for b in v["blocks"].as_array().into_iter().flatten() {
            for f in b["fields"].as_array().into_iter().flatten() {
                let n = f["text"].as_str().unwrap_or_default().chars().count();
                assert!(n <= MAX_FIELD, "field of {n}");
            }
            if let Some(fields) = b["fields"].as_array() {
                assert!(fields.len() <= MAX_SECTION_FIELDS);
            }
        }
        let text = v["text"].as_str().unwrap_or_default();
        assert_eq!(text.chars().count(), MAX_FALLBACK);
        // The ack link is over a button's limit: no ack button, the console one stays.
        let last = &v["blocks"][MAX_BLOCKS - 1];
        assert_eq!(last["type"], "actions");
        assert_eq!(last["elements"].as_array().map(Vec::len), Some(1));
        assert_eq!(last["elements"][0]["action_id"], "open");
    }
}
