//! Creates template.yaml's resources in moto (or any endpoint) under a name prefix, and
//! resolves each function's environment against them. No schema is written down here:
//! everything comes from the template.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use serde::{Deserialize, Serialize};
use yaml_serde::Value;

use crate::template::{Function, Resolve, Template};

pub const TABLE: &str = "AWS::DynamoDB::Table";
pub const QUEUE: &str = "AWS::SQS::Queue";
pub const EMAIL_IDENTITY: &str = "AWS::SES::EmailIdentity";
pub const SCHEDULE_GROUP: &str = "AWS::Scheduler::ScheduleGroup";
pub const IAM_ROLE: &str = "AWS::IAM::Role";
pub const SECRET: &str = "AWS::SecretsManager::Secret";

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

/// Creates every table and queue of the template under `prefix` (existing ones are kept).
pub async fn provision(
    tpl: &Template,
    sdk: &SdkConfig,
    prefix: &str,
    params: &BTreeMap<String, String>,
) -> Result<Stack> {
    let region = sdk
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let mut stack = Stack::describe(tpl, prefix, &region, params)?;
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let tables: Vec<(String, Value)> = tpl.resources_of(TABLE);
    let creates = tables.into_iter().map(|(id, props)| {
        let ddb = ddb.clone();
        let name = stack.tables.get(&id).cloned().unwrap_or_default();
        async move {
            create_table(&ddb, &name, &props)
                .await
                .with_context(|| format!("table {id}"))
        }
    });
    for res in futures_join(creates).await {
        res?;
    }
    let sqs = aws_sdk_sqs::Client::new(sdk);
    // Dead-letter queues first: a redrive policy refers to its target's ARN.
    let mut queues = tpl.resources_of(QUEUE);
    queues.sort_by_key(|(_, p)| p.get("RedrivePolicy").is_some());
    for (id, props) in queues {
        let info = create_queue(&sqs, &stack, &id, &props)
            .await
            .with_context(|| format!("queue {id}"))?;
        stack.queues.insert(id, info);
    }
    // SES identities are addresses, not named resources: created as they are, not prefixed.
    let ses = aws_sdk_sesv2::Client::new(sdk);
    for (id, props) in tpl.resources_of(EMAIL_IDENTITY) {
        if let Some(cond) = tpl.resource_condition(&id) {
            if !stack.condition(&cond)? {
                continue;
            }
        }
        create_email_identity(&ses, &stack, &props)
            .await
            .with_context(|| format!("email identity {id}"))?;
    }
    // Secrets as the template creates them (a deploy's operator then stores the value).
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    for (id, props) in tpl.resources_of(SECRET) {
        let arn = create_secret(&secrets, &format!("{prefix}-{id}"), &stack, &props)
            .await
            .with_context(|| format!("secret {id}"))?;
        stack.secrets.insert(id, arn);
    }
    // Schedule groups hold the one-time schedules the app creates at runtime.
    let scheduler = aws_sdk_scheduler::Client::new(sdk);
    for name in stack.schedule_groups.values() {
        create_schedule_group(&scheduler, name)
            .await
            .with_context(|| format!("schedule group {name}"))?;
    }
    Ok(stack)
}

async fn futures_join<F, T>(futs: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

fn list<'a>(props: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    props
        .get(key)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
}

fn text(v: &Value, key: &str) -> Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("missing {key}"))
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>> {
    list(v, "KeySchema")
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(text(k, "AttributeName")?)
                .key_type(KeyType::from(text(k, "KeyType")?.as_str()))
                .build()?)
        })
        .collect()
}

async fn create_table(ddb: &aws_sdk_dynamodb::Client, name: &str, props: &Value) -> Result<()> {
    let mut req = ddb
        .create_table()
        .table_name(name)
        .set_key_schema(Some(key_schema(props)?));
    for a in list(props, "AttributeDefinitions") {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(text(a, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(
                    text(a, "AttributeType")?.as_str(),
                ))
                .build()?,
        );
    }
    for g in list(props, "GlobalSecondaryIndexes") {
        let projection = g.get("Projection").cloned().unwrap_or_default();
        let mut p = Projection::builder().projection_type(ProjectionType::from(
            text(&projection, "ProjectionType")
                .unwrap_or_else(|_| "ALL".into())
                .as_str(),
        ));
        for attr in list(&projection, "NonKeyAttributes") {
            if let Some(a) = attr.as_str() {
                p = p.non_key_attributes(a);
            }
        }
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(g, "IndexName")?)
                .set_key_schema(Some(key_schema(g)?))
                .projection(p.build())
                .build()?,
        );
    }
    let billing = text(props, "BillingMode").unwrap_or_else(|_| "PAY_PER_REQUEST".into());
    req = req.billing_mode(BillingMode::from(billing.as_str()));
    match req.send().await {
        Ok(_) => {}
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(());
        }
        Err(err) => return Err(anyhow::Error::new(err).context("CreateTable")),
    }
    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        if ttl.get("Enabled").and_then(Value::as_bool) == Some(true) {
            ddb.update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(text(ttl, "AttributeName")?)
                        .enabled(true)
                        .build()?,
                )
                .send()
                .await
                .context("UpdateTimeToLive")?;
        }
    }
    Ok(())
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    stack: &Stack,
    id: &str,
    props: &Value,
) -> Result<QueueInfo> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let fifo = props.get("FifoQueue").and_then(Value::as_bool) == Some(true);
    let name = format!("{}-{id}{}", stack.prefix, if fifo { ".fifo" } else { "" });
    let mut req = sqs.create_queue().queue_name(&name);
    for (key, attr) in [
        ("VisibilityTimeout", A::VisibilityTimeout),
        ("MessageRetentionPeriod", A::MessageRetentionPeriod),
        ("DelaySeconds", A::DelaySeconds),
        (
            "ReceiveMessageWaitTimeSeconds",
            A::ReceiveMessageWaitTimeSeconds,
        ),
        ("MaximumMessageSize", A::MaximumMessageSize),
    ] {
        if let Some(v) = props.get(key) {
            req = req.attributes(attr, stack.resolve(v)?);
        }
    }
    if fifo {
        req = req.attributes(A::FifoQueue, "true");
    }
    if let Some(rp) = props.get("RedrivePolicy") {
        let target = stack.resolve(
            rp.get("deadLetterTargetArn")
                .ok_or_else(|| anyhow!("RedrivePolicy without deadLetterTargetArn"))?,
        )?;
        let max = rp
            .get("maxReceiveCount")
            .map(|v| stack.resolve(v))
            .transpose()?
            .unwrap_or_else(|| "5".into());
        let policy = serde_json::json!({"deadLetterTargetArn": target, "maxReceiveCount": max});
        req = req.attributes(A::RedrivePolicy, policy.to_string());
    }
    let url = req
        .send()
        .await
        .context("CreateQueue")?
        .queue_url
        .ok_or_else(|| anyhow!("CreateQueue returned no URL"))?;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(A::QueueArn)
        .send()
        .await
        .context("GetQueueAttributes")?;
    let arn = attrs
        .attributes
        .and_then(|mut a| a.remove(&A::QueueArn))
        .ok_or_else(|| anyhow!("queue {name} has no ARN"))?;
    Ok(QueueInfo { name, url, arn })
}

/// A verified sender in moto (SES refuses to send from unverified addresses, moto too).
async fn create_email_identity(
    ses: &aws_sdk_sesv2::Client,
    stack: &Stack,
    props: &Value,
) -> Result<()> {
    let identity = stack.resolve(
        props
            .get("EmailIdentity")
            .ok_or_else(|| anyhow!("missing EmailIdentity"))?,
    )?;
    match ses
        .create_email_identity()
        .email_identity(&identity)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(anyhow::Error::new(err).context("CreateEmailIdentity")),
    }
}

/// Creates a secret (or finds the one of that name) and returns its ARN.
async fn create_secret(
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

/// Creates a schedule group unless it exists (moto's CreateScheduleGroup would replace an
/// existing group and drop its schedules).
async fn create_schedule_group(scheduler: &aws_sdk_scheduler::Client, name: &str) -> Result<()> {
    match scheduler.get_schedule_group().name(name).send().await {
        Ok(_) => return Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) => {}
        Err(err) => return Err(anyhow::Error::new(err).context("GetScheduleGroup")),
    }
    match scheduler.create_schedule_group().name(name).send().await {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conflict_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(anyhow::Error::new(err).context("CreateScheduleGroup")),
    }
}
