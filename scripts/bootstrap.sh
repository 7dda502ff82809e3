#!/usr/bin/env bash
# Installs what Lookout's local stack and tests need, only where missing:
# Python tools from requirements-dev.txt (moto[server], cargo-lambda, cfn-lint), and the
# Rust components (rustfmt, clippy, the aarch64 target for `cargo lambda build --arm64`).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || { echo "python3 is required" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo (rustup) is required" >&2; exit 1; }

# Python tools: install the pinned set unless every pin is already satisfied.
if ! "$PYTHON" - <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for line in open("requirements-dev.txt"):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    name = name.split("[")[0]
    if version(name) != want:
        sys.exit(1)
PY
then
  say "installing Python dev tools (requirements-dev.txt)"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  command -v pyenv >/dev/null && pyenv rehash || true
fi

# Rust components.
installed=$(rustup component list --installed 2>/dev/null || true)
for c in rustfmt clippy; do
  grep -q "^$c" <<<"$installed" || { say "rustup component add $c"; rustup component add "$c"; }
done
if ! rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$'; then
  say "rustup target add aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi

# The web console's browser tests (console-tests/): Debian's chromium, driven by playwright-core
# from npm, which downloads no browser of its own.
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
apt_install() {
  # `apt-get update` only when the package lists do not know the package yet.
  if ! apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "apt-get update"; $SUDO apt-get update -qq
  fi
  say "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
[ -x /usr/bin/chromium ] || apt_install chromium
command -v npm >/dev/null || apt_install nodejs npm
# npm ci only when the lock file changed since the last install.
if ! cmp -s console-tests/package-lock.json console-tests/node_modules/.lookout-installed-lock; then
  say "npm ci (console-tests: playwright-core)"
  (cd console-tests && npm ci --no-audit --no-fund --loglevel=error \
    && cp package-lock.json node_modules/.lookout-installed-lock)
fi
# The real SDKs the tests point at the local stack (tests/sdk/: @sentry/node, the OpenTelemetry logs exporter).
if ! cmp -s tests/sdk/package-lock.json tests/sdk/node_modules/.lookout-installed-lock; then
  say "npm ci (tests/sdk: @sentry/node, @opentelemetry/exporter-logs-otlp-http)"
  (cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error \
    && cp package-lock.json node_modules/.lookout-installed-lock)
fi
for tool in /usr/bin/chromium node; do
  command -v "$tool" >/dev/null || { echo "$tool is still missing after install" >&2; exit 1; }
done

for tool in cargo-lambda cfn-lint; do
  command -v "$tool" >/dev/null || { echo "$tool is still missing after install" >&2; exit 1; }
done
