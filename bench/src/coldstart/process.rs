//! A target's process under its own Lambda Runtime API stub: spawned with the target's
//! environment, handed invocations, its answers checked, its output kept for errors.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use lookout_dev::moto;
use lookout_dev::provision::LOCAL_ACCOUNT;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::coldstart::target::Target;
use crate::runtime_api::{Invocation, Report, RuntimeApi};
use crate::scenarios::Call;

/// A target's process under its own Runtime API stub.
pub(crate) struct Process {
    child: Child,
    pub(crate) pid: u32,
    api: RuntimeApi,
    /// When it was spawned.
    pub(crate) spawned: Instant,
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<Vec<u8>>,
    arn: String,
    timeout: Duration,
}

/// One invocation's outcome.
pub(crate) struct Answer {
    /// When the event was handed out.
    pub(crate) delivered: Instant,
    /// When the response reached the stub.
    pub(crate) answered: Instant,
}

/// The invocation of `call` for the function `arn`.
fn invocation(arn: &str, call: &Call) -> Invocation {
    Invocation {
        request_id: uuid::Uuid::new_v4().to_string(),
        function_arn: arn.to_owned(),
        event: call.event().to_string().into_bytes(),
        timeout_ms: 30_000,
    }
}

impl Process {
    /// Spawns `t` with `endpoint` as its AWS endpoint; its first poll gets `first`.
    pub(crate) async fn spawn(
        t: &Target,
        endpoint: &str,
        first: &Call,
        timeout: Duration,
    ) -> Result<Self> {
        let arn = format!(
            "arn:aws:lambda:{}:{LOCAL_ACCOUNT}:function:{}",
            moto::REGION,
            t.name
        );
        let api = RuntimeApi::start(invocation(&arn, first)).await?;
        let mut cmd = Command::new(&t.program);
        cmd.args(&t.args)
            .env_clear()
            .envs(&t.env)
            .envs(moto::client_env(endpoint))
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let spawned = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", t.program.display()))?;
        let pid = child.id().ok_or_else(|| anyhow!("no pid"))?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        Ok(Self {
            child,
            pid,
            api,
            spawned,
            stdout,
            stderr,
            arn,
            timeout,
        })
    }

    /// Waits for the answer to the invocation handed out next (queue it first with `push`).
    pub(crate) async fn answer(&mut self, call: &Call) -> Result<Answer> {
        let deadline = tokio::time::sleep(self.timeout);
        tokio::pin!(deadline);
        let mut delivered = None;
        let (answered, body) = loop {
            tokio::select! {
                report = self.api.next_report() => match report? {
                    Report::Polled(at) => delivered = Some(at),
                    Report::Response { at, body } => break (at, body),
                    Report::InvocationError { body, .. } => {
                        bail!("invocation error: {}", String::from_utf8_lossy(&body))
                    }
                    Report::InitError { body, .. } => {
                        bail!("init error: {}", String::from_utf8_lossy(&body))
                    }
                    Report::Protocol(msg) => bail!("Runtime API: {msg}"),
                },
                status = self.child.wait() => {
                    bail!("exited ({}) before answering", status.map_or_else(|e| e.to_string(), |s| s.to_string()));
                }
                () = &mut deadline => bail!("no answer within {:?}", self.timeout),
            }
        };
        let response: Value = serde_json::from_slice(&body)
            .with_context(|| format!("response is not JSON: {}", tail(&body, 500)))?;
        call.check(&response)?;
        Ok(Answer {
            delivered: delivered.unwrap_or(answered),
            answered,
        })
    }

    /// Invokes the (warm) process once more.
    pub(crate) async fn invoke(&mut self, call: &Call) -> Result<Answer> {
        self.api.push(invocation(&self.arn, call))?;
        self.answer(call).await
    }

    /// Kills it; returns what it wrote to stdout and stderr.
    pub(crate) async fn kill(mut self) -> Vec<u8> {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        [
            self.stdout.await.unwrap_or_default(),
            self.stderr.await.unwrap_or_default(),
        ]
        .concat()
    }
}

/// Adds the process's output to an error.
pub(crate) async fn with_output<T>(p: Process, err: anyhow::Error) -> Result<T> {
    let logs = p.kill().await;
    let output = tail(&logs, 2000);
    if output.is_empty() {
        Err(err)
    } else {
        Err(anyhow!("{err:#}; its output: {output}"))
    }
}

/// Everything a pipe gives until it closes, read in the background.
fn drain<R: tokio::io::AsyncRead + Unpin + Send + 'static>(pipe: Option<R>) -> JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf).await;
        }
        buf
    })
}

/// The last `max` characters of `bytes` as text, trimmed.
fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let start = text.char_indices().rev().nth(max).map_or(0, |(i, _)| i);
    text[start..].to_owned()
}
