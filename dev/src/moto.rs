//! moto_server for tests and local runs.
//!
//! [`endpoint`] returns `LOOKOUT_MOTO_URL` when the caller (the test script, the start script)
//! already runs one; otherwise it starts `scripts/moto_server.py` once per process. That server
//! exits when this process does (it watches its standard input), so nothing is left behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use anyhow::{anyhow, Context, Result};
use aws_config::{Region, SdkConfig};

use crate::iam;
use crate::template::workspace_root;

/// Region every local resource lives in.
pub const REGION: &str = "us-east-1";

struct Spawned {
    url: String,
    _child: Child,
    _stdin: ChildStdin,
}

static SPAWNED: OnceLock<Mutex<Option<Spawned>>> = OnceLock::new();

/// URL of a running moto_server (started on first use when none is given).
pub fn endpoint() -> Result<String> {
    if let Ok(url) = std::env::var("LOOKOUT_MOTO_URL") {
        if !url.trim().is_empty() {
            return Ok(url);
        }
    }
    let cell = SPAWNED.get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().map_err(|_| anyhow!("moto lock poisoned"))?;
    if let Some(s) = guard.as_ref() {
        return Ok(s.url.clone());
    }
    let spawned = spawn()?;
    let url = spawned.url.clone();
    *guard = Some(spawned);
    Ok(url)
}

fn spawn() -> Result<Spawned> {
    let script = workspace_root().join("scripts/moto_server.py");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(python)
        .arg(&script)
        .arg("--exit-on-eof")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", script.display()))?;
    let stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("reading moto's URL")?;
    let url = line
        .trim()
        .strip_prefix("MOTO_URL=")
        .ok_or_else(|| anyhow!("moto_server.py said {line:?} (is moto[server] installed?)"))?
        .to_owned();
    Ok(Spawned {
        url,
        _child: child,
        _stdin: stdin,
    })
}

/// SDK configuration pointing every client at `endpoint` as the local provisioning user (may
/// do anything: provisioning, tests' own reads, the event pump standing in for AWS services).
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    let creds = aws_sdk_dynamodb::config::Credentials::new(
        iam::ADMIN_KEY_ID,
        iam::ADMIN_SECRET,
        None,
        None,
        "lookout-local-admin",
    );
    lookout_core::aws::loader()
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .load()
        .await
}

/// SDK configuration for one function: `endpoint`, signed with its role's credentials
/// ([`iam::function_credentials`]), with the production clients' time limits.
pub async fn function_sdk_config(endpoint: &str, creds: &iam::RoleCredentials) -> SdkConfig {
    let creds = aws_sdk_dynamodb::config::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.clone(),
        Some(creds.session_token.clone()),
        None,
        "lookout-local-role",
    );
    lookout_core::aws::loader()
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .timeout_config(lookout_core::aws::timeouts())
        .load()
        .await
}

/// The role credentials of function `binary` in the moto at `endpoint` (roles made once per
/// process, from template.yaml as SAM expands it).
pub async fn function_config(endpoint: &str, binary: &str) -> Result<SdkConfig> {
    let admin = sdk_config(endpoint).await;
    let tpl = crate::template::Template::workspace_default()?;
    let all = iam::function_credentials(&admin, &tpl).await?;
    let creds = all
        .get(binary)
        .ok_or_else(|| anyhow!("no function {binary} in template.yaml"))?;
    Ok(function_sdk_config(endpoint, creds).await)
}

/// The time limits of in-process tests' clients: a loaded 2-core CI machine (a browser, the
/// faults sweep and several stacks on one moto) keeps moto busy for seconds at times, longer
/// than the production limits ([`lookout_core::aws::timeouts`]: 3 s an attempt, 7 s a call),
/// which then make a test's write a 503 or a counted retry. The production limits are what
/// the faults tests check (a hung or stopped endpoint answered within them); the other tests
/// check behaviour, with these.
pub fn unhurried_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .operation_timeout(std::time::Duration::from_secs(60))
        .build()
}

/// [`function_config`] with [`unhurried_timeouts`].
pub async fn function_config_unhurried(endpoint: &str, binary: &str) -> Result<SdkConfig> {
    Ok(function_config(endpoint, binary)
        .await?
        .into_builder()
        .timeout_config(unhurried_timeouts())
        .build())
}

/// Environment variables that make a process use `endpoint` as the provisioning user (tools).
pub fn client_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", iam::ADMIN_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", iam::ADMIN_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Environment variables for functions under `cargo lambda watch` (one environment for all):
/// `endpoint`, and each function signs with the profile named after it in `credentials_file`
/// ([`iam::credentials_file`]): its own role. No keys in the environment, which would win.
pub fn function_env(endpoint: &str, credentials_file: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT_URL".to_owned(), endpoint.to_owned()),
        ("AWS_REGION".to_owned(), REGION.to_owned()),
        ("AWS_DEFAULT_REGION".to_owned(), REGION.to_owned()),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            credentials_file.display().to_string(),
        ),
        // No config file: nothing but the credentials file is read.
        ("AWS_CONFIG_FILE".to_owned(), "/dev/null".to_owned()),
        (iam::ROLE_PROFILES_ENV.to_owned(), "1".to_owned()),
    ]
}

/// A moto_server of the caller's own (not the process-wide one [`endpoint`] shares), for tests
/// that stop and resume it. It exits when this value is dropped.
#[derive(Debug)]
pub struct OwnMoto {
    pub url: String,
    child: Child,
    _stdin: ChildStdin,
}

impl OwnMoto {
    /// Starts one on a free port.
    pub fn start() -> Result<Self> {
        let s = spawn()?;
        Ok(Self {
            url: s.url,
            child: s._child,
            _stdin: s._stdin,
        })
    }

    /// Its process id (to stop it with SIGSTOP and resume it with SIGCONT).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for OwnMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
