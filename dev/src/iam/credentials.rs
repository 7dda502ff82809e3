//! Each function's local role in moto: created with the template's permissions, assumed, and
//! written as an AWS shared-credentials file (one profile per function binary).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use anyhow::{anyhow, Context, Result};
use aws_config::SdkConfig;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::iam::roles::{function_roles, local_policy};
use crate::provision::LOCAL_ACCOUNT;
use crate::template::{workspace_root, Template};

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
