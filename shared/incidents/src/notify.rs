//! Telling the admin about a new incident: the mail's text, and the mail and chat message
//! that carry it.

use lookout_core::error::error_chain;
use lookout_mail::AdminMailer;

use crate::ports::AdminChat;
use crate::records::Incident;

/// The admin mail about a new incident.
pub(crate) fn mail_text(incident: &Incident, console_url: Option<&str>) -> (String, String) {
    let subject = format!(
        "[Lookout] {} in {}: {}",
        incident.level.as_str().to_uppercase(),
        incident.app_name,
        incident.title
    );
    let mut body = format!(
        "New incident in {app}\n\nTitle:   {title}\nLevel:   {level}\nSeen at: {at}\nId:      {id}\n\n{message}\n",
        app = incident.app_name,
        title = incident.title,
        level = incident.level.as_str(),
        at = incident.first_seen,
        id = incident.id,
        message = incident.message,
    );
    if !incident.logs.is_empty() {
        body.push_str("\nLogs sent with the incident:\n");
        for l in &incident.logs {
            body.push_str("  ");
            body.push_str(l);
            body.push('\n');
        }
    }
    if !incident.recent_logs.is_empty() {
        body.push_str("\nRecent log lines of the app:\n");
        for l in &incident.recent_logs {
            body.push_str(&format!(
                "  {} {} {}\n",
                l["event_at"].as_str().unwrap_or(""),
                l["level"].as_str().unwrap_or(""),
                l["msg"].as_str().unwrap_or("")
            ));
        }
    }
    if let Some(h) = &incident.heartbeat {
        body.push_str(&format!(
            "\nHeartbeat: {}\n",
            h["state"].as_str().unwrap_or("unknown")
        ));
    }
    if let Some(url) = console_url {
        body.push_str(&format!("\nConsole: {url}#incident/{}\n", incident.id));
    }
    (subject, body)
}

/// What a mail that did not go out records on its incident.
pub(crate) const MAIL_FAILED: &str = "mail could not be sent";

/// Tells the admin about a new incident: a message to the admin chat (best effort; the port
/// sends a text longer than one message holds as numbered parts) and the mail. Returns the
/// mail's outcome to record (`None` inside: sent; `Some(reason)`: not sent), or `None` when
/// no mail is configured.
pub async fn announce(
    mail: Option<&dyn AdminMailer>,
    chat: Option<&dyn AdminChat>,
    incident: &Incident,
    console_url: Option<&str>,
) -> Option<Option<String>> {
    let (subject, text) = mail_text(incident, console_url);
    if let Some(chat) = chat {
        let short = format!("{subject}\n{}\nid: {}", incident.message, incident.id);
        if let Err(err) = chat.send(&short).await {
            tracing::error!(error = %err, id = incident.id, "telegram admin message failed");
        }
    }
    let mail = mail?;
    Some(match mail.send_admin(&subject, &text).await {
        Ok(_) => None,
        Err(err) => {
            tracing::error!(error = %error_chain(&err), id = incident.id, "incident mail failed");
            Some(MAIL_FAILED.to_owned())
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use lookout_core::BoxFuture;
    use lookout_mail::MemoryMail;
    use serde_json::json;

    use super::*;
    use crate::ports::PortError;

    /// The admin chat in memory: keeps what is sent, or refuses everything.
    #[derive(Debug, Default)]
    struct MemoryChat {
        sent: Arc<Mutex<Vec<String>>>,
        failing: bool,
    }

    impl AdminChat for MemoryChat {
        fn send<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), PortError>> {
            Box::pin(async move {
                if self.failing {
                    return Err("the chat is down".into());
                }
                self.sent.lock().unwrap().push(text.to_owned());
                Ok(())
            })
        }
    }

    fn incident() -> Incident {
        serde_json::from_value(json!({
            "id": "0b3c", "app_name": "billing", "title": "DB down", "message": "timeout",
            "level": "critical", "status": "open", "assignee": "", "notes": "", "logs": [],
            "logs_dropped": 0, "count": 1, "first_seen": "2030-01-01T00:00:00.000Z",
            "last_seen": "2030-01-01T00:00:00.000Z", "recent_logs": [], "notified": false
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_new_incident_is_mailed_and_sent_to_the_admin_chat() {
        let mail = MemoryMail::default();
        let chat = MemoryChat::default();
        let i = incident();
        let outcome = announce(Some(&mail), Some(&chat), &i, Some("https://x/console")).await;
        assert_eq!(outcome, Some(None), "mailed");
        let sent = mail.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].subject, "[Lookout] CRIT in billing: DB down");
        assert!(sent[0]
            .text
            .contains("Console: https://x/console#incident/0b3c"));
        assert_eq!(
            *chat.sent.lock().unwrap(),
            ["[Lookout] CRIT in billing: DB down\ntimeout\nid: 0b3c"]
        );
    }

    #[tokio::test]
    async fn a_failed_chat_message_does_not_stop_the_mail_and_a_failed_mail_is_recorded() {
        let mail = MemoryMail::default();
        let chat = MemoryChat {
            failing: true,
            ..MemoryChat::default()
        };
        assert_eq!(
            announce(Some(&mail), Some(&chat), &incident(), None).await,
            Some(None)
        );
        assert_eq!(mail.sent().len(), 1);
        mail.set_failing(true);
        assert_eq!(
            announce(Some(&mail), None, &incident(), None).await,
            Some(Some("mail could not be sent".into()))
        );
        assert_eq!(
            announce(None, None, &incident(), None).await,
            None,
            "no mail configured"
        );
    }
}
