#!/usr/bin/env bash
# The lint lane of scripts/test.sh: the deploy as ops run it, up to the first call that needs
# AWS credentials (with its arm64 `sam build`). CPU-bound and independent of the tests, so
# test.sh runs it beside them at the lowest priority, in its own cargo target directory, so it
# never holds the build lock that watch takes during the tests. (clippy runs in test.sh's test
# build.)
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
say() { printf '\033[1;34m==>\033[0m [%4ss] %s\n' "$(( $(date +%s) - start ))" "$*" >&2; }

if [ "${LOOKOUT_SKIP_ARM64:-}" = 1 ]; then
  say "sam validate --lint (aws-sam-cli, in its own virtualenv)"
  scripts/sam_validate.sh
  exit 0
fi
# The deploy as ops run it (docs/deploy.md), up to the first call that needs AWS credentials:
# the deploy tools, a config from outside the repository checked against template.yaml, the
# template checks, and `sam build` of every deploy binary (aarch64, release): what proves the
# functions build for Lambda. opt-level 0 here only (CI time: this proves they
# compile and link); `make deploy` and `make build-arm64` keep the release profile (one codegen
# unit a crate, opt-level "s"), and bench/build.sh measures that build.
say "scripts/deploy.sh --dry-run: config, sam validate, sam build of every deploy binary (opt-level 0 for CI time; target/lint-arm64)"
deploy_dir=$(mktemp -d)
python3 -c 'import secrets; print(secrets.token_hex(32))' >"$deploy_dir/admin-token"
printf 'stack: lookout-ci\nregion: eu-west-1\nadmin_token_file: %s\nparameters:\n  AdminEmail: ops@example.com\n  SenderEmail: lookout@example.com\n' \
  "$deploy_dir/admin-token" >"$deploy_dir/deploy.yaml"
# Absolute: `sam build` runs cargo in each deploy package's directory (template.yaml's CodeUri),
# where a relative target directory would be one per package, each compiling everything.
CARGO_TARGET_DIR=$PWD/target/lint-arm64 CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
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
say "lint lane passed"
