//! The command line of `coldstart`: its flags, their defaults and the usage text.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};

/// The usage text (`--help`, and under a flag error).
pub const USAGE: &str = "\
usage: coldstart [--runs N] [--warmup N] [--warm N] [--metered N] [--functions a,b]
                 [--json FILE] [--bin-dir DIR] [--no-build] [--no-baseline]
                 [--python PATH] [--timeout SECS]

  --runs N          measured cold starts per target (default 10)
  --warmup N        unrecorded cold starts per target first (default 1)
  --warm N          warm invocations per target for duration and CPU (default 200)
  --metered N       warm invocations per target through the request meter (default 5)
  --functions a,b   only these functions (binary names; default: every function)
  --json FILE       also write every sample and summary as JSON
  --bin-dir DIR     where the release binaries are (default target/<host triple>/release)
  --no-build        do not run `cargo build --release -p <function>...` first
  --no-baseline     skip the Python baselines
  --python PATH     interpreter for the baselines (default $PYTHON or python3; shims are resolved)
  --timeout SECS    longest one invocation may take (default 30)";

/// The flags of one run.
#[derive(Debug)]
pub struct Args {
    /// Measured cold starts per target.
    pub runs: usize,
    /// Unrecorded cold starts per target first.
    pub warmup: usize,
    /// Warm invocations per target for duration and CPU.
    pub warm: usize,
    /// Warm invocations per target through the request meter.
    pub metered: usize,
    /// Only these functions (binary names); `None`: every function.
    pub functions: Option<Vec<String>>,
    /// Where to also write every sample and summary as JSON.
    pub json: Option<PathBuf>,
    /// Where the release binaries are (default `target/<host triple>/release`).
    pub bin_dir: Option<PathBuf>,
    /// Run `cargo build --release -p <function>...` first.
    pub build: bool,
    /// Measure the Python baselines.
    pub baseline: bool,
    /// Interpreter for the baselines.
    pub python: Option<String>,
    /// Longest one invocation may take.
    pub timeout: Duration,
}

/// The flags in `args` (without the program name); `Ok(None)` for `--help`.
pub fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>> {
    let mut out = Args {
        runs: 10,
        warmup: 1,
        warm: 200,
        metered: 5,
        functions: None,
        json: None,
        bin_dir: None,
        build: true,
        baseline: true,
        python: None,
        timeout: Duration::from_secs(30),
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| anyhow!("{flag} needs a value\n\n{USAGE}"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--runs" => out.runs = value()?.parse().context("--runs")?,
            "--warmup" => out.warmup = value()?.parse().context("--warmup")?,
            "--warm" => out.warm = value()?.parse().context("--warm")?,
            "--metered" => out.metered = value()?.parse().context("--metered")?,
            "--functions" => {
                let list: Vec<String> = value()?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                ensure!(!list.is_empty(), "--functions needs at least one name");
                out.functions = Some(list);
            }
            "--json" => out.json = Some(value()?.into()),
            "--bin-dir" => out.bin_dir = Some(value()?.into()),
            "--no-build" => out.build = false,
            "--no-baseline" => out.baseline = false,
            "--python" => out.python = Some(value()?),
            "--timeout" => {
                out.timeout = Duration::from_secs(value()?.parse().context("--timeout")?)
            }
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    ensure!(out.runs > 0, "--runs must be at least 1");
    ensure!(out.warm > 0, "--warm must be at least 1");
    ensure!(out.metered > 0, "--metered must be at least 1");
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use anyhow::Result;

    use super::{parse_args, Args};

    fn args(list: &[&str]) -> Result<Option<Args>> {
        parse_args(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags_parse_with_defaults() {
        let a = args(&[]).unwrap().unwrap();
        assert_eq!(
            (a.runs, a.warmup, a.warm, a.metered, a.build),
            (10, 1, 200, 5, true)
        );
        assert!(a.functions.is_none());
        let a = args(&[
            "--runs",
            "5",
            "--warm=50",
            "--functions=start-session, get-session",
            "--no-build",
            "--no-baseline",
        ])
        .unwrap()
        .unwrap();
        assert_eq!((a.runs, a.warm), (5, 50));
        assert!(!a.build && !a.baseline);
        assert_eq!(
            a.functions.unwrap(),
            vec!["start-session".to_owned(), "get-session".to_owned()]
        );
        assert!(args(&["--help"]).unwrap().is_none());
        assert!(args(&["--runs"]).is_err());
        assert!(args(&["--runs", "0"]).is_err());
        assert!(args(&["--warm", "0"]).is_err());
        assert!(args(&["--runs", "x"]).is_err());
        assert!(args(&["--functions", ","]).is_err());
        assert!(args(&["--bogus"]).is_err());
    }
}
