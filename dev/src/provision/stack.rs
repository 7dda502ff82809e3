//! A provisioned copy of the template ([`Stack`]): the physical name of each resource under
//! a prefix, the parameter values and conditions it was made with, and the resolution of the
//! template's intrinsics against them.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::provision::kinds::{IAM_ROLE, SCHEDULE_GROUP, TABLE};
use crate::template::{Function, Resolve, Template};

/// Values for the template parameters a deploy must be given (no default: `sam deploy
/// --guided` asks), used locally unless the caller passes its own.
/// The two addresses are in different domains, so a policy naming one domain for both would
/// show in `devstack iam-check`.
pub const LOCAL_PARAMS: [(&str, &str); 2] = [
    ("AdminEmail", "admin@ops.lookout.test"),
    ("SenderEmail", "lookout@mail.lookout.test"),
];

/// moto's account id; region comes from the SDK config.
pub const LOCAL_ACCOUNT: &str = "123456789012";

/// A queue as created.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueInfo {
    pub name: String,
    pub url: String,
    pub arn: String,
}

/// Physical names of a provisioned copy of the template.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stack {
    pub prefix: String,
    pub region: String,
    pub account: String,
    pub params: BTreeMap<String, String>,
    pub tables: BTreeMap<String, String>,
    pub queues: BTreeMap<String, QueueInfo>,
    /// EventBridge Scheduler schedule groups by logical id (created in moto).
    #[serde(default)]
    pub schedule_groups: BTreeMap<String, String>,
    /// IAM role names by logical id (named only: moto's Scheduler does not check roles).
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    /// Secrets Manager secrets by logical id: their ARNs (what `!Ref` gives).
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// The template's conditions, evaluated with `params`.
    #[serde(default)]
    pub conditions: BTreeMap<String, bool>,
}

impl Stack {
    /// Physical names for `prefix` without calling AWS (queue URLs follow moto's scheme).
    pub fn describe(
        tpl: &Template,
        prefix: &str,
        region: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Self> {
        let mut all = tpl.parameter_defaults();
        all.extend(LOCAL_PARAMS.map(|(k, v)| (k.to_owned(), v.to_owned())));
        all.extend(params.clone());
        for name in tpl.parameter_names() {
            if !all.contains_key(&name) {
                bail!("template parameter {name} has no default: pass --param {name}=...");
            }
        }
        let tables = tpl
            .resources_of(TABLE)
            .into_iter()
            .map(|(id, _)| {
                let name = format!("{prefix}-{id}");
                (id, name)
            })
            .collect();
        // What CloudFormation refuses (template.yaml's Rules) is refused here too.
        let violations = tpl.rule_violations(&all)?;
        if !violations.is_empty() {
            bail!(
                "template.yaml's Rules refuse these parameters: {}",
                violations.join("; ")
            );
        }
        let conditions = tpl.conditions(&all)?;
        Ok(Self {
            prefix: prefix.to_owned(),
            region: region.to_owned(),
            account: LOCAL_ACCOUNT.to_owned(),
            conditions,
            secrets: BTreeMap::new(),
            params: all,
            tables,
            queues: BTreeMap::new(),
            schedule_groups: prefixed_names(tpl, SCHEDULE_GROUP, prefix),
            roles: prefixed_names(tpl, IAM_ROLE, prefix),
        })
    }

    /// Environment of one function, intrinsics resolved.
    pub fn function_env(&self, f: &Function) -> Result<BTreeMap<String, String>> {
        f.env
            .iter()
            .map(|(k, v)| {
                self.resolve(v)
                    .map(|r| (k.clone(), r))
                    .with_context(|| format!("{}: env {k}", f.logical_id))
            })
            .collect()
    }

    /// One environment for all functions (cargo lambda watch runs them with a single one).
    /// Two functions giving the same variable different values is an error.
    pub fn merged_env(&self, tpl: &Template) -> Result<BTreeMap<String, String>> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for f in tpl.functions()? {
            for (k, v) in self.function_env(&f)? {
                if let Some(prev) = out.get(&k) {
                    if *prev != v {
                        bail!("env {k} differs between functions ({prev} vs {v}); watch cannot serve both");
                    }
                }
                out.insert(k, v);
            }
        }
        Ok(out)
    }

    pub fn table(&self, logical_id: &str) -> Result<&str> {
        self.tables
            .get(logical_id)
            .map(String::as_str)
            .ok_or_else(|| anyhow!("no table {logical_id} in template.yaml"))
    }

    pub fn queue(&self, logical_id: &str) -> Result<&QueueInfo> {
        self.queues
            .get(logical_id)
            .ok_or_else(|| anyhow!("no queue {logical_id} in template.yaml"))
    }
}

impl Resolve for Stack {
    fn reference(&self, name: &str) -> Result<String> {
        match name {
            "AWS::Region" => return Ok(self.region.clone()),
            "AWS::AccountId" => return Ok(self.account.clone()),
            "AWS::StackName" => return Ok(self.prefix.clone()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            "AWS::Partition" => return Ok("aws".into()),
            _ => {}
        }
        if let Some(v) = self.params.get(name) {
            return Ok(v.clone());
        }
        if let Some(t) = self.tables.get(name) {
            return Ok(t.clone());
        }
        if let Some(q) = self.queues.get(name) {
            return Ok(q.url.clone());
        }
        if let Some(g) = self.schedule_groups.get(name) {
            return Ok(g.clone());
        }
        if let Some(r) = self.roles.get(name) {
            return Ok(r.clone());
        }
        if let Some(s) = self.secrets.get(name) {
            return Ok(s.clone());
        }
        bail!("cannot resolve !Ref {name} locally")
    }

    fn condition(&self, name: &str) -> Result<bool> {
        self.conditions
            .get(name)
            .copied()
            .ok_or_else(|| anyhow!("no condition {name} in template.yaml"))
    }

    fn attribute(&self, id: &str, attr: &str) -> Result<String> {
        if let (Some(t), "Arn") = (self.tables.get(id), attr) {
            return Ok(format!(
                "arn:aws:dynamodb:{}:{}:table/{t}",
                self.region, self.account
            ));
        }
        if let Some(q) = self.queues.get(id) {
            return match attr {
                "Arn" => Ok(q.arn.clone()),
                "QueueName" => Ok(q.name.clone()),
                "QueueUrl" => Ok(q.url.clone()),
                _ => bail!("unknown attribute {id}.{attr}"),
            };
        }
        if let (Some(g), "Arn") = (self.schedule_groups.get(id), attr) {
            return Ok(format!(
                "arn:aws:scheduler:{}:{}:schedule-group/{g}",
                self.region, self.account
            ));
        }
        if let (Some(r), "Arn") = (self.roles.get(id), attr) {
            return Ok(format!("arn:aws:iam::{}:role/{r}", self.account));
        }
        bail!("cannot resolve !GetAtt {id}.{attr} locally")
    }
}

/// `<prefix>-<logical id>` of every resource of `kind`, by logical id.
fn prefixed_names(tpl: &Template, kind: &str, prefix: &str) -> BTreeMap<String, String> {
    tpl.resources_of(kind)
        .into_iter()
        .map(|(id, _)| {
            let name = format!("{prefix}-{id}");
            (id, name)
        })
        .collect()
}
