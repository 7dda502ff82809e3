//! The check of recorded requests against the template's function policies (see the
//! `iam` module docs): what the template would refuse on AWS, and what it grants unused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;

use crate::iam::audit::{needs, Record};
use crate::iam::policy_eval::{glob, grants, Grant};
use crate::iam::roles::function_roles;
use crate::provision::LOCAL_PARAMS;
use crate::template::Template;

/// What the check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Requests the template's policy would refuse on AWS.
    pub refused: BTreeSet<String>,
    /// Permissions no recorded request needed (removing one would not fail any test).
    pub unused: BTreeSet<String>,
    /// Requests checked, per function.
    pub checked: BTreeMap<String, usize>,
}

/// Checks recorded requests against the template's function policies (see the module docs).
/// SES records are checked with SenderEmail/AdminEmail taken from the request itself (tests
/// use several addresses); everything else with the template's parameter defaults.
pub fn check(tpl: &Template, template_path: &Path, records: &[Record]) -> Result<Report> {
    let roles = function_roles(tpl, template_path)?;
    let mut params = tpl.parameter_defaults();
    params.extend(LOCAL_PARAMS.map(|(k, v)| (k.to_owned(), v.to_owned())));
    let mut report = Report::default();
    for role in &roles {
        let mine: Vec<&Record> = records
            .iter()
            .filter(|r| r.role == role.local_name())
            .collect();
        report.checked.insert(role.binary.clone(), mine.len());
        let base = grants(role, tpl, &params)?;
        // Grants (by place in the template) that were the only one allowing some request.
        let mut needed: BTreeSet<(usize, usize, String)> = BTreeSet::new();
        for rec in mine {
            let g = if rec.service == "ses" {
                let mut p = params.clone();
                if let Some(from) = rec.params["FromEmailAddress"].as_str() {
                    p.insert("SenderEmail".into(), from.to_owned());
                }
                if let Some(to) = rec.params["Destination"]["ToAddresses"][0].as_str() {
                    p.insert("AdminEmail".into(), to.to_owned());
                }
                grants(role, tpl, &p)?
            } else {
                base.clone()
            };
            let from = rec.params["FromEmailAddress"].as_str();
            for n in needs(rec)? {
                let allowing: Vec<&Grant> = g
                    .iter()
                    .filter(|gr| glob(&gr.action, &n.action) && glob(&gr.resource, &n.resource))
                    .filter(|gr| gr.from_address.is_none() || gr.from_address.as_deref() == from)
                    .collect();
                match allowing.as_slice() {
                    [] => {
                        report.refused.insert(format!(
                            "{}: {} on {} (not in its policy in template.yaml)",
                            role.binary, n.action, n.resource
                        ));
                    }
                    [only] => {
                        needed.insert(only.place());
                    }
                    _ => {}
                }
            }
        }
        // Every grant as written must be the only one allowing some request.
        for b in &base {
            if !needed.contains(&b.place()) {
                report.unused.insert(format!(
                    "{}: statement {} grants {} on {}, but no request of the test suite needed \
                     it (or another grant allows the same)",
                    role.binary, b.statement, b.action, b.resource
                ));
            }
        }
    }
    Ok(report)
}
