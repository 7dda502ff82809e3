#!/usr/bin/env bash
# Runs `sam validate --lint` (AWS SAM CLI) on template.yaml, or on the template given with
# --template PATH. The SAM CLI comes from requirements-sam.txt, in its own virtualenv
# (.local/venv-sam, scripts/deploy_tools.sh).
# Needs no AWS account: --lint runs cfn-lint locally; the credentials set below are dummies.
# Exits non-zero when the template does not validate.
set -euo pipefail

usage() { echo "usage: $0 [--template PATH]" >&2; exit 2; }

template=
while [ $# -gt 0 ]; do
  case "$1" in
    --template) [ $# -ge 2 ] || usage; template=$2; shift 2 ;;
    --template=*) template=${1#--template=}; shift ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
# A template given relative to the caller's directory stays valid after the cd below.
if [ -n "$template" ] && [ "${template#/}" = "$template" ]; then
  template="$PWD/$template"
fi

cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# shellcheck source=scripts/deploy_tools.sh
. scripts/deploy_tools.sh
template=${template:-template.yaml}
[ -f "$template" ] || { echo "no such template: $template" >&2; exit 1; }
ensure_deploy_tools

# No telemetry and no AWS account: `sam validate` (with or without --lint) makes no AWS call, so
# the region and credentials below are dummies that only make sure no real account is touched.
# (The SAM CLI does ask PyPI once a week whether a newer version exists; it prints a notice on
# stderr if so, and ignores any failure.)
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE

say "sam validate --lint --template $template --region us-east-1"
"$SAM_VENV/bin/sam" validate --lint --template "$template" --region us-east-1
