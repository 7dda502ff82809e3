//! `devstack provision`: creates template.yaml's tables and queues in moto under a prefix and
//! writes what the local processes need:
//!
//! ```text
//! devstack provision --prefix dev [--param Name=Value]... \
//!     [--stack-out .local/stack.json] [--env-out .local/watch.env]
//! ```
//!
//! The stack file (physical names) feeds the event pump; the env file is the single
//! environment `cargo lambda watch --env-file` gives every function. moto is the one in
//! `AWS_ENDPOINT_URL` / `LOOKOUT_MOTO_URL`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use lookout_dev::{moto, provision, template::Template};

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("provision") => run_provision(&args[1..]).await,
        _ => bail!(
            "usage: devstack provision --prefix P [--param K=V]... [--stack-out F] [--env-out F]"
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
    let mut env = stack.merged_env(&tpl)?;
    env.extend(moto::client_env(&endpoint));
    for path in [&stack_out, &env_out] {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    std::fs::write(&stack_out, serde_json::to_string_pretty(&stack)?)
        .with_context(|| format!("writing {}", stack_out.display()))?;
    let env_text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&env_out, env_text).with_context(|| format!("writing {}", env_out.display()))?;
    eprintln!(
        "provisioned {} tables, {} queues under prefix {prefix:?} at {endpoint}",
        stack.tables.len(),
        stack.queues.len()
    );
    Ok(())
}
