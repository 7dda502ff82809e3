#!/usr/bin/env bash
# Starts the whole Lookout stack locally and keeps it running until Ctrl-C:
#   moto_server (local AWS)  ->  tables/queues provisioned from template.yaml
#   cargo lambda watch       ->  every function, at the same paths as API Gateway
#   event-pump               ->  schedules and SQS -> functions, as AWS would
# Ports: MOTO_PORT (default 4566), API_PORT (default 9000).
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_PORT=${MOTO_PORT:-4566}
API_PORT=${API_PORT:-9000}
PREFIX=${LOOKOUT_PREFIX:-local}
# Where this stack keeps its files (tokens, environment, credentials, logs); git-ignored.
LOCAL=${LOOKOUT_LOCAL_DIR:-.local}
say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

scripts/bootstrap.sh
mkdir -p "$LOCAL"

pids=()
cleanup() {
  trap - EXIT INT TERM
  say "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

MOTO_URL="http://127.0.0.1:$MOTO_PORT"
if curl -fsS "$MOTO_URL/moto-api/" >/dev/null 2>&1; then
  say "moto_server already running at $MOTO_URL"
else
  say "starting moto_server at $MOTO_URL"
  python3 scripts/moto_server.py --port "$MOTO_PORT" >$LOCAL/moto.log 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -fsS "$MOTO_URL/moto-api/" >/dev/null 2>&1 && break; sleep 0.2; done
fi

# A local admin token, made once and kept in $LOCAL/ (git-ignored); only its hash is configured.
[ -s $LOCAL/admin-token ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >$LOCAL/admin-token
ADMIN_TOKEN=$(cat $LOCAL/admin-token)
ADMIN_SHA=$(printf %s "$ADMIN_TOKEN" | sha256sum | cut -d' ' -f1)

say "building dev tools and functions"
mapfile -t bins < <(scripts/local_bins.sh)
cargo build --quiet "${bins[@]}"

# Seed 003: the messenger emulator stands in for Telegram, WhatsApp and Viber (Viber always
# fails, as the seed's did); the messenger base URLs below point the stack at it.
EMULATOR_PORT=${EMULATOR_PORT:-8081}
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"
say "starting the messenger emulator at $EMULATOR_URL"
target/debug/messenger-emulator --addr "127.0.0.1:$EMULATOR_PORT" >$LOCAL/emulator.log 2>&1 &
pids+=($!)

say "provisioning template.yaml resources (prefix $PREFIX)"
AWS_ENDPOINT_URL=$MOTO_URL target/debug/devstack provision --prefix "$PREFIX" \
  --param "AdminTokenSha256=$ADMIN_SHA" --param "LogLevel=${RUST_LOG_LEVEL:-info}" \
  --param "TelegramApiBase=$EMULATOR_URL/telegram" --param "TelegramAdminChatId=-1001000000001" \
  --param "WhatsAppApiBase=$EMULATOR_URL/whatsapp" --param "WhatsAppPhoneNumberId=100000000000001" \
  --param "ViberApiBase=$EMULATOR_URL/viber" --param "ConsoleUrl=http://127.0.0.1:$API_PORT/console" \
  --secret 'MessengerSecret={"telegram_bot_token":"local-bot-token","whatsapp_access_token":"local-access-token","viber_auth_token":"local-auth-token"}' \
  --param "MessengerRetryBaseSeconds=${MESSENGER_RETRY_BASE_SECONDS:-5}" \
  --param "DevAllowLoopbackWebhooks=true" \
  --param "CredentialCacheSeconds=${CREDENTIAL_CACHE_SECONDS:-2}" \
  --stack-out $LOCAL/stack.json --env-out $LOCAL/watch.env

say "starting cargo lambda watch on 127.0.0.1:$API_PORT"
cargo lambda watch -A 127.0.0.1 -P "$API_PORT" --env-file $LOCAL/watch.env >$LOCAL/watch.log 2>&1 &
pids+=($!)
for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$API_PORT") 2>/dev/null && break; sleep 0.2; done

if [ -x target/debug/event-pump ]; then
  say "starting the event pump"
  # The pump stands in for AWS's services: it signs as the provisioning user ([default]).
  set -a; . $LOCAL/watch.env; set +a; unset LOOKOUT_LOCAL_ROLE_PROFILES
  target/debug/event-pump --stack $LOCAL/stack.json --template template.yaml \
    --invoke-url "http://127.0.0.1:$API_PORT" >$LOCAL/pump.log 2>&1 &
  pids+=($!)
fi

cat <<INFO

  Lookout is running locally.
    API (cargo lambda watch):  http://127.0.0.1:$API_PORT
    moto_server (local AWS):   $MOTO_URL   (dashboard: $MOTO_URL/moto-api/)
    admin token:               $ADMIN_TOKEN   (also in $LOCAL/admin-token)
    console (browser):         http://127.0.0.1:$API_PORT/console   (sign in with the admin token)
    logs:                      $LOCAL/watch.log $LOCAL/pump.log $LOCAL/moto.log
    messenger emulator:        $EMULATOR_URL   (what it received: $EMULATOR_URL/_received)

  Try:
    KEY=\$(curl -s -X POST http://127.0.0.1:$API_PORT/admin/api_keys \\
      -H "Authorization: Bearer $ADMIN_TOKEN" -d '{"tenant":"acme"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["apiKey"])')
    curl -s -X POST http://127.0.0.1:$API_PORT/start_session -H "X-Api-Key: \$KEY" \\
      -d '{"userId":"u1","machineId":"m1","startAt":"2023-02-02 16:22:15","orgId":11232}'

  Ctrl-C stops everything.
INFO
wait
