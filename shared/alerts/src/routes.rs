//! A tenant's routes: which channels get which alert (pure). Rules are tried in order; the
//! first whose every given condition holds names the chain, else the default chain does. The
//! chain's first channel gets the alert, each next one is the fallback of the one before.
//!
//! A rule may also say what happens while nobody acknowledges an alert that needs someone (an
//! outage, a new incident): it repeats every `repeat_minutes`, and every
//! `escalate_after_minutes` it moves one step down the rule's `escalation` list (each step a
//! chain of its own), staying on the last. [`Rule::follow_up`] says when the next repeat is due
//! and on which step; at most [`MAX_ROUNDS`] repeats.

use std::collections::{BTreeMap, BTreeSet};

use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};
use serde::{Deserialize, Serialize};

use crate::channel::ChannelId;
use crate::error::AlertError;
use crate::quiet::QuietHours;
use crate::window::{Window, MAX_WINDOWS};

/// Rules per tenant.
pub const MAX_RULES: usize = 20;
/// Channels in one chain (the first and its fallbacks).
pub const MAX_CHAIN: usize = 5;
/// Longest `app` or `tag` of a rule.
const MAX_MATCH: usize = 128;
/// Escalation steps of a rule.
pub const MAX_ESCALATION: usize = 3;
/// Repeats of one unacknowledged alert.
pub const MAX_ROUNDS: u32 = 24;
/// Apps with dependencies per tenant, and parents per app.
pub const MAX_DEPENDENT_APPS: usize = 500;
pub const MAX_PARENTS: usize = 5;
/// Bounds of `repeat_minutes` and `escalate_after_minutes` (a day at most).
const MINUTES: std::ops::RangeInclusive<u32> = 1..=1440;

/// One rule: the conditions an alert meets (each optional) and the chain it then goes to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Repeat an unacknowledged alert this often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_minutes: Option<u32>,
    /// Move one escalation step down this often while unacknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after_minutes: Option<u32>,
    /// The escalation steps, each a chain (first channel and its fallbacks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalation: Vec<Vec<ChannelId>>,
}

/// When an unacknowledged alert's next repeat is due, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// Which repeat (from 1).
    pub round: u32,
    /// Minutes after the alert.
    pub after_minutes: u32,
    /// The escalation step (0: the rule's own chain).
    pub step: usize,
}

impl Rule {
    /// The `round`-th repeat of an alert this rule routed (see the module docs), or `None`
    /// when the rule neither repeats nor escalates, or the repeats are used up. Repeats come
    /// every `repeat_minutes` (else every `escalate_after_minutes`); each is on the step
    /// reached by then.
    pub fn follow_up(&self, round: u32) -> Option<FollowUp> {
        let every = self.repeat_minutes.or(self.escalate_after_minutes)?;
        if round == 0 || round > MAX_ROUNDS {
            return None;
        }
        let after_minutes = every.saturating_mul(round);
        let step = match self.escalate_after_minutes {
            Some(e) if e > 0 && !self.escalation.is_empty() => usize::try_from(after_minutes / e)
                .unwrap_or(usize::MAX)
                .min(self.escalation.len()),
            _ => 0,
        };
        // Escalation alone (no repeats): once the last step is reached, nothing more.
        if self.repeat_minutes.is_none() {
            let steps = u32::try_from(self.escalation.len()).unwrap_or(u32::MAX);
            if round > steps {
                return None;
            }
        }
        Some(FollowUp {
            round,
            after_minutes,
            step,
        })
    }

    /// The chain of escalation `step` (0: the rule's own).
    pub fn chain_at(&self, step: usize) -> &[ChannelId] {
        match step.checked_sub(1) {
            None => &self.channels,
            Some(i) => self
                .escalation
                .get(i)
                .map_or(&self.channels, |c| c.as_slice()),
        }
    }

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
    /// Each app's parents (app ids or incident app names): while one of them is down (its
    /// heartbeat outage, from its DOWN to its UP), the app's alerts that need someone are held
    /// (listed by `GET /admin/alert_failures`), and delivered when the parent comes back if
    /// the app is still down.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dependencies: BTreeMap<String, Vec<String>>,
    /// Maintenance windows: while one covers an alert, it is held; at the window's end what is
    /// still wrong goes out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<Window>,
    /// Nightly hours when alerts below `critical` wait for a morning digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

impl Routes {
    /// The apps `app` depends on.
    pub fn parents_of(&self, app: &str) -> &[String] {
        self.dependencies.get(app).map_or(&[], Vec::as_slice)
    }

    /// The rule that routes `alert` (`None`: the default chain does).
    pub fn rule_for(&self, alert: &TenantAlert) -> Option<&Rule> {
        self.rules.iter().find(|r| r.matches(alert))
    }

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
            .chain(
                self.rules
                    .iter()
                    .flat_map(|r| r.channels.iter().chain(r.escalation.iter().flatten())),
            )
            .collect()
    }

    /// Checks the shape: at most [`MAX_RULES`] rules, chains of 1 to [`MAX_CHAIN`] channels
    /// (the default may be empty) without repeats, bounded `app`/`tag`.
    pub fn validate(&self) -> Result<(), AlertError> {
        if self.rules.len() > MAX_RULES {
            return Err(AlertError::Invalid(format!("at most {MAX_RULES} rules")));
        }
        check_chain("default", &self.default, true)?;
        if let Some(q) = &self.quiet_hours {
            q.validate()?;
        }
        if self.windows.len() > MAX_WINDOWS {
            return Err(AlertError::Invalid(format!(
                "at most {MAX_WINDOWS} windows"
            )));
        }
        let mut names = BTreeSet::new();
        for w in &self.windows {
            w.validate()?;
            if !names.insert(w.name.as_str()) {
                return Err(AlertError::Invalid(format!(
                    "two windows are called {:?}",
                    w.name
                )));
            }
        }
        if self.dependencies.len() > MAX_DEPENDENT_APPS {
            return Err(AlertError::Invalid(format!(
                "dependencies name at most {MAX_DEPENDENT_APPS} apps"
            )));
        }
        for (app, parents) in &self.dependencies {
            let name_ok =
                |n: &str| !n.is_empty() && n.chars().count() <= MAX_MATCH && !n.contains('#');
            if !name_ok(app) || parents.is_empty() || parents.len() > MAX_PARENTS {
                return Err(AlertError::Invalid(format!(
                    "dependencies: each app (1 to {MAX_MATCH} characters, no #) depends on 1 to {MAX_PARENTS} apps"
                )));
            }
            if parents.iter().any(|p| !name_ok(p) || p == app) {
                return Err(AlertError::Invalid(format!(
                    "dependencies of {app:?}: parents are other apps (1 to {MAX_MATCH} characters, no #)"
                )));
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            check_chain(&format!("rules[{i}].channels"), &rule.channels, false)?;
            if rule.escalation.len() > MAX_ESCALATION {
                return Err(AlertError::Invalid(format!(
                    "rules[{i}].escalation has at most {MAX_ESCALATION} steps"
                )));
            }
            for (j, step) in rule.escalation.iter().enumerate() {
                check_chain(&format!("rules[{i}].escalation[{j}]"), step, false)?;
            }
            for (what, v) in [
                ("repeat_minutes", rule.repeat_minutes),
                ("escalate_after_minutes", rule.escalate_after_minutes),
            ] {
                if v.is_some_and(|m| !MINUTES.contains(&m)) {
                    return Err(AlertError::Invalid(format!(
                        "rules[{i}].{what} must be 1 to 1440"
                    )));
                }
            }
            if rule.escalation.is_empty() != rule.escalate_after_minutes.is_none() {
                return Err(AlertError::Invalid(format!(
                    "rules[{i}]: escalation and escalate_after_minutes go together"
                )));
            }
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
