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

for tool in cargo-lambda cfn-lint; do
  command -v "$tool" >/dev/null || { echo "$tool is still missing after install" >&2; exit 1; }
done
