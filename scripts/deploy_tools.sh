# Sourced by scripts/deploy.sh and scripts/sam_validate.sh (from the repository root): makes sure
# the deploy tools of requirements-sam.txt are in .local/venv-sam (git-ignored), apart from the
# test tools of requirements-dev.txt: the AWS SAM CLI (with its own cfn-lint and boto3) and
# cargo-lambda (with zig, from PyPI's ziglang), pinned. No sudo, no system packages: python3 with
# venv is all it needs. The venv is (re)created only when it is missing or was built from a
# different requirements-sam.txt (a copy of which is kept in the venv as a stamp).
# Sets SAM_VENV; callers put "$SAM_VENV/bin" first on PATH when they need cargo-lambda.

SAM_VENV=.local/venv-sam
ensure_deploy_tools() {
  local python=${PYTHON:-python3} stamp=$SAM_VENV/.requirements-sam.txt lock_fd
  command -v "$python" >/dev/null || { echo "python3 is required (with its venv module)" >&2; return 1; }
  mkdir -p .local
  # One at a time: on a clean clone the test run's lint lane and a deploy test both get here,
  # and one must not remove the venv the other is installing. The second waits for the first
  # and finds the venv built. (No flock, as on macOS: one deploy at a time is the operator's.)
  if command -v flock >/dev/null; then
    exec {lock_fd}>.local/venv-sam.lock
    flock "$lock_fd"
  fi
  if ! cmp -s requirements-sam.txt "$stamp" || [ ! -x "$SAM_VENV/bin/sam" ] || [ ! -x "$SAM_VENV/bin/cargo-lambda" ]; then
    if [ -d "$SAM_VENV" ]; then
      printf '\033[1;34m==>\033[0m %s\n' "recreating $SAM_VENV (not built from the current requirements-sam.txt)" >&2
      rm -rf "$SAM_VENV"
    else
      printf '\033[1;34m==>\033[0m %s\n' "creating $SAM_VENV" >&2
    fi
    "$python" -m venv "$SAM_VENV" || { echo "python3 -m venv failed (Debian/Ubuntu: apt install python3-venv)" >&2; return 1; }
    printf '\033[1;34m==>\033[0m %s\n' "installing $(grep -v '^#' requirements-sam.txt | xargs) into $SAM_VENV" >&2
    "$SAM_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-sam.txt
    cp requirements-sam.txt "$stamp"
  fi
  if [ -n "${lock_fd:-}" ]; then exec {lock_fd}>&-; fi
}
