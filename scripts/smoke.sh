#!/usr/bin/env bash
# Smoke test of a deployed (or local) Lookout stack: see scripts/smoke.py and docs/deploy.md.
#   scripts/smoke.sh https://<api-id>.execute-api.<region>.amazonaws.com [--timeout 30] [--keep]
exec python3 "$(dirname "$0")/smoke.py" "$@"
