//! The role SAM generates for each function (from template.yaml as the SAM translator
//! expands it), and the policy moto gets for it.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::template::{workspace_root, Template};

/// One function's role as SAM generates it.
#[derive(Debug, Clone)]
pub struct FunctionRole {
    pub logical_id: String,
    pub binary: String,
    /// The role's inline policy statements, intrinsics unresolved (JSON as the transform gives).
    pub statements: Vec<Value>,
}

impl FunctionRole {
    /// The local role's name: one per function, shared by every prefix in one moto.
    pub fn local_name(&self) -> String {
        format!("lookout-fn-{}", self.binary)
    }
}

/// template.yaml transformed by the SAM translator (once per process and template path).
pub fn transformed(template_path: &Path) -> Result<Value> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Value>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(v) = cache
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .get(template_path)
    {
        return Ok(v.clone());
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(python)
        .current_dir(workspace_root())
        .arg("scripts/sam_transform.py")
        .arg(template_path)
        .output()
        .context("running scripts/sam_transform.py (aws-sam-translator)")?;
    if !out.status.success() {
        bail!(
            "the SAM transform of {} failed:\n{}",
            template_path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: Value = serde_json::from_slice(&out.stdout).context("transform output")?;
    cache
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .insert(template_path.to_path_buf(), v.clone());
    Ok(v)
}

/// Every function's generated role.
pub fn function_roles(tpl: &Template, template_path: &Path) -> Result<Vec<FunctionRole>> {
    let cfn = transformed(template_path)?;
    let resources = cfn["Resources"]
        .as_object()
        .ok_or_else(|| anyhow!("transform has no Resources"))?;
    let mut out = Vec::new();
    for f in tpl.functions()? {
        let lambda = &resources
            .get(&f.logical_id)
            .ok_or_else(|| anyhow!("{} missing from the transform", f.logical_id))?;
        let role_id = lambda["Properties"]["Role"]["Fn::GetAtt"][0]
            .as_str()
            .ok_or_else(|| anyhow!("{}: no generated role", f.logical_id))?;
        let role = &resources[role_id];
        let statements = role["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| {
                p["PolicyDocument"]["Statement"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        out.push(FunctionRole {
            logical_id: f.logical_id.clone(),
            binary: f.binary.clone(),
            statements,
        });
    }
    Ok(out)
}

/// The policy moto gets for a role: its actions on `*` (moto checks actions, not resources;
/// [`check`](crate::iam::check()) checks resources). Where AWS authorises one call by another
/// action, moto checks the call's own name, so the local policy adds it: DynamoDB transactions
/// are authorised per item (PutItem, UpdateItem, DeleteItem, ConditionCheckItem, GetItem), SQS
/// batch calls by their single-message action (SendMessageBatch by SendMessage, ...).
pub fn local_policy(role: &FunctionRole) -> Value {
    let mut actions = BTreeSet::new();
    for s in &role.statements {
        if s["Effect"] != "Allow" {
            continue;
        }
        for a in as_strings(&s["Action"]) {
            match a.as_str() {
                "dynamodb:PutItem"
                | "dynamodb:UpdateItem"
                | "dynamodb:DeleteItem"
                | "dynamodb:ConditionCheckItem" => {
                    actions.insert("dynamodb:TransactWriteItems".to_owned());
                }
                "dynamodb:GetItem" => {
                    actions.insert("dynamodb:TransactGetItems".to_owned());
                }
                "sqs:SendMessage" | "sqs:DeleteMessage" | "sqs:ChangeMessageVisibility" => {
                    actions.insert(format!("{a}Batch"));
                }
                _ => {}
            }
            actions.insert(a);
        }
    }
    if actions.is_empty() {
        // IAM refuses an empty statement; a role with no permissions gets an action nobody has.
        actions.insert("lookout:Nothing".to_owned());
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
    })
}

/// A statement's `Action` (one string or a list) as a list.
pub(crate) fn as_strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}
