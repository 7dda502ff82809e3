//! moto_server for tests and local runs.
//!
//! [`endpoint`] returns `LOOKOUT_MOTO_URL` when the caller (the test script, the start script)
//! already runs one; otherwise it starts `scripts/moto_server.py` once per process. That server
//! exits when this process does (it watches its standard input), so nothing is left behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use anyhow::{anyhow, Context, Result};
use aws_config::{BehaviorVersion, Region, SdkConfig};

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

/// SDK configuration pointing every client at `endpoint` with moto's dummy credentials.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    let creds =
        aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "moto");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .load()
        .await
}

/// Environment variables that make a process (a function under watch) use `endpoint`.
pub fn client_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
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
