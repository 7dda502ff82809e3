//! The public status badge (`GET /badge/<token>.svg`): a shields-style SVG with the app's id and
//! status (up, late, down, paused, retired), for an app named by a signed token
//! ([`BadgeKey`]). A badge costs one GetItem.

use lookout_core::time::Timestamp;

use crate::badge_key::BadgeKey;
use crate::error::HeartbeatError;
use crate::input::AppState;
use crate::record::{app_pk, AppRecord};
use crate::store::apps::Apps;
use crate::time::millis;

/// The badge a public badge path's last segment (`<token>.svg`) names, at `now`: `None` when the
/// token does not verify or the app does not exist.
pub async fn badge(
    apps: &dyn Apps,
    key: &BadgeKey,
    segment: &str,
    now: Timestamp,
) -> Result<Option<Badge>, HeartbeatError> {
    let Some((tenant, app_id)) = key.open(segment) else {
        return Ok(None);
    };
    let rec = apps.get(&app_pk(&tenant, &app_id)).await?;
    Ok(rec.map(|r| Badge::of(&r, now)))
}

/// What a badge shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub label: String,
    pub status: &'static str,
}

impl Badge {
    /// `rec`'s badge at `now`: `late` once the app is past its expected time but within its
    /// grace.
    pub(crate) fn of(rec: &AppRecord, now: Timestamp) -> Self {
        let grace_ms = i64::from(rec.grace_seconds) * 1000;
        let status = match rec.state {
            AppState::Up if millis(now) > rec.deadline => "down",
            AppState::Up if millis(now) > rec.deadline - grace_ms => "late",
            AppState::Up => "up",
            other => other.as_str(),
        };
        Self {
            label: rec.app_id.clone(),
            status,
        }
    }

    /// A flat two-part SVG (label | status), text escaped, widths from the character counts.
    pub fn svg(&self) -> String {
        let colour = match self.status {
            "up" => "#4c1",
            "late" => "#dfb317",
            "down" => "#e05d44",
            _ => "#9f9f9f",
        };
        let label = escape(&self.label);
        let char_w = 7;
        let lw = 10 + char_w * self.label.chars().count();
        let sw = 10 + char_w * self.status.len();
        let w = lw + sw;
        let (lx, sx) = (lw / 2, lw + sw / 2);
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{label}: {status}"><title>{label}: {status}</title><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{sw}" height="20" fill="{colour}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="{lx}" y="14">{label}</text><text x="{sx}" y="14">{status}</text></g></svg>"##,
            status = self.status,
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::AppId;
    use crate::time::from_millis;
    use lookout_core::auth::Tenant;

    #[test]
    fn status_follows_the_deadline_and_text_is_escaped() {
        let t0 = Timestamp::parse_str("2030-01-01T00:00:00Z").unwrap_or_else(|e| panic!("{e}"));
        let tenant = Tenant::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        let rec = AppRecord::new(&tenant, &AppId("a<b>".into()), t0, 60, 60);
        let at = |s: i64| from_millis(millis(t0) + s * 1000);
        assert_eq!(Badge::of(&rec, at(30)).status, "up");
        assert_eq!(Badge::of(&rec, at(90)).status, "late");
        assert_eq!(Badge::of(&rec, at(121)).status, "down");
        let svg = Badge::of(&rec, at(0)).svg();
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
        assert!(
            svg.contains(">a&lt;b&gt;</text>") && !svg.contains("a<b>"),
            "{svg}"
        );
        assert!(svg.contains("fill=\"#4c1\""), "{svg}");
    }
}
