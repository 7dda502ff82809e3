//! The admin notification of a new incident (pure text).

use super::*;

/// The admin mail about a new incident.
pub fn mail_text(incident: &Incident, console_url: Option<&str>) -> (String, String) {
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
