//! Each `AWS::Serverless::Function` of the template with its wiring: binary, deploy
//! bootstrap, environment (Globals merged under its own), HttpApi routes, SQS and schedule
//! events.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use yaml_serde::{Mapping, Value};

use crate::template::intrinsics::ref_target;

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

/// `Globals.Function.Environment.Variables` of the template (empty when it has none).
pub(crate) fn global_environment(root: &Value) -> Mapping {
    root.get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"))
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default()
}

impl Function {
    /// The function resource `res` (logical id `id`) with the template's global environment.
    pub(crate) fn from_resource(id: &str, res: &Value, global_env: &Mapping) -> Result<Self> {
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
        let mut f = Self {
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
        Ok(f)
    }
}
