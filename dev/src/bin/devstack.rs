//! `devstack provision`: creates template.yaml's tables and queues in moto under a prefix and
//! writes what the local processes need:
//!
//! ```text
//! devstack provision --prefix dev [--param Name=Value]... \
//!     [--stack-out .local/stack.json] [--env-out .local/watch.env]
//! ```
//!
//! The stack file (physical names) feeds the event pump; the env file is the single
//! environment `cargo lambda watch --env-file` gives every function; `credentials` beside the
//! env file holds one profile per function with its own IAM role's credentials (and the
//! provisioning user as `[default]`). moto is the one in `AWS_ENDPOINT_URL` /
//! `LOOKOUT_MOTO_URL`.
//!
//! `devstack iam-check [DIR]`: checks every AWS request moto recorded under DIR (default
//! `$LOOKOUT_IAM_AUDIT_DIR`) against the actions and resources of the functions' policies in
//! template.yaml (see `lookout_dev::iam`); fails on a request the policy would refuse on AWS
//! and on a permission no request needed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use lookout_dev::{moto, provision, template::Template};

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("provision") => run_provision(&args[1..]).await,
        Some("iam-check") => run_iam_check(&args[1..]),
        _ => bail!(
            "usage: devstack provision --prefix P [--param K=V]... [--secret Id=V]... \
             [--stack-out F] [--env-out F]\n       devstack iam-check [DIR]"
        ),
    }
}

async fn run_provision(args: &[String]) -> Result<()> {
    let mut prefix = None;
    let mut params = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    let mut stack_out = PathBuf::from(".local/stack.json");
    let mut env_out = PathBuf::from(".local/watch.env");
    let mut template = lookout_dev::template::workspace_root().join("template.yaml");
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--prefix" => prefix = Some(value()?),
            "--param" => {
                let kv = value()?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--param wants Name=Value"))?;
                params.insert(k.to_owned(), v.to_owned());
            }
            "--secret" => {
                let kv = value()?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--secret wants LogicalId=Value"))?;
                secrets.insert(k.to_owned(), v.to_owned());
            }
            "--stack-out" => stack_out = value()?.into(),
            "--env-out" => env_out = value()?.into(),
            "--template" => template = value()?.into(),
            other => bail!("unknown flag {other}"),
        }
    }
    let prefix = prefix.ok_or_else(|| anyhow!("--prefix is required"))?;
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .map_or_else(moto::endpoint, Ok)?;
    let tpl = Template::load(&template)?;
    let sdk = moto::sdk_config(&endpoint).await;
    let stack = provision::provision(&tpl, &sdk, &prefix, &params).await?;
    for (id, value) in &secrets {
        provision::put_secret(&sdk, &stack, id, value).await?;
    }
    for path in [&stack_out, &env_out] {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let creds = lookout_dev::iam::function_credentials(&sdk, &tpl).await?;
    let creds_path = std::path::absolute(&env_out)?.with_file_name("credentials");
    std::fs::write(&creds_path, lookout_dev::iam::credentials_file(&creds))
        .with_context(|| format!("writing {}", creds_path.display()))?;
    let mut env = stack.merged_env(&tpl)?;
    env.extend(moto::function_env(&endpoint, &creds_path));
    std::fs::write(&stack_out, serde_json::to_string_pretty(&stack)?)
        .with_context(|| format!("writing {}", stack_out.display()))?;
    let env_text: String = env
        .iter()
        .map(|(k, v)| lookout_dev::env_line(k, v))
        .collect();
    std::fs::write(&env_out, env_text).with_context(|| format!("writing {}", env_out.display()))?;
    eprintln!(
        "provisioned {} tables, {} queues, {} function roles under prefix {prefix:?} at {endpoint}",
        stack.tables.len(),
        stack.queues.len(),
        creds.len()
    );
    Ok(())
}

fn run_iam_check(args: &[String]) -> Result<()> {
    let dir = match args.first() {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(
            std::env::var("LOOKOUT_IAM_AUDIT_DIR")
                .map_err(|_| anyhow!("give the audit directory or set LOOKOUT_IAM_AUDIT_DIR"))?,
        ),
    };
    let path = lookout_dev::template::workspace_root().join("template.yaml");
    let tpl = Template::load(&path)?;
    let records = lookout_dev::iam::read_records(&dir)?;
    if records.is_empty() {
        bail!("no AWS requests recorded under {}", dir.display());
    }
    let report = lookout_dev::iam::check(&tpl, &path, &records)?;
    for (function, n) in &report.checked {
        eprintln!("  {function:<28} {n:>6} requests checked");
    }
    for line in &report.refused {
        eprintln!("REFUSED on AWS: {line}");
    }
    for line in &report.unused {
        eprintln!("NOT NEEDED: {line}");
    }
    if !report.refused.is_empty() || !report.unused.is_empty() {
        bail!(
            "{} requests the template's policies would refuse, {} permissions no request needed",
            report.refused.len(),
            report.unused.len()
        );
    }
    eprintln!(
        "iam-check: {} requests of {} functions allowed by template.yaml; every permission needed",
        records.len(),
        report.checked.len()
    );
    Ok(())
}
