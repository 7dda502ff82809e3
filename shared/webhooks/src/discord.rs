//! Discord webhooks: a short `content` line (what a notification shows) and one embed with the
//! alert, coloured by level, its acknowledge link a markdown link in the description.
//!
//! Discord's limits (Embed object reference): `content` 2,000 characters, at most 10 embeds; an
//! embed's title 256, description 4,096, at most 25 fields with names of 256 and values of
//! 1,024, footer 2,048, and all of those together at most 6,000. `allowed_mentions` is empty:
//! an alert's texts come from tenants' apps, and must not ping `@everyone`.

use serde_json::{json, Map, Value};

use crate::alert::Alert;
use crate::text::{chars, truncate};

/// Longest `content`.
pub(crate) const MAX_CONTENT: usize = 2000;
/// Longest embed title.
pub(crate) const MAX_TITLE: usize = 256;
/// Longest embed description.
pub(crate) const MAX_DESCRIPTION: usize = 4096;
/// Most fields in an embed.
pub(crate) const MAX_FIELDS: usize = 25;
/// Longest field name.
pub(crate) const MAX_FIELD_NAME: usize = 256;
/// Longest field value.
pub(crate) const MAX_FIELD_VALUE: usize = 1024;
/// Most characters in an embed's title, description, field names and values and footer.
pub(crate) const MAX_EMBED_TOTAL: usize = 6000;
/// A longer ack link is left out rather than crowding out the text.
const MAX_LINK: usize = 1024;

/// The message for `alert`, as POSTed to a Discord webhook.
pub fn discord_payload(alert: &Alert) -> Value {
    let level = alert.level.as_str().to_uppercase();
    let title_src = if alert.title.trim().is_empty() {
        "Lookout alert"
    } else {
        alert.title.as_str()
    };
    let title = truncate(title_src, MAX_TITLE);
    let footer = format!("Lookout · {}", alert.kind.as_str());
    let link = alert
        .ack_url
        .as_deref()
        .map(|u| format!("[Acknowledge]({})", link_target(u)))
        .filter(|l| chars(l) <= MAX_LINK);
    // The ack link survives any cut of the text: the text gets what the link leaves.
    let description = match &link {
        Some(link) if alert.text.trim().is_empty() => link.clone(),
        Some(link) => format!(
            "{}\n\n{link}",
            truncate(&alert.text, MAX_DESCRIPTION - chars(link) - 2)
        ),
        None => truncate(&alert.text, MAX_DESCRIPTION),
    };
    let mut used = chars(&title) + chars(&description) + chars(&footer);
    let mut fields = Vec::new();
    for (name, value) in alert.fields.iter().take(MAX_FIELDS) {
        let name = truncate(non_empty(name), MAX_FIELD_NAME);
        let left = MAX_EMBED_TOTAL.saturating_sub(used + chars(&name));
        // Stop when not even a cut value fits (an ellipsis alone tells nothing).
        if left < 2 {
            break;
        }
        let value = truncate(non_empty(value), MAX_FIELD_VALUE.min(left));
        used += chars(&name) + chars(&value);
        fields.push(json!({"name": name, "value": value, "inline": false}));
    }
    let mut embed = Map::new();
    embed.insert("title".into(), json!(title));
    if !description.is_empty() {
        embed.insert("description".into(), json!(description));
    }
    if let Some(url) = alert.url.as_deref().filter(|u| !u.is_empty()) {
        embed.insert("url".into(), json!(url));
    }
    embed.insert("color".into(), json!(alert.level.colour()));
    if !fields.is_empty() {
        embed.insert("fields".into(), Value::Array(fields));
    }
    embed.insert("footer".into(), json!({"text": footer}));
    if !alert.at.is_empty() {
        embed.insert("timestamp".into(), json!(alert.at));
    }
    json!({
        "content": truncate(&format!("**[{level}]** {title_src}"), MAX_CONTENT),
        "embeds": [Value::Object(embed)],
        "allowed_mentions": {"parse": []},
    })
}

/// A field's name or value: Discord refuses empty ones.
fn non_empty(s: &str) -> &str {
    if s.trim().is_empty() {
        "-"
    } else {
        s
    }
}

/// `url` safe inside a markdown link's parentheses.
fn link_target(url: &str) -> String {
    url.replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKind, Level};

    fn alert() -> Alert {
        Alert {
            id: "evt_2".into(),
            title: "Incident opened: api 5xx".into(),
            text: "Error rate 12% over 5 minutes.".into(),
            level: Level::Error,
            kind: AlertKind::Incident,
            url: Some("https://lookout.example/console#incidents/9".into()),
            ack_url: Some("https://lookout.example/ack?t=(x)".into()),
            ack_callback: None,
            fields: vec![("Service".into(), "api".into()), ("".into(), "".into())],
            at: "2025-01-02T03:04:05Z".into(),
        }
    }

    /// What Discord counts against the 6,000 characters of an embed.
    fn embed_total(e: &Value) -> usize {
        let s = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
        s(&e["title"])
            + s(&e["description"])
            + s(&e["footer"]["text"])
            + e["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| s(&f["name"]) + s(&f["value"]))
                .sum::<usize>()
    }

    #[test]
    fn renders_one_coloured_embed_with_the_ack_link() {
        let v = discord_payload(&alert());
        assert_eq!(v["content"], "**[ERROR]** Incident opened: api 5xx");
        assert_eq!(v["allowed_mentions"], json!({"parse": []}));
        let embeds = v["embeds"].as_array().cloned().unwrap_or_default();
        assert_eq!(embeds.len(), 1);
        let e = &embeds[0];
        assert_eq!(e["title"], "Incident opened: api 5xx");
        assert_eq!(
            e["description"],
            "Error rate 12% over 5 minutes.\n\n[Acknowledge](https://lookout.example/ack?t=%28x%29)"
        );
        assert_eq!(e["url"], "https://lookout.example/console#incidents/9");
        assert_eq!(e["color"], 0xE7_4C_3C);
        assert_eq!(
            e["fields"][0],
            json!({"name": "Service", "value": "api", "inline": false})
        );
        assert_eq!(
            e["fields"][1],
            json!({"name": "-", "value": "-", "inline": false})
        );
        assert_eq!(e["footer"]["text"], "Lookout · incident");
        assert_eq!(e["timestamp"], "2025-01-02T03:04:05Z");
    }

    #[test]
    fn colours_follow_the_level() {
        let colours: Vec<Value> = [Level::Info, Level::Warning, Level::Error, Level::Critical]
            .into_iter()
            .map(|level| discord_payload(&Alert { level, ..alert() })["embeds"][0]["color"].clone())
            .collect();
        assert_eq!(
            colours,
            [
                json!(0x34_98_DB),
                json!(0xF1_C4_0F),
                json!(0xE7_4C_3C),
                json!(0x99_2D_22)
            ]
        );
    }

    #[test]
    fn long_alerts_stay_within_every_limit_and_keep_the_ack_link() {
        let mut a = alert();
        a.title = "ü".repeat(3000);
        a.text = "x".repeat(20_000);
        a.fields = (0..40)
            .map(|i| ("n".repeat(300 + i), "v".repeat(2000)))
            .collect();
        let v = discord_payload(&a);
        let content = v["content"].as_str().unwrap_or_default();
        assert_eq!(content.chars().count(), MAX_CONTENT);
        let e = &v["embeds"][0];
        let title = e["title"].as_str().unwrap_or_default();
        assert_eq!(title.chars().count(), MAX_TITLE);
        assert!(title.ends_with('…'));
        let description = e["description"].as_str().unwrap_or_default();
        assert_eq!(description.chars().count(), MAX_DESCRIPTION);
        assert!(description.ends_with("[Acknowledge](https://lookout.example/ack?t=%28x%29)"));
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        assert!(!fields.is_empty() && fields.len() <= MAX_FIELDS);
        for f in &fields {
            assert!(f["name"].as_str().unwrap_or_default().chars().count() <= MAX_FIELD_NAME);
            assert!(f["value"].as_str().unwrap_or_default().chars().count() <= MAX_FIELD_VALUE);
        }
        let total = embed_total(e);
        assert!(total <= MAX_EMBED_TOTAL, "embed total {total}");
        assert!(
            total > MAX_EMBED_TOTAL - 300,
            "the budget is used, not wasted: {total}"
        );
    }

    #[test]
    fn twenty_five_fields_at_most() {
        let mut a = alert();
        a.fields = (0..30).map(|i| (format!("f{i}"), "v".into())).collect();
        let v = discord_payload(&a);
        assert_eq!(
            v["embeds"][0]["fields"].as_array().map(Vec::len),
            Some(MAX_FIELDS)
        );
        assert_eq!(v["embeds"][0]["fields"][24]["name"], "f24");
    }
}
