//! Policy evaluation as IAM does it: a role's statements as grants (action and resource
//! patterns, intrinsics resolved with the local naming scheme for any prefix), and IAM's
//! wildcard match.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use crate::iam::audit::table_arn;
use crate::iam::roles::{as_strings, FunctionRole};
use crate::provision::LOCAL_ACCOUNT;
use crate::template::{Resolve, Template};

/// IAM's wildcard match (`*` any run, `?` one character), case-sensitive.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Resolves a policy's intrinsics with the local naming scheme, any prefix: a table is
/// `<prefix>-<LogicalId>`, so `!GetAtt ApiKeysTable.Arn` becomes
/// `arn:aws:dynamodb:us-east-1:<account>:table/*-ApiKeysTable`. Parameters come from `params`.
struct Patterns<'a> {
    tpl: &'a Template,
    params: &'a BTreeMap<String, String>,
    /// The template's conditions with `params` over the parameters' defaults.
    conditions: BTreeMap<String, bool>,
}

impl Patterns<'_> {
    fn kind(&self, id: &str) -> Option<String> {
        self.tpl.resource_type(id)
    }
}

impl Resolve for Patterns<'_> {
    fn reference(&self, name: &str) -> Result<String> {
        match name {
            "AWS::Region" => return Ok("us-east-1".into()),
            "AWS::AccountId" => return Ok(LOCAL_ACCOUNT.into()),
            "AWS::Partition" => return Ok("aws".into()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            _ => {}
        }
        if let Some(v) = self.params.get(name) {
            return Ok(v.clone());
        }
        match self.kind(name).as_deref() {
            Some("AWS::DynamoDB::Table" | "AWS::Scheduler::ScheduleGroup" | "AWS::IAM::Role") => {
                Ok(format!("*-{name}"))
            }
            Some("AWS::SQS::Queue") => Ok(format!("*/*-{name}")),
            Some("AWS::SecretsManager::Secret") => Ok(format!(
                "arn:aws:secretsmanager:us-east-1:{LOCAL_ACCOUNT}:secret:*-{name}-*"
            )),
            _ => bail!("cannot resolve !Ref {name} in a policy"),
        }
    }

    fn condition(&self, name: &str) -> Result<bool> {
        self.conditions
            .get(name)
            .copied()
            .ok_or_else(|| anyhow!("unknown condition {name}"))
    }

    fn attribute(&self, id: &str, attr: &str) -> Result<String> {
        match (self.kind(id).as_deref(), attr) {
            (Some("AWS::DynamoDB::Table"), "Arn") => Ok(table_arn(&format!("*-{id}"))),
            (Some("AWS::SQS::Queue"), "Arn") => {
                Ok(format!("arn:aws:sqs:us-east-1:{LOCAL_ACCOUNT}:*-{id}"))
            }
            (Some("AWS::Scheduler::ScheduleGroup"), "Arn") => Ok(format!(
                "arn:aws:scheduler:us-east-1:{LOCAL_ACCOUNT}:schedule-group/*-{id}"
            )),
            (Some("AWS::IAM::Role"), "Arn") => {
                Ok(format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/*-{id}"))
            }
            _ => bail!("cannot resolve !GetAtt {id}.{attr} in a policy"),
        }
    }
}

/// One grant of a policy: an action pattern on a resource pattern; `statement` and `slot`
/// (the index in its Resource list) say where it is written in template.yaml.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub statement: usize,
    pub slot: usize,
    pub action: String,
    pub resource: String,
    /// The statement's `StringEquals` on `ses:FromAddress`, resolved: the grant allows only
    /// mail from that address.
    pub from_address: Option<String>,
}

impl Grant {
    /// Where the grant is written in template.yaml: statement, slot and action.
    pub(crate) fn place(&self) -> (usize, usize, String) {
        (self.statement, self.slot, self.action.clone())
    }
}

/// Every grant of `role`'s statements, intrinsics resolved with `params` and the local naming
/// scheme.
pub(crate) fn grants(
    role: &FunctionRole,
    tpl: &Template,
    params: &BTreeMap<String, String>,
) -> Result<Vec<Grant>> {
    let mut all = tpl.parameter_defaults();
    all.extend(params.iter().map(|(k, v)| (k.clone(), v.clone())));
    let r = Patterns {
        tpl,
        params,
        conditions: tpl.conditions(&all)?,
    };
    let mut out = Vec::new();
    for (i, s) in role.statements.iter().enumerate() {
        if s["Effect"] != "Allow" {
            bail!("{}: only Allow statements are understood", role.logical_id);
        }
        let resources = match &s["Resource"] {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        // The conditions the template uses: `ses:FromAddress` (checked against the request)
        // and `iam:PassedToService` (the only role passed goes to EventBridge Scheduler, which
        // is what the requests do). Any other is refused rather than ignored.
        let from_address = match &s["Condition"] {
            Value::Null => None,
            c => {
                let equals = c["StringEquals"].as_object();
                let known = c.as_object().map(|o| o.len()) == Some(1)
                    && equals.is_some_and(|e| {
                        e.keys()
                            .all(|k| k == "ses:FromAddress" || k == "iam:PassedToService")
                    });
                if !known {
                    bail!(
                        "{} statement {i}: only StringEquals on ses:FromAddress or \
                         iam:PassedToService is understood as a condition",
                        role.logical_id
                    );
                }
                match &c["StringEquals"]["ses:FromAddress"] {
                    Value::Null => None,
                    from => {
                        let yaml: yaml_serde::Value = yaml_serde::to_value(from)?;
                        Some(
                            r.resolve(&yaml)
                                .with_context(|| format!("{} statement {i}", role.logical_id))?,
                        )
                    }
                }
            }
        };
        for (slot, res) in resources.into_iter().enumerate() {
            let yaml: yaml_serde::Value = yaml_serde::to_value(&res)?;
            let resource = r
                .resolve(&yaml)
                .with_context(|| format!("{} statement {i}", role.logical_id))?;
            for action in as_strings(&s["Action"]) {
                out.push(Grant {
                    statement: i,
                    slot,
                    action,
                    resource: resource.clone(),
                    from_address: from_address.clone(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_like_iam() {
        assert!(glob("arn:*:table/*-Logs", "arn:aws:table/t1-Logs"));
        assert!(!glob("arn:*:table/*-Logs", "arn:aws:table/t1-Logs/index/x"));
        assert!(glob("dynamodb:*", "dynamodb:Query"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*", ""));
    }
}
