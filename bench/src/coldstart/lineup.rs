//! The targets of a run, made from the template's functions and the provisioned stack: the
//! chosen functions' release binaries, one Python/boto3 baseline per family, and the floor.

use std::path::Path;

use anyhow::{anyhow, ensure, Context, Result};
use lookout_dev::provision::Stack;
use lookout_dev::template::Function;

use crate::coldstart::target::{lambda_env, Kind, Target, BASELINE, FLOOR_BINARY};
use crate::cost::Sizing;
use crate::scenarios::{Call, Expect, Family, Fixture, Request};

/// What every target is made from.
pub(crate) struct Lineup<'a> {
    /// The template's functions.
    pub(crate) functions: &'a [Function],
    /// The provisioned copy of the template the targets' environments name.
    pub(crate) stack: &'a Stack,
    /// Makes each target's request.
    pub(crate) fx: &'a Fixture,
    /// The template's MemorySize per binary.
    pub(crate) sizing: &'a Sizing,
}

impl Lineup<'_> {
    fn memory(&self, binary: &str) -> u32 {
        self.sizing.memory_mb.get(binary).copied().unwrap_or(128)
    }

    /// One Python/boto3 baseline per family whose representative function is chosen (the
    /// console has none), run by `python_exe`; `deps_bytes` is the size of boto3's
    /// dependencies on disk.
    pub(crate) async fn python_targets(
        &self,
        chosen: &[String],
        python_exe: &Path,
        deps_bytes: u64,
    ) -> Result<Vec<Target>> {
        let mut targets = Vec::new();
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("baseline")
            .join(BASELINE);
        ensure!(script.is_file(), "{} is missing", script.display());
        let task_root = script.parent().unwrap_or(Path::new("."));
        for family in Family::ALL {
            let binary = family.representative();
            if family == Family::Console || !chosen.iter().any(|c| c == binary) {
                continue;
            }
            let f = function_by_binary(self.functions, binary)?;
            let name = format!("python-{}", family.name());
            let mut env = lambda_env(&name, Kind::Python, self.memory(binary), task_root, "");
            env.extend(self.stack.function_env(f)?);
            env.insert("BASELINE_OP".into(), binary.to_owned());
            let request = self.fx.call(f).await?.label();
            targets.push(Target {
                name,
                kind: Kind::Python,
                family,
                function: f.clone(),
                program: python_exe.to_path_buf(),
                args: vec![script.clone().into_os_string()],
                env,
                size_bytes: Some(deps_bytes),
                memory_mb: self.memory(binary),
                request,
                cold: Vec::new(),
                floor_inits: Vec::new(),
                warm: None,
                aws: None,
                round_trips: None,
                failure: None,
            });
        }
        Ok(targets)
    }

    /// The chosen functions as they deploy: their domain's bootstrap binary in `bin_dir`,
    /// told its handler by `_HANDLER`.
    pub(crate) async fn rust_targets(
        &self,
        chosen: &[String],
        bin_dir: &Path,
    ) -> Result<Vec<Target>> {
        let mut targets = Vec::new();
        for name in chosen {
            let f = function_by_binary(self.functions, name)?;
            let family = Family::of(name).ok_or_else(|| anyhow!("no family for {name}"))?;
            // What deploys: the domain's bootstrap binary, told its handler by `_HANDLER`.
            let program = bin_dir.join(&f.bootstrap);
            let size = std::fs::metadata(&program)
                .with_context(|| format!("{} (build it or pass --bin-dir)", program.display()))?
                .len();
            let mut env = lambda_env(name, Kind::Rust, self.memory(name), bin_dir, name);
            env.extend(self.stack.function_env(f)?);
            let request = self.fx.call(f).await?.label();
            targets.push(Target {
                name: name.clone(),
                kind: Kind::Rust,
                family,
                function: f.clone(),
                program,
                args: Vec::new(),
                env,
                size_bytes: Some(size),
                memory_mb: self.memory(name),
                request,
                cold: Vec::new(),
                floor_inits: Vec::new(),
                warm: None,
                aws: None,
                round_trips: None,
                failure: None,
            });
        }
        Ok(targets)
    }

    /// The floor, cold-started in the same loop as the functions (not a function: no
    /// scenario, no warm or metered runs, no cost).
    pub(crate) fn floor(&self, bin_dir: &Path) -> Result<Target> {
        let program = bin_dir.join(FLOOR_BINARY);
        let size = std::fs::metadata(&program)
            .with_context(|| format!("{} (build it or pass --bin-dir)", program.display()))?
            .len();
        let f = self
            .functions
            .first()
            .ok_or_else(|| anyhow!("template.yaml has no function"))?;
        Ok(Target {
            name: FLOOR_BINARY.to_owned(),
            kind: Kind::Rust,
            family: Family::Admin,
            function: f.clone(),
            program,
            args: Vec::new(),
            env: lambda_env(FLOOR_BINARY, Kind::Rust, 128, bin_dir, "bootstrap"),
            size_bytes: Some(size),
            memory_mb: 128,
            request: floor_call().label(),
            cold: Vec::new(),
            floor_inits: Vec::new(),
            warm: None,
            aws: None,
            round_trips: None,
            failure: None,
        })
    }
}

/// The floor's request: any API Gateway request, answered 200.
pub(crate) fn floor_call() -> Call {
    Call {
        request: Request::Http {
            method: "GET".into(),
            path: "/".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        },
        expect: Expect::Status(200),
    }
}

/// The function whose binary is `binary`.
fn function_by_binary<'a>(functions: &'a [Function], binary: &str) -> Result<&'a Function> {
    functions
        .iter()
        .find(|f| f.binary == binary)
        .ok_or_else(|| anyhow!("no function with binary {binary} in template.yaml"))
}
