//! The public status badge: `GET /badge/<token>.svg`, a shields-style SVG with the app's id and
//! status (up, late, down, paused, retired), found by an unguessable token through the keys-only
//! `badge` index. No key is needed to read it, so it can sit in a README or a status page; the
//! token is 128 random bits, and the admin listing shows its path.

use super::*;

const BADGE_INDEX: &str = "badge";
/// Hex characters of a token.
pub const BADGE_TOKEN_LEN: usize = 32;

pub(crate) fn new_badge_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A token as it appears in the path (`<token>` or `<token>.svg`), if well formed.
pub fn parse_badge_token(segment: &str) -> Option<&str> {
    let token = segment.strip_suffix(".svg").unwrap_or(segment);
    (token.len() == BADGE_TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(token)
}

/// What a badge shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub label: String,
    pub status: &'static str,
}

impl AppRecord {
    /// The badge at `now`: `late` once the app is past its expected time but within its grace.
    pub(crate) fn badge(&self, now: Timestamp) -> Badge {
        let grace_ms = i64::from(self.grace_seconds) * 1000;
        let status = match self.state {
            AppState::Up if millis(now) > self.deadline => "down",
            AppState::Up if millis(now) > self.deadline - grace_ms => "late",
            AppState::Up => "up",
            other => other.as_str(),
        };
        Badge {
            label: self.app_id.clone(),
            status,
        }
    }
}

impl Badge {
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

impl HeartbeatStore {
    /// The badge of the app with `token` at `now`; `None` if no app has it.
    pub async fn badge(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<Badge>, HeartbeatError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BADGE_INDEX)
            .key_condition_expression("badgeToken = :t")
            .expression_attribute_values(":t", AttributeValue::S(token.to_owned()))
            .limit(1)
            .send()
            .await?;
        let Some(pk) = page
            .items
            .unwrap_or_default()
            .into_iter()
            .next()
            .and_then(|item| item.get("pk").and_then(|v| v.as_s().ok()).cloned())
        else {
            return Ok(None);
        };
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .send()
            .await?;
        let rec: Option<AppRecord> = out.item.map(serde_dynamo::from_item).transpose()?;
        // The index is eventually consistent: the item must still carry this token.
        Ok(rec
            .filter(|r| r.badge_token.as_deref() == Some(token))
            .map(|r| r.badge(now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_hex_with_an_optional_svg_suffix() {
        let t = new_badge_token();
        assert_eq!(parse_badge_token(&t), Some(t.as_str()));
        assert_eq!(parse_badge_token(&format!("{t}.svg")), Some(t.as_str()));
        for bad in [
            "",
            "abc",
            &t.to_uppercase(),
            &format!("{t}0"),
            &format!("{t}.png"),
        ] {
            assert_eq!(parse_badge_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn status_follows_the_deadline_and_text_is_escaped() {
        let t0 = Timestamp::parse_str("2030-01-01T00:00:00Z").unwrap_or_else(|e| panic!("{e}"));
        let tenant = Tenant::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        let rec = AppRecord::new(&tenant, &AppId("a<b>".into()), t0, 60, 60);
        let at = |s: i64| from_millis(millis(t0) + s * 1000);
        assert_eq!(rec.badge(at(30)).status, "up");
        assert_eq!(rec.badge(at(90)).status, "late");
        assert_eq!(rec.badge(at(121)).status, "down");
        let svg = rec.badge(at(0)).svg();
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
        assert!(
            svg.contains(">a&lt;b&gt;</text>") && !svg.contains("a<b>"),
            "{svg}"
        );
        assert!(svg.contains("fill=\"#4c1\""), "{svg}");
    }
}
