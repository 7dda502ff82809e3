//! What moto recorded (`LOOKOUT_IAM_AUDIT_DIR`): the requests made with a role's
//! credentials, and the (action, resource) pairs IAM checks for each of them.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;

use crate::provision::LOCAL_ACCOUNT;

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

/// The ARN of local table `name` (a pattern when `name` holds `*`).
pub(crate) fn table_arn(name: &str) -> String {
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
    use serde_json::json;

    use super::{needs, Record};

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
