//! What the targets are built and run with: the release build with the deploy target's
//! rustflags, where its binaries land, and the Python interpreter of the baselines.

use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{anyhow, bail, ensure, Context, Result};
use lookout_dev::template::workspace_root;
use tokio::process::Command;

use crate::coldstart::args::Args;

/// The interpreter behind `python` (pyenv shims are shell scripts: spawning one would add its
/// own start-up to every sample), its version line and the size of boto3's dependencies.
pub(crate) async fn resolve_python(python: &str) -> Result<(PathBuf, String, u64)> {
    const PROBE: &str = r#"
import os, sys, importlib
total = 0
for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"):
    try:
        mod = importlib.import_module(name)
    except ImportError:
        continue
    path = mod.__file__
    if os.path.basename(path) == "__init__.py":
        for root, _, files in os.walk(os.path.dirname(path)):
            total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    else:
        total += os.path.getsize(path)
import boto3
print(sys.executable)
print(f"Python {sys.version.split()[0]}, boto3 {boto3.__version__}")
print(total)
"#;
    let out = Command::new(python)
        .args(["-c", PROBE])
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {python}"))?;
    ensure!(
        out.status.success(),
        "{python} cannot import boto3: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8(out.stdout).context("python's answer is not UTF-8")?;
    let mut lines = text.lines();
    let (Some(exe), Some(version), Some(size)) = (lines.next(), lines.next(), lines.next()) else {
        bail!("unexpected answer from {python}: {text:?}");
    };
    Ok((PathBuf::from(exe), version.to_owned(), size.trim().parse()?))
}

/// This machine's target triple (Linux, glibc: what the bench runs on).
fn host_triple() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    }
}

/// The deploy target's rustflags (`[target.aarch64-unknown-linux-gnu]` in .cargo/config.toml:
/// non-PIE executables). The bench builds its host binaries with the same flags, so it
/// measures the start-up of what deploys.
fn deploy_rustflags() -> Result<String> {
    let path = workspace_root().join(".cargo/config.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path:?}"))?;
    let config: toml::Value = toml::from_str(&text).with_context(|| format!("parsing {path:?}"))?;
    let flags = config
        .get("target")
        .and_then(|t| t.get("aarch64-unknown-linux-gnu"))
        .and_then(|t| t.get("rustflags"))
        .and_then(toml::Value::as_array)
        .ok_or_else(|| anyhow!("{path:?} has no rustflags for aarch64-unknown-linux-gnu"))?;
    Ok(flags
        .iter()
        .filter_map(toml::Value::as_str)
        .collect::<Vec<_>>()
        .join(" "))
}

/// `cargo build --release --target <host>` of these packages with the deploy target's
/// rustflags.
pub(crate) async fn build(binaries: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    let flags = deploy_rustflags()?;
    let triple = host_triple();
    cmd.current_dir(workspace_root())
        .args(["build", "--release", "--target", triple])
        .env(
            format!(
                "CARGO_TARGET_{}_RUSTFLAGS",
                triple.to_uppercase().replace('-', "_")
            ),
            &flags,
        );
    for b in binaries {
        cmd.args(["-p", b]);
    }
    eprintln!(
        "building: cargo build --release --target {triple} -p {} (rustflags {flags:?}, as the deploy target)",
        binaries.join(" -p ")
    );
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .await
        .with_context(|| format!("running {cargo}"))?;
    ensure!(status.success(), "cargo build --release failed ({status})");
    Ok(())
}

/// Where the release binaries are: `--bin-dir`, else `target/<host triple>/release` (under
/// `CARGO_TARGET_DIR` when set).
pub(crate) fn bin_dir(args: &Args) -> PathBuf {
    args.bin_dir.clone().unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| workspace_root().join("target"), PathBuf::from)
            .join(host_triple())
            .join("release")
    })
}
