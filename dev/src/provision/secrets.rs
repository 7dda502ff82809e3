//! Secrets Manager secrets: created as the template declares them (a given or generated
//! initial value), then read and written as an operator does after a deploy.

use anyhow::{anyhow, Context, Result};
use aws_config::SdkConfig;
use yaml_serde::Value;

use crate::provision::stack::Stack;
use crate::template::Resolve;

/// Creates a secret (or finds the one of that name) and returns its ARN.
pub(crate) async fn create_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
    stack: &Stack,
    props: &Value,
) -> Result<String> {
    let initial = match (props.get("SecretString"), props.get("GenerateSecretString")) {
        (Some(v), _) => stack.resolve(v)?,
        // What Secrets Manager generates: random characters of the asked length.
        (None, Some(gen)) => {
            let len = gen
                .get("PasswordLength")
                .and_then(Value::as_u64)
                .unwrap_or(32);
            let mut out = String::new();
            while (out.len() as u64) < len {
                out.push_str(&uuid::Uuid::new_v4().simple().to_string());
            }
            out.truncate(usize::try_from(len).unwrap_or(32));
            out
        }
        (None, None) => "{}".to_owned(),
    };
    match client
        .create_secret()
        .name(name)
        .secret_string(initial)
        .send()
        .await
    {
        Ok(out) => out
            .arn
            .ok_or_else(|| anyhow!("CreateSecret returned no ARN")),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            let out = client.describe_secret().secret_id(name).send().await?;
            out.arn
                .ok_or_else(|| anyhow!("DescribeSecret returned no ARN"))
        }
        Err(err) => Err(anyhow::Error::new(err).context("CreateSecret")),
    }
}

/// The current value of the stack's secret `logical_id`.
pub async fn secret_value(sdk: &SdkConfig, stack: &Stack, logical_id: &str) -> Result<String> {
    let arn = stack
        .secrets
        .get(logical_id)
        .ok_or_else(|| anyhow!("no secret {logical_id} in the stack"))?;
    let out = aws_sdk_secretsmanager::Client::new(sdk)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await?;
    out.secret_string()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("secret {logical_id} has no string value"))
}

/// Stores `value` in the stack's secret `logical_id` (what the operator does after a deploy).
pub async fn put_secret(
    sdk: &SdkConfig,
    stack: &Stack,
    logical_id: &str,
    value: &str,
) -> Result<()> {
    let arn = stack
        .secrets
        .get(logical_id)
        .ok_or_else(|| anyhow!("no secret {logical_id} in template.yaml"))?;
    aws_sdk_secretsmanager::Client::new(sdk)
        .put_secret_value()
        .secret_id(arn)
        .secret_string(value)
        .send()
        .await
        .context("PutSecretValue")?;
    Ok(())
}
