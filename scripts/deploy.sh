#!/usr/bin/env bash
# Deploys Lookout to AWS, first deploy and upgrades alike, without a question on the way
# (docs/deploy.md is the runbook). `make deploy` runs it.
#
#   scripts/deploy.sh [--config FILE] [--dry-run] [--review] [--allow-dirty]
#
#   --config FILE   the deploy config, kept outside the repository (YAML; docs/deploy.md step 2);
#                   default $LOOKOUT_DEPLOY_CONFIG, else ~/.config/lookout/deploy.yaml
#   --dry-run       everything up to the first call that needs AWS credentials (tools, config,
#                   template checks, `sam build`), then print the deploy command and stop
#   --review        show CloudFormation's change set and ask once before applying it
#   --allow-dirty   deploy a working tree with uncommitted changes (refused otherwise: what is
#                   deployed should be a commit)
#
# Steps: deploy tools (scripts/deploy_tools.sh: SAM CLI and cargo-lambda with zig, pinned, in
# .local/venv-sam; the aarch64 Rust target) -> the config against template.yaml's parameters
# (scripts/deploy_config.py: the admin token's hash computed from its file, an empty token
# refused) -> `sam validate --lint` -> `sam build` of this commit -> [credentials, region, the
# account's Lambda concurrency quota against the stack's reservations] -> `sam deploy`,
# non-interactive -> the stack's outputs.
# Exit status: 0 deployed (or dry run passed), 1 a step failed, 2 usage or config error.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { echo "deploy: $*" >&2; exit "${2:-1}"; }
usage() { sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

config=${LOOKOUT_DEPLOY_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/lookout/deploy.yaml}
dry_run=0 review=0 allow_dirty=0
while [ $# -gt 0 ]; do
  case "$1" in
    --config) [ $# -ge 2 ] || usage; config=$2; shift 2 ;;
    --config=*) config=${1#--config=}; shift ;;
    --dry-run) dry_run=1; shift ;;
    --review) review=1; shift ;;
    --allow-dirty) allow_dirty=1; shift ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done

# ------------------------------------------------------------------ 1. tools
say "deploy tools"
command -v cargo >/dev/null || die "cargo is required: install Rust with rustup (https://rustup.rs)"
command -v rustup >/dev/null || die "rustup is required (the aarch64 target is added with it)"
if ! rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$'; then
  say "rustup target add aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi
# shellcheck source=scripts/deploy_tools.sh
. scripts/deploy_tools.sh
ensure_deploy_tools
PATH="$PWD/$SAM_VENV/bin:$PATH"
export SAM_CLI_TELEMETRY=0
sam=$SAM_VENV/bin/sam
echo "    $("$sam" --version), $(cargo lambda --version), $(cargo --version)" >&2

# ------------------------------------------------------------------ 2. config
say "config $config"
[ -f "$config" ] || die "no deploy config at $config: write one (docs/deploy.md, step 2) or pass --config FILE" 2
work=$(mktemp -d "${TMPDIR:-/tmp}/lookout-deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT
params=$work/parameters.yaml   # JSON, which is YAML: SAM reads only .toml/.yaml/.yml
settings=$("$SAM_VENV/bin/python" scripts/deploy_config.py check "$config" --params-out "$params") || exit 2
eval "$settings"   # STACK, REGION, PARAMETERS_SET (shell-quoted by deploy_config.py)
echo "    stack $STACK in $REGION; parameters: $PARAMETERS_SET" >&2

# ------------------------------------------------------------------ 3. what is deployed
commit=unknown
if git rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git rev-parse --short=12 HEAD)
  if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    [ "$allow_dirty" = 1 ] || die "the working tree has uncommitted changes; commit them (what is deployed should be a commit) or pass --allow-dirty" 2
    commit="$commit+dirty"
  fi
fi
say "deploying commit $commit"

# ------------------------------------------------------------------ 4. template checks, build
scripts/sam_validate.sh
say "sam build (every function, arm64, release; one cargo build per domain)"
"$sam" build --template template.yaml

deploy=("$sam" deploy --stack-name "$STACK" --region "$REGION" --capabilities CAPABILITY_IAM
  --resolve-s3 --s3-prefix "$STACK" --parameter-overrides "file://$params"
  --no-fail-on-empty-changeset --tags "lookout:commit=$commit")
if [ "$review" = 1 ]; then deploy+=(--confirm-changeset); else deploy+=(--no-confirm-changeset); fi

if [ "$dry_run" = 1 ]; then
  say "dry run: stopping before the first call that needs AWS credentials. The deploy would run:"
  printf '    %s\n' "${deploy[*]/$params/<parameters.yaml>}" >&2
  echo "dry run passed" >&2
  exit 0
fi

# ------------------------------------------------------------------ 5. account checks
say "credentials, region $REGION, Lambda concurrency quota"
limit=$("$SAM_VENV/bin/python" - "$REGION" <<'PY'
import sys
import boto3
session = boto3.session.Session(region_name=sys.argv[1])
who = session.client("sts").get_caller_identity()
print(f"    deploying as {who['Arn']} (account {who['Account']})", file=sys.stderr)
print(session.client("lambda").get_account_settings()["AccountLimit"]["ConcurrentExecutions"])
PY
) || die "no usable AWS credentials for $REGION (aws configure sso / export AWS_PROFILE=...; docs/deploy.md step 1)"
"$SAM_VENV/bin/python" scripts/deploy_config.py concurrency "$config" --account-limit "$limit" >&2 \
  || die "not deployed: see above"

# ------------------------------------------------------------------ 6. deploy
say "sam deploy (stack $STACK, no prompts)"
"${deploy[@]}"

say "stack outputs"
"$sam" list stack-outputs --stack-name "$STACK" --region "$REGION" --output table
cat >&2 <<EOF
Deployed commit $commit to stack $STACK ($REGION). Next (docs/deploy.md, step 4 on):
  API=\$(aws cloudformation describe-stacks --stack-name $STACK --region $REGION \\
        --query "Stacks[0].Outputs[?OutputKey=='ApiUrl'].OutputValue" --output text)
then the SES and SNS confirmations, the messenger secret, and the smoke test.
EOF
