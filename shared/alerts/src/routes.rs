//! A tenant's routes: which channels get which alert (pure). Rules are tried in order; the
//! first whose every given condition holds names the chain, else the default chain does. The
//! chain's first channel gets the alert, each next one is the fallback of the one before.

use std::collections::BTreeSet;

use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};
use serde::{Deserialize, Serialize};

use crate::channel::ChannelId;
use crate::error::AlertError;

/// Rules per tenant.
pub const MAX_RULES: usize = 20;
/// Channels in one chain (the first and its fallbacks).
pub const MAX_CHAIN: usize = 5;
/// Longest `app` or `tag` of a rule.
const MAX_MATCH: usize = 128;

/// One rule: the conditions an alert meets (each optional) and the chain it then goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TenantAlertKind>,
    /// The lowest level that matches (`error` takes `error` and `critical`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_level: Option<TenantAlertLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    pub channels: Vec<ChannelId>,
}

impl Rule {
    fn matches(&self, alert: &TenantAlert) -> bool {
        self.kind.is_none_or(|k| k == alert.kind)
            && self.min_level.is_none_or(|l| alert.level >= l)
            && self
                .app
                .as_deref()
                .is_none_or(|a| alert.app.as_deref() == Some(a))
            && self
                .tag
                .as_deref()
                .is_none_or(|t| alert.tags.iter().any(|x| x == t))
    }
}

/// A tenant's routes; none stored is the empty default (alerts go nowhere but the admin's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routes {
    #[serde(default)]
    pub default: Vec<ChannelId>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

impl Routes {
    /// The chain `alert` goes to.
    pub fn chain_for(&self, alert: &TenantAlert) -> &[ChannelId] {
        self.rules
            .iter()
            .find(|r| r.matches(alert))
            .map_or(self.default.as_slice(), |r| r.channels.as_slice())
    }

    /// Every channel the routes name.
    pub fn channel_ids(&self) -> BTreeSet<&ChannelId> {
        self.default
            .iter()
            .chain(self.rules.iter().flat_map(|r| r.channels.iter()))
            .collect()
    }

    /// Checks the shape: at most [`MAX_RULES`] rules, chains of 1 to [`MAX_CHAIN`] channels
    /// (the default may be empty) without repeats, bounded `app`/`tag`.
    pub fn validate(&self) -> Result<(), AlertError> {
        if self.rules.len() > MAX_RULES {
            return Err(AlertError::Invalid(format!("at most {MAX_RULES} rules")));
        }
        check_chain("default", &self.default, true)?;
        for (i, rule) in self.rules.iter().enumerate() {
            check_chain(&format!("rules[{i}].channels"), &rule.channels, false)?;
            for (what, v) in [("app", &rule.app), ("tag", &rule.tag)] {
                if let Some(v) = v {
                    if v.is_empty() || v.chars().count() > MAX_MATCH {
                        return Err(AlertError::Invalid(format!(
                            "rules[{i}].{what} must be 1 to {MAX_MATCH} characters"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_chain(what: &str, chain: &[ChannelId], may_be_empty: bool) -> Result<(), AlertError> {
    if chain.len() > MAX_CHAIN || (chain.is_empty() && !may_be_empty) {
        return Err(AlertError::Invalid(format!(
            "{what} must name 1 to {MAX_CHAIN} channels"
        )));
    }
    let distinct: BTreeSet<_> = chain.iter().collect();
    if distinct.len() != chain.len() {
        return Err(AlertError::Invalid(format!("{what} names a channel twice")));
    }
    Ok(())
}
