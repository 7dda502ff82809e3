//! Reads template.yaml, the single source of truth for resources, routes and wiring.
//!
//! Understands the parts local runs need: DynamoDB tables, SQS queues, functions with their
//! binaries, environment, HttpApi routes, SQS and schedule events, and the intrinsic
//! functions `!Ref`, `!GetAtt`, `!Sub` (short and long forms).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use yaml_serde::{Mapping, Value};

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Value,
}

/// An HTTP route of a function (`HttpApi` event).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
}

/// An SQS event source of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct SqsSource {
    /// Logical id of the queue.
    pub queue: String,
    pub batch_size: usize,
    pub report_batch_item_failures: bool,
}

/// A schedule event of a function (`Schedule` or `ScheduleV2`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSource {
    pub name: String,
    pub expression: String,
    pub input: Option<String>,
}

/// An `AWS::Serverless::Function`.
#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    /// The function's name: its `Handler`, the binary of its own crate
    /// (`functions/<domain>/<handler>`) that watch serves locally, and its local role profile.
    pub binary: String,
    /// The deploy binary `sam build` builds for it (`Metadata.BuildProperties.Binary`): its
    /// domain's `<domain>-bootstrap`, which runs the handler `_HANDLER` names.
    pub bootstrap: String,
    /// Environment variables (Globals merged under the function's own), unresolved.
    pub env: BTreeMap<String, Value>,
    pub routes: Vec<Route>,
    pub sqs: Vec<SqsSource>,
    pub schedules: Vec<ScheduleSource>,
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
                    .ok_or_else(|| anyhow!("condition refers to {name}, not a parameter"))
            }
            fn attribute(&self, id: &str, attr: &str) -> Result<String> {
                bail!("conditions cannot use !GetAtt {id}.{attr}")
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
        let empty = Mapping::new();
        let conditions = self
            .root
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

    /// The `AssertDescription`s of the template's `Rules` assertions these parameter values
    /// fail, as CloudFormation would refuse the stack with them (`RuleCondition`s are honoured).
    pub fn rule_violations(&self, params: &BTreeMap<String, String>) -> Result<Vec<String>> {
        struct Params<'a>(&'a BTreeMap<String, String>);
        impl Resolve for Params<'_> {
            fn reference(&self, name: &str) -> Result<String> {
                self.0
                    .get(name)
                    .cloned()
                    .ok_or_else(|| anyhow!("rule refers to {name}, not a parameter"))
            }
            fn attribute(&self, id: &str, attr: &str) -> Result<String> {
                bail!("rules cannot use !GetAtt {id}.{attr}")
            }
        }
        let mut failed = Vec::new();
        let Some(rules) = self.root.get("Rules").and_then(Value::as_mapping) else {
            return Ok(failed);
        };
        for (name, rule) in rules {
            let name = name.as_str().unwrap_or_default();
            if let Some(when) = rule.get("RuleCondition") {
                if !Params(params).evaluate(when)? {
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
                if !Params(params).evaluate(test)? {
                    let why = assertion.get("AssertDescription").and_then(Value::as_str);
                    failed.push(format!("{name}: {}", why.unwrap_or("assertion failed")));
                }
            }
        }
        Ok(failed)
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

    /// Every serverless function with its wiring.
    pub fn functions(&self) -> Result<Vec<Function>> {
        let global_env = self
            .root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        for (id, res) in self.resources() {
            if res.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let bootstrap = res
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{id}: Metadata.BuildProperties.Binary is missing"))?
                .to_owned();
            let props = res.get("Properties").cloned().unwrap_or_default();
            let binary = props
                .get("Handler")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{id}: Properties.Handler is missing"))?
                .to_owned();
            let mut env = BTreeMap::new();
            let own = props
                .get("Environment")
                .and_then(|e| e.get("Variables"))
                .and_then(Value::as_mapping)
                .cloned()
                .unwrap_or_default();
            for (k, v) in global_env.iter().chain(own.iter()) {
                if let Some(k) = k.as_str() {
                    env.insert(k.to_owned(), v.clone());
                }
            }
            let mut f = Function {
                logical_id: id.to_owned(),
                binary,
                bootstrap,
                env,
                routes: Vec::new(),
                sqs: Vec::new(),
                schedules: Vec::new(),
            };
            let events = props
                .get("Events")
                .and_then(Value::as_mapping)
                .cloned()
                .unwrap_or_default();
            for (name, ev) in &events {
                let name = name.as_str().unwrap_or_default().to_owned();
                let p = ev.get("Properties").cloned().unwrap_or_default();
                match ev.get("Type").and_then(Value::as_str) {
                    Some("HttpApi") => f.routes.push(Route {
                        method: p
                            .get("Method")
                            .and_then(Value::as_str)
                            .unwrap_or("ANY")
                            .to_uppercase(),
                        path: p
                            .get("Path")
                            .and_then(Value::as_str)
                            .ok_or_else(|| anyhow!("{id}.{name}: HttpApi event without Path"))?
                            .to_owned(),
                    }),
                    Some("SQS") => f.sqs.push(SqsSource {
                        queue: ref_target(
                            p.get("Queue")
                                .ok_or_else(|| anyhow!("{id}.{name}: SQS event without Queue"))?,
                        )?,
                        batch_size: p
                            .get("BatchSize")
                            .and_then(Value::as_u64)
                            .and_then(|n| usize::try_from(n).ok())
                            .unwrap_or(10),
                        report_batch_item_failures: p
                            .get("FunctionResponseTypes")
                            .and_then(Value::as_sequence)
                            .is_some_and(|s| {
                                s.iter()
                                    .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
                            }),
                    }),
                    Some("Schedule" | "ScheduleV2") => f.schedules.push(ScheduleSource {
                        name: name.clone(),
                        expression: p
                            .get("ScheduleExpression")
                            .or_else(|| p.get("Schedule"))
                            .and_then(Value::as_str)
                            .ok_or_else(|| anyhow!("{id}.{name}: schedule without expression"))?
                            .to_owned(),
                        input: p.get("Input").and_then(Value::as_str).map(str::to_owned),
                    }),
                    _ => {}
                }
            }
            out.push(f);
        }
        Ok(out)
    }
}

/// The logical id named by `!GetAtt X.Arn`, `!Ref X` or their long forms.
pub fn ref_target(v: &Value) -> Result<String> {
    match intrinsic(v) {
        Some(("Ref", arg)) => arg
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("bad Ref")),
        Some(("Fn::GetAtt", arg)) => getatt_parts(arg).map(|(id, _)| id),
        _ => bail!("expected !Ref or !GetAtt, got {v:?}"),
    }
}

/// `(name, argument)` of an intrinsic function in short (`!Ref x`) or long (`{Ref: x}`) form.
pub fn intrinsic(v: &Value) -> Option<(&'static str, &Value)> {
    const NAMES: [(&str, &str); 10] = [
        ("Ref", "Ref"),
        ("GetAtt", "Fn::GetAtt"),
        ("Sub", "Fn::Sub"),
        ("Join", "Fn::Join"),
        ("Select", "Fn::Select"),
        ("Split", "Fn::Split"),
        ("If", "Fn::If"),
        ("Equals", "Fn::Equals"),
        ("Not", "Fn::Not"),
        ("Condition", "Condition"),
    ];
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            let tag = tag.trim_start_matches('!');
            NAMES
                .iter()
                .find(|(short, _)| *short == tag)
                .map(|(_, long)| (*long, &t.value))
        }
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            let k = k.as_str()?;
            NAMES
                .iter()
                .find(|(_, long)| *long == k)
                .map(|(_, long)| (*long, arg))
        }
        _ => None,
    }
}

/// `X.Arn` or `[X, Arn]` → `(X, Arn)`.
pub fn getatt_parts(arg: &Value) -> Result<(String, String)> {
    match arg {
        Value::String(s) => s
            .split_once('.')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .ok_or_else(|| anyhow!("bad GetAtt {s}")),
        Value::Sequence(parts) if parts.len() == 2 => Ok((
            scalar(&parts[0]).ok_or_else(|| anyhow!("bad GetAtt"))?,
            scalar(&parts[1]).ok_or_else(|| anyhow!("bad GetAtt"))?,
        )),
        _ => bail!("bad GetAtt {arg:?}"),
    }
}

/// A YAML scalar as text.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The workspace root (the folder holding template.yaml).
pub fn workspace_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf)
}

/// Resolves intrinsic functions against known values.
pub trait Resolve {
    /// `!Ref name` (a parameter, a pseudo parameter or a resource).
    fn reference(&self, name: &str) -> Result<String>;
    /// `!GetAtt id.attr`.
    fn attribute(&self, id: &str, attr: &str) -> Result<String>;

    /// A value with intrinsics resolved to text.
    fn resolve(&self, v: &Value) -> Result<String> {
        if let Some(s) = scalar(v) {
            return Ok(s);
        }
        match intrinsic(v) {
            Some(("Ref", arg)) => self.reference(arg.as_str().ok_or_else(|| anyhow!("bad Ref"))?),
            Some(("Fn::GetAtt", arg)) => {
                let (id, attr) = getatt_parts(arg)?;
                self.attribute(&id, &attr)
            }
            Some(("Fn::Sub", Value::String(text))) => self.substitute(text, &BTreeMap::new()),
            Some(("Fn::Sub", Value::Sequence(parts))) if parts.len() == 2 => {
                let text = parts[0].as_str().ok_or_else(|| anyhow!("bad Sub"))?;
                let vars = parts[1]
                    .as_mapping()
                    .ok_or_else(|| anyhow!("bad Sub variables"))?
                    .iter()
                    .map(|(k, v)| {
                        let k = k.as_str().ok_or_else(|| anyhow!("bad Sub variable"))?;
                        Ok((k.to_owned(), self.resolve(v)?))
                    })
                    .collect::<Result<BTreeMap<_, _>>>()?;
                self.substitute(text, &vars)
            }
            Some(("Fn::Select", Value::Sequence(parts))) if parts.len() == 2 => {
                let index: usize = self.resolve(&parts[0])?.parse()?;
                let items = self.resolve_list(&parts[1])?;
                items
                    .into_iter()
                    .nth(index)
                    .ok_or_else(|| anyhow!("Select index {index} out of range"))
            }
            Some(("Fn::If", Value::Sequence(parts))) if parts.len() == 3 => {
                let name = parts[0].as_str().ok_or_else(|| anyhow!("bad If"))?;
                if self.condition(name)? {
                    self.resolve(&parts[1])
                } else {
                    self.resolve(&parts[2])
                }
            }
            Some(("Fn::Join", Value::Sequence(parts))) if parts.len() == 2 => {
                let sep = parts[0].as_str().unwrap_or_default();
                let items = parts[1].as_sequence().ok_or_else(|| anyhow!("bad Join"))?;
                let resolved: Result<Vec<String>> = items.iter().map(|i| self.resolve(i)).collect();
                Ok(resolved?.join(sep))
            }
            _ => bail!("cannot resolve {v:?}"),
        }
    }

    /// A list: `!Split [sep, text]` or a sequence of values.
    fn resolve_list(&self, v: &Value) -> Result<Vec<String>> {
        match (intrinsic(v), v) {
            (Some(("Fn::Split", Value::Sequence(parts))), _) if parts.len() == 2 => {
                let sep = parts[0].as_str().ok_or_else(|| anyhow!("bad Split"))?;
                let text = self.resolve(&parts[1])?;
                Ok(text.split(sep).map(str::to_owned).collect())
            }
            (None, Value::Sequence(items)) => items.iter().map(|i| self.resolve(i)).collect(),
            _ => bail!("cannot resolve {v:?} as a list"),
        }
    }

    /// The value of the named entry of the template's `Conditions`. Resolvers that know no
    /// conditions refuse.
    fn condition(&self, name: &str) -> Result<bool> {
        bail!("condition {name} is unknown here")
    }

    /// A condition expression: `!Equals`, `!Not`, `!Condition`.
    fn evaluate(&self, v: &Value) -> Result<bool> {
        match intrinsic(v) {
            Some(("Fn::Equals", Value::Sequence(parts))) if parts.len() == 2 => {
                Ok(self.resolve(&parts[0])? == self.resolve(&parts[1])?)
            }
            Some(("Fn::Not", Value::Sequence(parts))) if parts.len() == 1 => {
                Ok(!self.evaluate(&parts[0])?)
            }
            Some(("Condition", Value::String(name))) => self.condition(name),
            _ => bail!("cannot evaluate condition {v:?}"),
        }
    }

    /// `${Name}` and `${Id.Attr}` in a `!Sub` string; `vars` are its own variables.
    fn substitute(&self, text: &str, vars: &BTreeMap<String, String>) -> Result<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("unclosed ${{ in {text}"))?;
            let name = &after[..end];
            let value = match name.split_once('.') {
                _ if vars.contains_key(name) => vars[name].clone(),
                Some((id, attr)) if !name.starts_with("AWS::") => self.attribute(id, attr)?,
                _ => self.reference(name)?,
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    struct Fixed;
    impl Resolve for Fixed {
        fn reference(&self, name: &str) -> Result<String> {
            Ok(format!("ref:{name}"))
        }
        fn attribute(&self, id: &str, attr: &str) -> Result<String> {
            Ok(format!("att:{id}:{attr}"))
        }
    }

    #[test]
    fn resolves_short_and_long_intrinsics() {
        let v: Value = yaml_serde::from_str("!Ref Foo").unwrap();
        assert_eq!(Fixed.resolve(&v).unwrap(), "ref:Foo");
        let v: Value = yaml_serde::from_str("{'Fn::GetAtt': [Q, Arn]}").unwrap();
        assert_eq!(Fixed.resolve(&v).unwrap(), "att:Q:Arn");
        let v: Value = yaml_serde::from_str("!Sub '${T.Arn}/index/x-${AWS::Region}'").unwrap();
        assert_eq!(
            Fixed.resolve(&v).unwrap(),
            "att:T:Arn/index/x-ref:AWS::Region"
        );
        let v: Value = yaml_serde::from_str("!GetAtt Q.Arn").unwrap();
        assert_eq!(ref_target(&v).unwrap(), "Q");
    }
}
