#!/usr/bin/env bash
# Runs every check and test of Lookout from a clean clone: installs what is missing, then
# formatting, clippy, cfn-lint, `sam validate --lint`, and the whole test suite (unit tests,
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
  # Proves every function builds for Lambda (aarch64, release). LTO is off here only: with
  # thin LTO each of the ~30 binaries spends about a minute in its link on CI's 2 cores;
  # `make build-arm64` (deploys) keeps the profile's LTO.
  say "cargo lambda build --release --arm64 (every function, LTO off for CI time)"
  export CARGO_PROFILE_RELEASE_LTO=false
  packages=()
  for dir in functions/*/bootstrap/; do
    domain=${dir#functions/}
    packages+=(--package "${domain%%/*}-bootstrap")
  done
  cargo lambda build --release --arm64 --locked "${packages[@]}"
  unset CARGO_PROFILE_RELEASE_LTO
fi

export LOOKOUT_IAM_AUDIT_DIR="$PWD/target/iam-audit"
rm -rf "$LOOKOUT_IAM_AUDIT_DIR"
mkdir -p "$LOOKOUT_IAM_AUDIT_DIR"

say "cargo test --workspace"
cargo test --workspace --locked

say "smoke test (scripts/smoke.sh) against a local stack"
scripts/smoke_local.sh

say "IAM: every AWS request of the run against template.yaml's policies"
cargo run --quiet --locked -p lookout-dev --bin devstack -- iam-check "$LOOKOUT_IAM_AUDIT_DIR"

say "all checks passed in $(( $(date +%s) - start ))s"
