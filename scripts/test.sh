#!/usr/bin/env bash
# Runs every check and test of Lookout from a clean clone: installs what is missing, then
# formatting, clippy, cfn-lint, `sam validate --lint`, the arm64 build and the deploy script's dry
# run (`sam build` included), and the whole test suite (unit tests,
# handler tests against moto, end-to-end tests through `cargo lambda watch`), the operator's
# smoke test against a local stack, and the IAM check. The tests start moto_server and watch
# themselves and stop them when they finish.
#
# moto enforces IAM: every function signs as its own role, made from template.yaml as SAM
# expands it. moto checks actions only, so it also records every request a role makes
# (LOOKOUT_IAM_AUDIT_DIR); `devstack iam-check` then checks each against the actions and
# resources of the template's policies, and that every permission was needed by some request.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
# Each step says when it began (seconds since the start), so a slow step shows in CI's log.
say() { printf '\033[1;34m==>\033[0m [%4ss] %s\n' "$(( $(date +%s) - start ))" "$*" >&2; }

scripts/bootstrap.sh

say "cargo fmt --check"
cargo fmt --all -- --check

say "cfn-lint template.yaml"
cfn-lint template.yaml

# The lint lane (the deploy's dry run with its arm64 `sam build`) is CPU-bound and needs
# nothing the tests make: it runs beside the test build and the tests, at the lowest priority
# (it takes the CPU they leave idle), with its own cargo target directory, so it never holds
# the build lock watch takes. Its log and status join the test lanes'.
lanes=target/test-lanes
rm -rf "$lanes" && mkdir -p "$lanes"
lane() {
  local name=$1
  shift
  if "$@" >"$lanes/$name.log" 2>&1; then
    echo "passed" >"$lanes/$name.status"
  else
    echo "failed" >"$lanes/$name.status"
  fi
}
# The deploy tools' virtualenv first, at normal priority (a deploy test needs it too, and waits
# for it: scripts/deploy_tools.sh installs one at a time), then the lane's CPU-bound rest.
lane d bash -c '. scripts/deploy_tools.sh && ensure_deploy_tools && exec nice -n 19 scripts/lint_lane.sh' &

export LOOKOUT_IAM_AUDIT_DIR="$PWD/target/iam-audit"
rm -rf "$LOOKOUT_IAM_AUDIT_DIR"
mkdir -p "$LOOKOUT_IAM_AUDIT_DIR"

# clippy -D warnings runs inside the test build: clippy-driver compiles every workspace crate as
# rustc would and lints it on the way (what `cargo clippy` itself does, with `cargo check`), so
# the dependencies compile once for both. Every target `clippy --all-targets` checks is built
# here: libs, their tests, integration tests, the binaries watch runs and the deploy binaries
# (the bootstraps, below). Exported, so watch's builds during the tests see the same settings
# and find everything fresh. CARGO_INCREMENTAL=0 in CI: a fresh build compiles faster without it.
export RUSTC_WORKSPACE_WRAPPER=clippy-driver
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
say "cargo test --workspace --no-run (every test binary, linted by clippy -D warnings), and the binaries watch, the smoke stack and the deploy run"
cargo test --workspace --locked --no-run --message-format=json-render-diagnostics >"$lanes/build.json"
# What watch and scripts/start.sh run (scripts/local_bins.sh), with the same features as the
# tests (no dev-dependencies anywhere), so nothing compiles twice and no test waits for a build.
mapfile -t bins < <(scripts/local_bins.sh)
for dir in functions/*/bootstrap/; do bins+=(--bin "$(basename "$(dirname "$dir")")-bootstrap"); done
cargo build --locked "${bins[@]}"

# The test binaries wait on moto, watch and the pump far more than they compute, so they run in
# two lanes at once, beside the smoke test (a third lane with its own local stack). Each test
# binary starts its own moto and watch on free ports. The lanes run the built executables
# directly, each in its package's directory as cargo would, so no lane takes cargo's build lock.
python3 - "$lanes" <<'PY'
import json, os, sys
lanes = sys.argv[1]
lane_a = {"faults", "console", "tenancy", "messenger", "logs"}
out = {"a": [], "b": []}
for line in open(os.path.join(lanes, "build.json")):
    msg = json.loads(line)
    if msg.get("reason") != "compiler-artifact" or not msg.get("executable"):
        continue
    if not msg["profile"]["test"]:
        continue
    target = msg["target"]
    pkg_dir = os.path.dirname(msg["manifest_path"])
    lane = "a" if target["kind"] == ["test"] and target["name"] in lane_a else "b"
    out[lane].append(f"{pkg_dir}\t{msg['executable']}\t{target['name']}")
for lane, rows in out.items():
    with open(os.path.join(lanes, f"{lane}.list"), "w") as f:
        f.write("\n".join(sorted(rows, key=lambda r: r.split("\t")[2])) + "\n")
PY
run_list() {
  local list=$1 dir exe name
  while IFS=$'\t' read -r dir exe name; do
    [ -n "$exe" ] || continue
    echo "     Running $name ($exe)"
    (cd "$dir" && "$exe") || return 1
  done <"$list"
}
lane_b() {
  run_list "$lanes/b.list" && cargo test --workspace --locked --doc
}
say "tests in lanes: A ($(cut -f3 "$lanes/a.list" | xargs)), B (the other $(wc -l <"$lanes/b.list") test binaries, then doc tests), C (smoke test against a local stack)"
lane a run_list "$lanes/a.list" &
lane b lane_b &
# The smoke lane (its stack and Schemathesis: CPU-bound fuzzing for a minute and a half) at a
# lower priority: the two lanes of test binaries are the long pole, and it has time to spare.
lane c nice -n 10 scripts/smoke_local.sh &
wait
failed=0
for name in a b c d; do
  status=$(cat "$lanes/$name.status" 2>/dev/null || echo "failed")
  say "lane $name: $status"
  if [ "$status" = passed ]; then
    grep -E "^test result|Running|passed|checks" "$lanes/$name.log" | grep -v " 0 passed" | tail -40 >&2 || true
  else
    cat "$lanes/$name.log" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || { echo "tests failed (logs in $lanes)" >&2; exit 1; }

say "IAM: every AWS request of the run against template.yaml's policies"
target/debug/devstack iam-check "$LOOKOUT_IAM_AUDIT_DIR"

say "all checks passed in $(( $(date +%s) - start ))s"
