"""Baseline for the cold-start benchmark: `POST /start_session` as a Python Lambda with boto3.

Does what functions/start-session does, shaped the way a Python Lambda is written:
module-level `import boto3` and client creation (the init phase), then `handler(event, context)`
per invocation: authenticate the API key (GetItem of its SHA-256 in API_KEYS_TABLE), validate
the body, PutItem the session into TRACKER_TABLE (same item layout as the Rust store) and
answer an API Gateway HTTP API (payload v2) response.

Run as `python3 handler.py`, it is its own runtime: like Lambda's Python bootstrap it polls the
Runtime API at AWS_LAMBDA_RUNTIME_API for events and posts the answers, forever. The benchmark
(`cargo run --release -p lookout-bench --bin coldstart`) serves one event, times spawn -> answer
and reads the peak RSS from /proc before killing it. `python3 handler.py --event FILE` runs one
event without a Runtime API and prints the answer (for trying it by hand).

Endpoint, region and credentials come from the standard AWS_* variables (moto locally).
"""

import datetime
import hashlib
import http.client
import json
import os
import sys
import uuid

import boto3

# ---------------------------------------------------------------- init (once per cold start)

DDB = boto3.client("dynamodb")
API_KEYS_TABLE = os.environ["API_KEYS_TABLE"]
TRACKER_TABLE = os.environ["TRACKER_TABLE"]
RETENTION_DAYS = int(os.environ.get("TRACKER_RETENTION_DAYS") or 0)


# ---------------------------------------------------------------- the handler


def respond(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def error(status, message):
    return respond(status, {"error": message})


def api_key(headers):
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = headers.get("x-api-key", "").strip()
    return key or None


def now_rfc3339():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def parse_time(text):
    """RFC 3339 / ISO 8601 only (the Rust function accepts more forms)."""
    dt = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    dt = dt.astimezone(datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def valid_id(value):
    return isinstance(value, str) and value.strip() and len(value) <= 256


def handler(event, context):
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    key = api_key(headers)
    if not key or len(key) > 256:
        return error(401, "API key required (Authorization: Bearer or X-Api-Key)")
    digest = hashlib.sha256(key.encode()).hexdigest()
    item = DDB.get_item(TableName=API_KEYS_TABLE, Key={"pk": {"S": digest}}).get("Item")
    if not item or item.get("revoked", {}).get("BOOL", False):
        return error(401, "invalid API key")
    tenant = item["tenant"]["S"]

    try:
        body = json.loads(event.get("body") or "")
    except ValueError:
        return error(400, "body must be JSON")
    if not isinstance(body, dict):
        return error(400, "body must be a JSON object")
    if not valid_id(body.get("userId")) or not valid_id(body.get("machineId")):
        return error(400, "userId and machineId must be non-empty strings")
    try:
        start_at = parse_time(body.get("startAt"))
    except (TypeError, ValueError):
        return error(400, "startAt must be an RFC 3339 timestamp")

    session_id = str(uuid.uuid4())
    record = {
        "pk": {"S": f"SESSION#{session_id}"},
        "sk": {"S": "META"},
        "sessionId": {"S": session_id},
        "tenant": {"S": tenant},
        "userId": {"S": body["userId"]},
        "machineId": {"S": body["machineId"]},
        "orgId": {"S": json.dumps(body.get("orgId"))},
        "startAt": {"S": start_at},
        "createdAt": {"S": now_rfc3339()},
    }
    if RETENTION_DAYS > 0:
        expires = int(datetime.datetime.now(datetime.timezone.utc).timestamp()) + RETENTION_DAYS * 86400
        record["expiresAt"] = {"N": str(expires)}
    DDB.put_item(
        TableName=TRACKER_TABLE,
        Item=record,
        ConditionExpression="attribute_not_exists(pk)",
    )
    return respond(200, {"sessionId": session_id, "message": "request received"})


# ---------------------------------------------------------------- a minimal Lambda runtime


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")


def run_runtime(api):
    conn = http.client.HTTPConnection(api)
    base = "/2018-06-01/runtime/invocation"
    while True:
        conn.request("GET", f"{base}/next")
        resp = conn.getresponse()
        event = json.loads(resp.read())
        ctx = Context(resp.headers)
        try:
            answer, path = handler(event, ctx), "response"
        except Exception as exc:  # noqa: BLE001 - reported to the Runtime API like Lambda does
            answer = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            path = "error"
        payload = json.dumps(answer).encode()
        conn.request(
            "POST",
            f"{base}/{ctx.aws_request_id}/{path}",
            body=payload,
            headers={"Content-Type": "application/json"},
        )
        conn.getresponse().read()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--event":
        with open(sys.argv[2], encoding="utf-8") as f:
            print(json.dumps(handler(json.load(f), None)))
        return
    api = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not api:
        sys.exit("AWS_LAMBDA_RUNTIME_API is not set (or pass --event FILE)")
    run_runtime(api)


if __name__ == "__main__":
    main()
