//! IAM as AWS enforces it, locally.
//!
//! Every function's role is taken from template.yaml *as SAM expands it*
//! (`scripts/sam_transform.py`, the aws-sam-translator `sam deploy` uses): the
//! `AWS::IAM::Role` SAM generates for each function, with its inline policies.
//!
//! - [`function_credentials`] creates those roles in moto and assumes them: every function,
//!   wherever it runs locally (watch, in-process tests, the event pump's invocations), signs
//!   with credentials of its own role. moto (started by `scripts/moto_server.py` with IAM
//!   enforced) refuses an action the role does not allow. moto checks actions only, so the
//!   local copy of a policy names `Resource: "*"`.
//! - [`check`] closes that gap: moto records every request made with a role's credentials
//!   (`LOOKOUT_IAM_AUDIT_DIR`), and each record must be allowed by the role's statements with
//!   their real resources (table, index, queue, secret, schedule group, SES identities, the
//!   role passed to the scheduler). Each permission of the template must also be the only one
//!   allowing some recorded request, so deleting any single permission from template.yaml
//!   fails the check.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use anyhow::{anyhow, bail, Context, Result};
use aws_config::SdkConfig;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::provision::LOCAL_ACCOUNT;
use crate::template::{workspace_root, Resolve, Template};

/// The local provisioning user (`scripts/moto_server.py` creates it with these keys).
pub const ADMIN_USER: &str = "lookout-local-admin";
pub const ADMIN_KEY_ID: &str = "AKIALOOKOUTLOCAL0001";
pub const ADMIN_SECRET: &str = "lookout-local-admin-secret-not-a-real-one";

/// Environment variable that, set (locally only), makes `lookout_core::aws::sdk_config` sign
/// with the profile named after the function (`AWS_LAMBDA_FUNCTION_NAME`).
pub const ROLE_PROFILES_ENV: &str = lookout_core::aws::LOCAL_ROLE_PROFILES;

/// Temporary credentials of one function's role.
#[derive(Clone, Serialize, Deserialize)]
pub struct RoleCredentials {
    pub role: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

impl std::fmt::Debug for RoleCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleCredentials")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

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
    static CACHE: OnceLock<Mutex<HashMap<std::path::PathBuf, Value>>> = OnceLock::new();
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
/// [`check`] checks resources). Where AWS authorises one call by another action, moto checks
/// the call's own name, so the local policy adds it: DynamoDB transactions are authorised per
/// item (PutItem, UpdateItem, DeleteItem, ConditionCheckItem, GetItem), SQS batch calls by
/// their single-message action (SendMessageBatch by SendMessage, ...).
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

fn as_strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Creates (or updates) every function's role in the moto at `sdk` and assumes each; cached
/// per endpoint, so a process does this once.
pub async fn function_credentials(
    sdk: &SdkConfig,
    tpl: &Template,
) -> Result<BTreeMap<String, RoleCredentials>> {
    static CACHE: OnceLock<tokio::sync::Mutex<HashMap<String, BTreeMap<String, RoleCredentials>>>> =
        OnceLock::new();
    let key = sdk.endpoint_url().unwrap_or_default().to_owned();
    let cache = CACHE.get_or_init(|| tokio::sync::Mutex::new(HashMap::new()));
    let mut guard = cache.lock().await;
    if let Some(c) = guard.get(&key) {
        return Ok(c.clone());
    }
    let roles = function_roles(tpl, &workspace_root().join("template.yaml"))?;
    let iam = aws_sdk_iam::Client::new(sdk);
    let sts = aws_sdk_sts::Client::new(sdk);
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            // Lambda assumes it on AWS; locally the provisioning user does (moto's AssumeRole
            // fails on a trust policy that names only a service).
            "Principal": {
                "Service": "lambda.amazonaws.com",
                "AWS": format!("arn:aws:iam::{LOCAL_ACCOUNT}:user/{ADMIN_USER}")
            },
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string();
    let mut out = BTreeMap::new();
    for role in &roles {
        let name = role.local_name();
        match iam
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(&trust)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_entity_already_exists_exception()) => {}
            Err(e) => return Err(anyhow::Error::new(e).context(format!("CreateRole {name}"))),
        }
        iam.put_role_policy()
            .role_name(&name)
            .policy_name("template")
            .policy_document(local_policy(role).to_string())
            .send()
            .await
            .with_context(|| format!("PutRolePolicy {name}"))?;
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/{name}"))
            .role_session_name(format!("local-{}", role.binary))
            .duration_seconds(43_200)
            .send()
            .await
            .with_context(|| format!("AssumeRole {name}"))?;
        let c = assumed
            .credentials
            .ok_or_else(|| anyhow!("AssumeRole {name}: no credentials"))?;
        out.insert(
            role.binary.clone(),
            RoleCredentials {
                role: name,
                access_key_id: c.access_key_id,
                secret_access_key: c.secret_access_key,
                session_token: c.session_token,
            },
        );
    }
    guard.insert(key, out.clone());
    Ok(out)
}

/// An AWS shared-credentials file: `[default]` is the provisioning user (tools, the event
/// pump), and one profile per function binary with its role's credentials.
pub fn credentials_file(creds: &BTreeMap<String, RoleCredentials>) -> String {
    let mut out = format!(
        "[default]\naws_access_key_id = {ADMIN_KEY_ID}\naws_secret_access_key = {ADMIN_SECRET}\n"
    );
    for (binary, c) in creds {
        out.push_str(&format!(
            "\n[{binary}]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            c.access_key_id, c.secret_access_key, c.session_token
        ));
    }
    out
}

// ------------------------------------------------------------------ the check

/// One request moto recorded (`scripts/moto_server.py`).
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub role: String,
    pub service: String,
    pub action: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub params: Value,
}

/// An (action, resource) a request needs, as IAM evaluates it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Need {
    pub action: String,
    pub resource: String,
}

fn table_arn(name: &str) -> String {
    format!("arn:aws:dynamodb:us-east-1:{LOCAL_ACCOUNT}:table/{name}")
}

/// What IAM checks for a recorded request.
pub fn needs(r: &Record) -> Result<Vec<Need>> {
    let p = &r.params;
    let need = |action: &str, resource: String| Need {
        action: action.to_owned(),
        resource,
    };
    let text = |v: &Value, what: &str| -> Result<String> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{} {}: no {what} in {p}", r.service, r.action))
    };
    let out = match (r.service.as_str(), r.action.as_str()) {
        ("dynamodb", "BatchGetItem" | "BatchWriteItem") => p["RequestItems"]
            .as_object()
            .ok_or_else(|| anyhow!("{}: no RequestItems", r.action))?
            .keys()
            .map(|t| need(&format!("dynamodb:{}", r.action), table_arn(t)))
            .collect(),
        ("dynamodb", "TransactWriteItems" | "TransactGetItems") => {
            let mut out = Vec::new();
            for item in p["TransactItems"].as_array().into_iter().flatten() {
                for (op, body) in item.as_object().into_iter().flatten() {
                    let action = match op.as_str() {
                        "Put" => "dynamodb:PutItem",
                        "Update" => "dynamodb:UpdateItem",
                        "Delete" => "dynamodb:DeleteItem",
                        "ConditionCheck" => "dynamodb:ConditionCheckItem",
                        "Get" => "dynamodb:GetItem",
                        other => bail!("unknown transaction item {other}"),
                    };
                    out.push(need(
                        action,
                        table_arn(&text(&body["TableName"], "TableName")?),
                    ));
                }
            }
            out
        }
        ("dynamodb", action) => {
            let mut arn = table_arn(&text(&p["TableName"], "TableName")?);
            if let Some(index) = p["IndexName"].as_str() {
                arn = format!("{arn}/index/{index}");
            }
            vec![need(&format!("dynamodb:{action}"), arn)]
        }
        ("sqs", action) => {
            let url = text(&p["QueueUrl"], "QueueUrl")?;
            let name = url.rsplit('/').next().unwrap_or_default();
            let action = action.trim_end_matches("Batch");
            vec![need(
                &format!("sqs:{action}"),
                format!("arn:aws:sqs:us-east-1:{LOCAL_ACCOUNT}:{name}"),
            )]
        }
        ("secretsmanager", action) => {
            vec![need(
                &format!("secretsmanager:{action}"),
                text(&p["SecretId"], "SecretId")?,
            )]
        }
        ("ses", "SendEmail") => {
            // SES checks the identity each address is verified as: the address itself or its
            // domain. Which one a deploy uses is the operator's choice, so both must be
            // allowed, for the sender and (SES sandbox) for every recipient.
            let mut addresses = vec![text(&p["FromEmailAddress"], "FromEmailAddress")?];
            for key in ["ToAddresses", "CcAddresses", "BccAddresses"] {
                for a in p["Destination"][key].as_array().into_iter().flatten() {
                    addresses.push(text(a, key)?);
                }
            }
            // The address, its domain and every parent domain of it (x@mail.example.com
            // may be verified through example.com): each must be allowed.
            let mut out = Vec::new();
            for a in addresses {
                out.push(need(
                    "ses:SendEmail",
                    format!("arn:aws:ses:us-east-1:{LOCAL_ACCOUNT}:identity/{a}"),
                ));
                if let Some((_, domain)) = a.rsplit_once('@') {
                    let labels: Vec<&str> = domain.split('.').collect();
                    for start in 0..labels.len().saturating_sub(1) {
                        out.push(need(
                            "ses:SendEmail",
                            format!(
                                "arn:aws:ses:us-east-1:{LOCAL_ACCOUNT}:identity/{}",
                                labels[start..].join(".")
                            ),
                        ));
                    }
                }
            }
            out
        }
        ("scheduler", action) => {
            let name = r.path.rsplit('/').next().unwrap_or_default();
            let group = p["GroupName"].as_str().unwrap_or("default");
            let mut out = vec![need(
                &format!("scheduler:{action}"),
                format!("arn:aws:scheduler:us-east-1:{LOCAL_ACCOUNT}:schedule/{group}/{name}"),
            )];
            // Creating a schedule passes its target role to EventBridge Scheduler.
            if let Some(role) = p["Target"]["RoleArn"].as_str() {
                out.push(need("iam:PassRole", role.to_owned()));
            }
            out
        }
        (service, action) => vec![need(&format!("{service}:{action}"), "*".to_owned())],
    };
    Ok(out)
}

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
    fn place(&self) -> (usize, usize, String) {
        (self.statement, self.slot, self.action.clone())
    }
}

fn grants(
    role: &FunctionRole,
    tpl: &Template,
    params: &BTreeMap<String, String>,
) -> Result<Vec<Grant>> {
    let r = Patterns { tpl, params };
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
    params.extend(crate::provision::LOCAL_PARAMS.map(|(k, v)| (k.to_owned(), v.to_owned())));
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

/// Every record under `dir` (`*.jsonl`).
pub fn read_records(dir: &Path) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        for (n, line) in std::fs::read_to_string(&path)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            out.push(
                serde_json::from_str(line)
                    .with_context(|| format!("{}:{}", path.display(), n + 1))?,
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_like_iam() {
        assert!(glob("arn:*:table/*-Logs", "arn:aws:table/t1-Logs"));
        assert!(!glob("arn:*:table/*-Logs", "arn:aws:table/t1-Logs/index/x"));
        assert!(glob("dynamodb:*", "dynamodb:Query"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*", ""));
    }

    #[test]
    fn needs_of_transactions_are_per_item() {
        let r: Record = serde_json::from_value(json!({
            "role": "x", "service": "dynamodb", "action": "TransactWriteItems",
            "params": {"TransactItems": [{"Delete": {"TableName": "p-T"}}, {"ConditionCheck": {"TableName": "p-U"}}]}
        }))
        .unwrap();
        let n = needs(&r).unwrap();
        assert_eq!(n[0].action, "dynamodb:DeleteItem");
        assert_eq!(n[1].action, "dynamodb:ConditionCheckItem");
        assert!(n[1].resource.ends_with(":table/p-U"));
    }
}
