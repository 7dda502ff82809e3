//! The Lambda benchmark: every function of template.yaml, next to Python/boto3 baselines.
//!
//! ```text
//! cargo run --release -p lookout-bench --bin coldstart -- [--runs N] [--warm N] [--functions a,b]
//!                                                        [--json FILE]
//! ```
//!
//! Every function (its release binary) and one Python/boto3 baseline per endpoint family
//! (`bench/baseline/handler.py`, the family's representative operation written as a Python
//! Lambda: `import boto3`, client creation, the same DynamoDB calls) is measured three ways,
//! each process under a local Lambda Runtime API stub ([`crate::runtime_api`]) with
//! the environment Lambda would give it (template's variables resolved against a
//! uuid-prefixed copy of the stack in moto):
//!
//! 1. **Cold start** (`--runs`, interleaved: run 1 of every target, then run 2, … after
//!    unrecorded warm-ups): a fresh process gets one request from
//!    [`crate::scenarios`]; spawn → response at the stub is the cold start, spawn →
//!    first poll the init time, `VmHWM` of `/proc/<pid>/status` the peak RSS, the CPU time of
//!    its threads (`/proc/<pid>/task/*/schedstat`) the CPU it used. The floor (bench/floor)
//!    starts cold right before each target's cold start: each init ratio is of a pair that
//!    ran back to back.
//! 2. **Warm** (`--warm` invocations of one process after its first): event handed out →
//!    response is the warm duration; the process's CPU time over each of them (as above) is
//!    the handler CPU per request.
//! 3. **AWS requests** (`--metered` warm invocations of another process whose
//!    `AWS_ENDPOINT_URL` is a [`crate::ddb_meter`] in front of moto): requests per
//!    operation and DynamoDB capacity units computed from the wire bodies.
//!
//! Every answer is checked (status code, or an SQS batch response without failures); a wrong
//! one fails that target instead of being reported as fast. Then the cost model
//! ([`crate::cost`]) turns the figures into dollars per million operations per family,
//! and idle cost.
//!
//! Before measuring, the command runs `cargo build --release -p <function>…` (skip with
//! `--no-build`) and reads the binaries from `--bin-dir` (default `target/<host triple>/release`:
//! built with `--target <host>` and the deploy target's rustflags from .cargo/config.toml).
//!
//! Local numbers, not Lambda's: no TLS (moto speaks plain HTTP), no sandbox, a full CPU
//! instead of Lambda's share at 128 MB, and moto's own latency is part of every sample. The
//! ratios are the point.
//!
//! The parts, in the order a run uses them:
//!
//! - `args`: the flags ([`Args`], [`parse_args`], [`USAGE`]),
//! - `run`: one run start to end ([`run`]),
//! - `toolchain`: the release build, where its binaries are, the baselines' interpreter,
//! - `target` and `lineup`: what is measured, and the targets made from the template,
//! - `process`: a target's process under its Runtime API stub,
//! - `procfs`: its peak RSS and CPU time from `/proc`,
//! - `measure`: cold starts, warm and metered invocations,
//! - `summary`: medians, percentiles, AWS requests per service, usage for the cost model, and
//!   what the run was,
//! - `report`, `cost_report`, `table`: the text report; `json`: the JSON report.

mod args;
mod cost_report;
mod json;
mod lineup;
mod measure;
mod process;
mod procfs;
mod report;
mod run;
mod summary;
mod table;
mod target;
mod toolchain;

pub use args::{parse_args, Args, USAGE};
pub use procfs::cpu_ms as process_cpu_ms;
pub use run::run;
