#!/usr/bin/env bash
# Runs `sam validate --lint` (AWS SAM CLI) on template.yaml, or on the template given with
# --template PATH. The SAM CLI pins its own cfn-lint and boto3, so it is installed from
# requirements-sam.txt into its own virtualenv, .local/venv-sam (git-ignored), apart from the
# tools of requirements-dev.txt. The venv is (re)created only when it is missing or was built
# from a different requirements-sam.txt (a copy of which is kept in the venv as a stamp).
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

PYTHON=${PYTHON:-python3}
VENV=.local/venv-sam
STAMP=$VENV/.requirements-sam.txt

command -v "$PYTHON" >/dev/null || { echo "python3 is required" >&2; exit 1; }
template=${template:-template.yaml}
[ -f "$template" ] || { echo "no such template: $template" >&2; exit 1; }

if ! cmp -s requirements-sam.txt "$STAMP" || [ ! -x "$VENV/bin/sam" ]; then
  if [ -d "$VENV" ]; then
    say "recreating $VENV (not built from the current requirements-sam.txt)"
    rm -rf "$VENV"
  else
    say "creating $VENV"
  fi
  mkdir -p .local
  "$PYTHON" -m venv "$VENV"
  say "installing $(grep -v '^#' requirements-sam.txt | xargs) into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-sam.txt
  cp requirements-sam.txt "$STAMP"
fi

# No telemetry and no AWS account: `sam validate` (with or without --lint) makes no AWS call, so
# the region and credentials below are dummies that only make sure no real account is touched.
# (The SAM CLI does ask PyPI once a week whether a newer version exists; it prints a notice on
# stderr if so, and ignores any failure.)
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE

say "sam validate --lint --template $template --region us-east-1"
"$VENV/bin/sam" validate --lint --template "$template" --region us-east-1
