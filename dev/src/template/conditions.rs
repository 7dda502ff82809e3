//! The template's `Conditions` and `Rules`, evaluated with parameter values as CloudFormation
//! does before it creates a stack.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Result};
use yaml_serde::{Mapping, Value};

use crate::template::intrinsics::Resolve;

/// Parameter values, and the template's conditions (none for `Rules`, which cannot name
/// them), as the evaluator of both.
struct Params<'a> {
    params: &'a BTreeMap<String, String>,
    conditions: &'a Mapping,
    depth: usize,
}
impl Resolve for Params<'_> {
    fn reference(&self, name: &str) -> Result<String> {
        self.params
            .get(name)
            .cloned()
            .ok_or_else(|| anyhow!("{name} is not a parameter"))
    }
    fn attribute(&self, id: &str, attr: &str) -> Result<String> {
        bail!("conditions and rules cannot use !GetAtt {id}.{attr}")
    }
    fn condition(&self, name: &str) -> Result<bool> {
        let expr = self
            .conditions
            .get(name)
            .ok_or_else(|| anyhow!("no condition {name}"))?;
        if self.depth > 16 {
            bail!("condition {name} refers to itself");
        }
        Params {
            depth: self.depth + 1,
            ..*self
        }
        .evaluate(expr)
    }
}

/// The template's `Conditions` (of `root`), evaluated with these parameter values.
pub(crate) fn evaluate_conditions(
    root: &Value,
    params: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, bool>> {
    let empty = Mapping::new();
    let conditions = root
        .get("Conditions")
        .and_then(Value::as_mapping)
        .unwrap_or(&empty);
    let r = Params {
        params,
        conditions,
        depth: 0,
    };
    conditions
        .keys()
        .filter_map(Value::as_str)
        .map(|name| Ok((name.to_owned(), r.condition(name)?)))
        .collect()
}

/// The `AssertDescription`s of the `Rules` assertions (of `root`) these parameter values
/// fail, as CloudFormation would refuse the stack with them (`RuleCondition`s are honoured).
pub(crate) fn rule_violations(
    root: &Value,
    params: &BTreeMap<String, String>,
) -> Result<Vec<String>> {
    let no_conditions = Mapping::new();
    let r = Params {
        params,
        conditions: &no_conditions,
        depth: 0,
    };
    let mut failed = Vec::new();
    let Some(rules) = root.get("Rules").and_then(Value::as_mapping) else {
        return Ok(failed);
    };
    for (name, rule) in rules {
        let name = name.as_str().unwrap_or_default();
        if let Some(when) = rule.get("RuleCondition") {
            if !r.evaluate(when)? {
                continue;
            }
        }
        let assertions = rule
            .get("Assertions")
            .and_then(Value::as_sequence)
            .ok_or_else(|| anyhow!("rule {name} has no Assertions"))?;
        for assertion in assertions {
            let test = assertion
                .get("Assert")
                .ok_or_else(|| anyhow!("an assertion of rule {name} has no Assert"))?;
            if !r.evaluate(test)? {
                let why = assertion.get("AssertDescription").and_then(Value::as_str);
                failed.push(format!("{name}: {}", why.unwrap_or("assertion failed")));
            }
        }
    }
    Ok(failed)
}
