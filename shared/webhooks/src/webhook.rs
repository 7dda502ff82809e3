//! The generic webhook's body: the alert as plain JSON, a stable shape receivers can parse
//! (`version` changes only if a field's meaning does).

use serde_json::{json, Value};

use crate::alert::Alert;

/// The JSON POSTed to a generic webhook. Absent links are `null`; `fields` keeps its order as
/// `[{"name","value"}]`.
pub fn webhook_payload(alert: &Alert) -> Value {
    json!({
        "version": 1,
        "id": alert.id,
        "kind": alert.kind.as_str(),
        "level": alert.level.as_str(),
        "title": alert.title,
        "text": alert.text,
        "url": alert.url,
        "ack_url": alert.ack_url,
        "fields": alert
            .fields
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect::<Vec<_>>(),
        "at": alert.at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKind, Level};

    #[test]
    fn is_the_alert_as_plain_json() {
        let a = Alert {
            id: "evt_3".into(),
            title: "Digest".into(),
            text: "3 incidents <today>".into(),
            level: Level::Info,
            kind: AlertKind::Digest,
            url: None,
            ack_url: Some("https://lookout.example/ack?t=1".into()),
            ack_callback: None,
            fields: vec![("b".into(), "2".into()), ("a".into(), "1".into())],
            at: "2025-01-02T03:04:05Z".into(),
        };
        assert_eq!(
            webhook_payload(&a),
            json!({
                "version": 1,
                "id": "evt_3",
                "kind": "digest",
                "level": "info",
                "title": "Digest",
                "text": "3 incidents <today>",
                "url": null,
                "ack_url": "https://lookout.example/ack?t=1",
                "fields": [{"name": "b", "value": "2"}, {"name": "a", "value": "1"}],
                "at": "2025-01-02T03:04:05Z",
            })
        );
    }
}
