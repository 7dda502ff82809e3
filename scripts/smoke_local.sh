#!/usr/bin/env bash
# The operator's smoke test (scripts/smoke.sh) against a local stack started here exactly as
# `make start` starts it (moto with IAM enforced, provisioning from template.yaml, cargo lambda
# watch, the event pump), on ports and in a directory of its own; stops the stack afterwards.
# CI runs this, so the smoke test is known to work before an operator runs it after a deploy.
# Then Schemathesis fuzzes the same stack from its OpenAPI document (scripts/schemathesis.sh;
# SMOKE_SCHEMATHESIS=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# Below the kernel's ephemeral range (32768-60999 here), which the test suite's many client
# connections and its own moto servers on free ports use: a port there may be taken.
export MOTO_PORT=${SMOKE_MOTO_PORT:-24566}
export API_PORT=${SMOKE_API_PORT:-29660}
export EMULATOR_PORT=${SMOKE_EMULATOR_PORT:-28660}
export LOOKOUT_LOCAL_DIR=${SMOKE_LOCAL_DIR:-target/smoke-stack}
export LOOKOUT_PREFIX=smoke
rm -rf "$LOOKOUT_LOCAL_DIR"
mkdir -p "$LOOKOUT_LOCAL_DIR"

say "starting the local stack for the smoke test (logs in $LOOKOUT_LOCAL_DIR)"
setsid scripts/start.sh >"$LOOKOUT_LOCAL_DIR/start.log" 2>&1 </dev/null &
stack=$!
fuzz=${SMOKE_SCHEMATHESIS:-1}
if [ "$fuzz" = 1 ]; then
  # Its virtualenv is made while the stack starts.
  scripts/schemathesis.sh --install-only >"$LOOKOUT_LOCAL_DIR/schemathesis-install.log" 2>&1 &
  installing=$!
fi
stop() {
  # start.sh stops what it started when it is told to.
  kill -TERM -- "-$stack" 2>/dev/null || kill -TERM "$stack" 2>/dev/null || true
  wait "$stack" 2>/dev/null || true
}
trap stop EXIT

for _ in $(seq 600); do
  grep -q "Lookout is running locally" "$LOOKOUT_LOCAL_DIR/start.log" 2>/dev/null && break
  kill -0 "$stack" 2>/dev/null || { cat "$LOOKOUT_LOCAL_DIR/start.log" >&2; echo "the local stack did not start" >&2; exit 1; }
  sleep 1
done
grep -q "Lookout is running locally" "$LOOKOUT_LOCAL_DIR/start.log" || { echo "the local stack did not start in 10 minutes" >&2; exit 1; }

say "scripts/smoke.sh http://127.0.0.1:$API_PORT"
LOOKOUT_ADMIN_TOKEN=$(cat "$LOOKOUT_LOCAL_DIR/admin-token") \
  scripts/smoke.sh "http://127.0.0.1:$API_PORT" --timeout 300

if [ "$fuzz" = 1 ]; then
  wait "$installing" || { cat "$LOOKOUT_LOCAL_DIR/schemathesis-install.log" >&2; exit 1; }
  LOOKOUT_ADMIN_TOKEN=$(cat "$LOOKOUT_LOCAL_DIR/admin-token") \
    SCHEMATHESIS_REPORT_DIR="$LOOKOUT_LOCAL_DIR/schemathesis" \
    scripts/schemathesis.sh "http://127.0.0.1:$API_PORT"
fi
