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

say "sam validate --lint (aws-sam-cli, in its own virtualenv)"
scripts/sam_validate.sh

say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

if [ "${LOOKOUT_SKIP_ARM64:-}" != 1 ]; then
  # The deploy as ops run it (docs/deploy.md), up to the first call that needs AWS credentials:
  # the deploy tools, a config from outside the repository checked against template.yaml, the
  # template checks, and `sam build` of every deploy binary (aarch64, release): what proves the
  # functions build for Lambda. LTO off and opt-level 0 here only (CI time: this proves they
  # compile and link); `make deploy` and `make build-arm64` keep the release profile (thin LTO,
  # opt-level "s"), and bench/build.sh measures that build.
  say "scripts/deploy.sh --dry-run: config, sam validate, sam build of every deploy binary (LTO off, opt-level 0 for CI time)"
  deploy_dir=$(mktemp -d)
  python3 -c 'import secrets; print(secrets.token_hex(32))' >"$deploy_dir/admin-token"
  printf 'stack: lookout-ci\nregion: eu-west-1\nadmin_token_file: %s\nparameters:\n  AdminEmail: ops@example.com\n  SenderEmail: lookout@example.com\n' \
    "$deploy_dir/admin-token" >"$deploy_dir/deploy.yaml"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
    scripts/deploy.sh --dry-run --allow-dirty --config "$deploy_dir/deploy.yaml"
  rm -rf "$deploy_dir"
  # .cargo/config.toml links them non-PIE (no relocations for the loader at a cold start):
  # check the ELF type of what `sam build` made, one binary per build (functions of a domain
  # share theirs).
  python3 - .aws-sam/build/*/bootstrap <<'PY'
import os, struct, sys
seen = {}
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        head = f.read(20)
    kind = struct.unpack_from("<H", head, 16)[0]
    if head[:4] != b"\x7fELF" or kind != 2:
        sys.exit(f"{path}: not a non-PIE executable (e_type {kind}); see .cargo/config.toml")
    seen[os.path.getsize(path)] = path
print(f"{len(sys.argv) - 1} built bootstraps ({len(seen)} distinct binaries) are non-PIE executables")
PY
fi

export LOOKOUT_IAM_AUDIT_DIR="$PWD/target/iam-audit"
rm -rf "$LOOKOUT_IAM_AUDIT_DIR"
mkdir -p "$LOOKOUT_IAM_AUDIT_DIR"

say "cargo test --workspace --no-run (every test binary), and the binaries watch and the smoke stack run"
lanes=target/test-lanes
rm -rf "$lanes" && mkdir -p "$lanes"
cargo test --workspace --locked --no-run --message-format=json-render-diagnostics >"$lanes/build.json"
# What watch and scripts/start.sh run (scripts/local_bins.sh), with the same features as the
# tests (no dev-dependencies anywhere), so nothing compiles twice and no test waits for a build.
mapfile -t bins < <(scripts/local_bins.sh)
cargo build --locked "${bins[@]}"

# The test binaries wait on moto, watch and the pump far more than they compute, so they run in
# two lanes at once, beside the smoke test (a third lane with its own local stack). Each test
# binary starts its own moto and watch on free ports. The lanes run the built executables
# directly, each in its package's directory as cargo would, so no lane takes cargo's build lock.
python3 - "$lanes" <<'PY'
import json, os, sys
lanes = sys.argv[1]
lane_a = {"faults", "console", "tenancy"}
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
lane() {
  local name=$1
  shift
  if "$@" >"$lanes/$name.log" 2>&1; then
    echo "passed" >"$lanes/$name.status"
  else
    echo "failed" >"$lanes/$name.status"
  fi
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
for name in a b c; do
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
