#!/usr/bin/env bash
# The `cargo build` arguments for what runs locally: the dev tools and every function's own
# binary (watch's `cargo run --bin <function>`), one per line. Built by binary name from the
# root, as watch builds them, so make start, make test and watch resolve features once and
# nothing is compiled twice (`-p` would resolve them differently).
set -euo pipefail
cd "$(dirname "$0")/.."
printf '%s\n' --bin devstack --bin event-pump --bin messenger-emulator
for dir in functions/*/*/; do
  name=$(basename "$dir")
  [ "$name" = bootstrap ] || printf '%s\n' --bin "$name"
done
