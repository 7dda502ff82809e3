#!/usr/bin/env bash
# Contract fuzzing with Schemathesis against a running stack, from the OpenAPI document the
# stack serves at GET /openapi.json (functions/admin/serve-openapi/openapi.json): every operation
# with schema examples, boundary and negative data ("coverage"), random valid and invalid data
# ("fuzzing"), and chains of calls along the document's links ("stateful"), with every check
# (schemathesis.toml says which expectations are ours and why). Exits non-zero on a failure.
#
#   scripts/schemathesis.sh http://127.0.0.1:9000 [extra st run flags]
#   scripts/schemathesis.sh --install-only      (only the virtualenv; CI does it while the
#                                                local stack starts)
#
# Admin token: $LOOKOUT_ADMIN_TOKEN, else .local/admin-token. It issues an API key (all scopes)
# for a tenant of its own, used for the API-key routes, and revokes it at the end. Reports
# (JUnit, NDJSON) go to $SCHEMATHESIS_REPORT_DIR (default target/schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
api=${1:?usage: scripts/schemathesis.sh <api-base-url>|--install-only [st run flags]}
shift
api=${api%/}

venv=${SCHEMATHESIS_VENV:-target/venv-schemathesis}
want=$(sed -n 's/^schemathesis==//p' requirements-schemathesis.txt)
if ! "$venv/bin/st" --version 2>/dev/null | grep -qF "$want"; then
  say "installing schemathesis $want into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-schemathesis.txt
fi
[ "$api" = --install-only ] && exit 0

LOOKOUT_ADMIN_TOKEN=${LOOKOUT_ADMIN_TOKEN:-$(cat .local/admin-token 2>/dev/null || true)}
[ -n "$LOOKOUT_ADMIN_TOKEN" ] || { echo "no admin token (LOOKOUT_ADMIN_TOKEN or .local/admin-token)" >&2; exit 2; }
export LOOKOUT_ADMIN_TOKEN

tenant="schemathesis-$(date +%s)"
issued=$(curl -fsS -X POST "$api/admin/api_keys" \
  -H "Authorization: Bearer $LOOKOUT_ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"tenant\":\"$tenant\",\"label\":\"schemathesis\"}")
LOOKOUT_API_KEY=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])' <<<"$issued")
key_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["keyId"])' <<<"$issued")
export LOOKOUT_API_KEY
revoke() {
  curl -fsS -o /dev/null -X DELETE "$api/admin/api_keys" \
    -H "Authorization: Bearer $LOOKOUT_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"tenant\":\"$tenant\",\"key_id\":\"$key_id\"}" || true
}
trap revoke EXIT

# Every route once first: a function's first call in `cargo lambda watch` starts its binary,
# which on a small machine can take longer than Schemathesis waits for an answer.
python3 - "$api" <<'PY'
import json, sys, time, urllib.request, urllib.error
api = sys.argv[1]

def document():
    # `cargo lambda watch` now and then loses an invocation and answers 500 itself (no function
    # ran: its log shows no invoke); the smoke test has already checked this route's answer, so
    # a lost warm-up call is retried rather than failing the lane.
    for attempt in range(3):
        try:
            return json.load(urllib.request.urlopen(api + "/openapi.json", timeout=300))
        except urllib.error.HTTPError as e:
            if e.code < 500 or attempt == 2:
                raise
            print(f"GET /openapi.json answered {e.code} during the warm-up; retrying", file=sys.stderr)
            time.sleep(2)

doc = document()
for path, item in doc["paths"].items():
    for method in item:
        url = api + path.replace("{", "").replace("}", "")
        req = urllib.request.Request(url, method=method.upper(), data=b"{}" if method != "get" else None)
        try:
            urllib.request.urlopen(req, timeout=300).close()
        except urllib.error.HTTPError:
            pass
PY

report=${SCHEMATHESIS_REPORT_DIR:-target/schemathesis}
mkdir -p "$report" target/schemathesis-work
report=$(realpath "$report")
root=$(pwd)
st=$(realpath "$venv/bin/st")
say "schemathesis against $api/openapi.json (tenant $tenant; reports in $report)"
# Run from target/: its caches (.hypothesis, .schemathesis) written in the workspace would make
# `cargo lambda watch` restart every function mid-run.
(cd target/schemathesis-work &&
  SCHEMATHESIS_HOOKS="$root/scripts/schemathesis_hooks.py" "$st" \
    --config-file "$root/schemathesis.toml" run "$api/openapi.json" --url "$api" \
    --report junit,ndjson --report-dir "$report" "$@")
