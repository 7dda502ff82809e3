//! Reads template.yaml, the single source of truth for resources, routes and wiring.
//!
//! Understands the parts local runs need: DynamoDB tables, SQS queues, functions with their
//! binaries, environment, HttpApi routes, SQS and schedule events, and the intrinsic
//! functions `!Ref`, `!GetAtt`, `!Sub` (short and long forms).
//!
//! - here: [`Template`], the parsed file: its resources, parameters, outputs, and the entry
//!   points to the parts below,
//! - `functions`: each `AWS::Serverless::Function` with its wiring ([`Function`], [`Route`],
//!   [`SqsSource`], [`ScheduleSource`]),
//! - `conditions`: the template's `Conditions` and `Rules`, evaluated with parameter values,
//! - `intrinsics`: the intrinsic functions and the [`Resolve`] trait that resolves them.

mod conditions;
mod functions;
mod intrinsics;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use yaml_serde::{Mapping, Value};

use conditions::{evaluate_conditions, rule_violations};
use functions::global_environment;

pub use functions::{Function, Route, ScheduleSource, SqsSource};
pub use intrinsics::{getatt_parts, intrinsic, ref_target, scalar, Resolve};

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Value,
}

impl Template {
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self> {
        let root: Value = yaml_serde::from_str(text).context("parsing template YAML")?;
        Ok(Self { root })
    }

    /// template.yaml at the workspace root, found from this crate's directory.
    pub fn workspace_default() -> Result<Self> {
        Self::load(&workspace_root().join("template.yaml"))
    }

    fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    /// Logical ids and `Properties` of every resource of `kind`, in template order.
    pub fn resources_of(&self, kind: &str) -> Vec<(String, Value)> {
        self.resources()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
            .map(|(id, r)| {
                (
                    id.to_owned(),
                    r.get("Properties")
                        .cloned()
                        .unwrap_or(Value::Mapping(Mapping::new())),
                )
            })
            .collect()
    }

    /// The `Type` of resource `id`, if the template has it.
    pub fn resource_type(&self, id: &str) -> Option<String> {
        self.resources()
            .find(|(k, _)| *k == id)
            .and_then(|(_, r)| r.get("Type"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The `Condition` a resource is created under, if any.
    pub fn resource_condition(&self, id: &str) -> Option<String> {
        self.resources()
            .find(|(k, _)| *k == id)
            .and_then(|(_, r)| r.get("Condition"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The template's `Conditions`, evaluated with these parameter values.
    pub fn conditions(&self, params: &BTreeMap<String, String>) -> Result<BTreeMap<String, bool>> {
        evaluate_conditions(&self.root, params)
    }

    /// The `AssertDescription`s of the template's `Rules` assertions these parameter values
    /// fail, as CloudFormation would refuse the stack with them (`RuleCondition`s are honoured).
    pub fn rule_violations(&self, params: &BTreeMap<String, String>) -> Result<Vec<String>> {
        rule_violations(&self.root, params)
    }

    /// The names of the template's `Outputs`.
    pub fn output_names(&self) -> Vec<String> {
        self.root
            .get("Outputs")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.keys()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Parameter defaults.
    pub fn parameter_defaults(&self) -> BTreeMap<String, String> {
        self.root
            .get("Parameters")
            .and_then(Value::as_mapping)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), scalar(v.get("Default")?)?)))
            .collect()
    }

    pub fn parameter_names(&self) -> Vec<String> {
        self.root
            .get("Parameters")
            .and_then(Value::as_mapping)
            .into_iter()
            .flat_map(|m| m.keys())
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect()
    }

    /// Every serverless function with its wiring, in template order.
    pub fn functions(&self) -> Result<Vec<Function>> {
        let global_env = global_environment(&self.root);
        self.resources()
            .filter(|(_, r)| {
                r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function")
            })
            .map(|(id, r)| Function::from_resource(id, r, &global_env))
            .collect()
    }
}

/// The workspace root (the folder holding template.yaml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::{Route, Template};

    #[test]
    fn reads_the_real_template() {
        let t = Template::workspace_default().unwrap();
        let fns = t.functions().unwrap();
        let start = fns.iter().find(|f| f.binary == "start-session").unwrap();
        assert_eq!(
            start.routes,
            vec![Route {
                method: "POST".into(),
                path: "/start_session".into()
            }]
        );
        assert!(start.env.contains_key("TRACKER_TABLE"));
        assert!(
            start.env.contains_key("API_KEYS_TABLE"),
            "Globals are merged"
        );
        let tables: Vec<String> = t
            .resources_of("AWS::DynamoDB::Table")
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert!(tables.contains(&"TrackerTable".to_owned()));
    }
}
