"""Baselines for the Lambda benchmark: each endpoint family's representative operation as a
Python Lambda with boto3, picked by BASELINE_OP (the Rust function it mirrors):

| BASELINE_OP         | request                | DynamoDB (and other) calls, as the Rust function makes them  |
|---------------------|------------------------|--------------------------------------------------------------|
| start-session       | POST /start_session    | GetItem API key, PutItem session                             |
| send-logs           | POST /send_logs        | GetItem log user, BatchWriteItem of packed chunk items       |
| report-incident     | POST /incidents        | GetItem app, GetItem group, Query recent logs, GetItem       |
|                     |                        | heartbeat app, TransactWriteItems (incident + group), SES    |
|                     |                        | SendEmail, UpdateItem (notified)                             |
| record-heartbeat    | POST /api/apps/        | GetItem API key, UpdateItem app                              |
| create-contacts     | POST /api/contacts     | GetItem API key, BatchWriteItem contact                      |
| admin-issue-api-key | POST /admin/api_keys   | PutItem key (admin token checked against its SHA-256)        |

Shaped the way a Python Lambda is written: module-level `import boto3` and client creation
(the init phase), then `handler(event, context)` per invocation answering an API Gateway HTTP
API (payload v2) response. Items use the Rust stores' layouts, so what a baseline writes is
readable by the Rust functions.

Run as `python3 handler.py`, it is its own runtime: like Lambda's Python bootstrap it polls the
Runtime API at AWS_LAMBDA_RUNTIME_API for events and posts the answers, forever. The benchmark
(`cargo run --release -p lookout-bench --bin coldstart`) serves events, times them and reads
/proc. `python3 handler.py --event FILE` runs one event without a Runtime API and prints the
answer (for trying it by hand).

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

OP = os.environ.get("BASELINE_OP", "start-session")
DDB = boto3.client("dynamodb")
SES = boto3.client("sesv2") if OP == "report-incident" else None
ENV = os.environ
API_KEYS_TABLE = ENV.get("API_KEYS_TABLE")
RETENTION_DAYS = int(ENV.get("TRACKER_RETENTION_DAYS") or 0)


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


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def headers_of(event):
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


def json_body(event):
    try:
        body = json.loads(event.get("body") or "")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def tenant_of(headers):
    """The API key's tenant (GetItem of its SHA-256), or None."""
    key = api_key(headers)
    if not key or len(key) > 256:
        return None
    item = DDB.get_item(TableName=API_KEYS_TABLE, Key={"pk": {"S": sha256(key)}}).get("Item")
    if not item or item.get("revoked", {}).get("BOOL", False):
        return None
    return item["tenant"]["S"]


def start_session(event):
    tenant = tenant_of(headers_of(event))
    if tenant is None:
        return error(401, "invalid API key")
    body = json_body(event)
    if body is None:
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
        TableName=ENV["TRACKER_TABLE"],
        Item=record,
        ConditionExpression="attribute_not_exists(pk)",
    )
    return respond(200, {"sessionId": session_id, "message": "request received"})


def send_logs(event):
    headers = headers_of(event)
    body = json_body(event)
    data = (body or {}).get("data")
    if not isinstance(data, dict) or not isinstance(data.get("logs"), list):
        return respond(400, {"code": 400, "message": "BadRequest"})
    user = str(data.get("user") or "")
    token = headers.get("x-user-token", "").strip().lower()
    item = DDB.get_item(TableName=ENV["LOG_USERS_TABLE"], Key={"pk": {"S": user}}).get("Item")
    if not token or not item or item["tokenSha256"]["S"] != sha256(token):
        return respond(403, {"code": 403, "message": "Forbidden"})
    lines = []
    for line in data["logs"]:
        at = parse_time(line["event_at"])
        lines.append([at, line["level"], line["msg"], line.get("p_description", "")])
    lines.sort(key=lambda l: l[0])
    batch_id = sha256(json.dumps(data, sort_keys=True))[:16]
    days = int(ENV.get("LOG_RETENTION_DAYS") or 30)
    expires = int(datetime.datetime.now(datetime.timezone.utc).timestamp()) + days * 86400
    chunk = {
        "pk": {"S": f"U#{user}"},
        "sk": {"S": f"{lines[0][0]}#{batch_id}#0000"},
        "pid": {"N": str(int(data["pid"]))},
        "pName": {"S": str(data["p_name"])},
        "postTime": {"S": parse_time(data["post_time"])},
        "minAt": {"S": lines[0][0]},
        "maxAt": {"S": lines[-1][0]},
        "levels": {"SS": sorted({l[1] for l in lines})},
        "n": {"N": str(len(lines))},
        "lines": {"S": json.dumps(lines, separators=(",", ":"))},
        "expiresAt": {"N": str(expires)},
    }
    DDB.batch_write_item(RequestItems={ENV["LOGS_TABLE"]: [{"PutRequest": {"Item": chunk}}]})
    return respond(200, {"code": 200, "message": "Logs added successfully"})


def report_incident(event):
    body = json_body(event) or {}
    inc = body.get("incident")
    if not isinstance(inc, dict) or not inc.get("title") or inc.get("level") not in (
        "info", "warning", "error", "critical"
    ):
        return error(400, "incident.title and incident.level are required")
    table = ENV["INCIDENTS_TABLE"]
    app_name = str(body.get("app_name") or "")
    app = DDB.get_item(TableName=table, Key={"pk": {"S": "APPS"}, "sk": {"S": app_name}}).get("Item")
    if not app or app["codeSha256"]["S"] != sha256(str(body.get("code") or "").strip()):
        return error(403, "app_name and code do not match")
    gpk = f"GROUP#{app_name}#" + sha256(inc["title"] + "\0" + inc["level"])[:24]
    group = DDB.get_item(TableName=table, Key={"pk": {"S": gpk}, "sk": {"S": "GROUP"}}).get("Item")
    # (a repeat would be grouped here; the benchmark reports new incidents)
    recent = []
    if app.get("log_user"):
        page = DDB.query(
            TableName=ENV["LOGS_TABLE"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "U#" + app["log_user"]["S"]}},
            ScanIndexForward=False,
            Limit=8,
        )
        for chunk in page.get("Items", []):
            recent.extend(json.loads(chunk["lines"]["S"])[::-1])
    heartbeat = None
    if app.get("heartbeat_tenant") and app.get("heartbeat_app_id"):
        hb_pk = f"APP#{app['heartbeat_tenant']['S']}#{app['heartbeat_app_id']['S']}"
        heartbeat = DDB.get_item(TableName=ENV["HEARTBEAT_TABLE"], Key={"pk": {"S": hb_pk}}).get("Item")
    now = now_rfc3339()
    iid = str(uuid.uuid4())
    sort = f"{now}#{iid}"
    item = {
        "pk": {"S": f"INC#{iid}"}, "sk": {"S": "META"}, "id": {"S": iid},
        "app_name": {"S": app_name}, "title": {"S": inc["title"]},
        "message": {"S": str(inc.get("message") or "")}, "level": {"S": inc["level"]},
        "status": {"S": "open"}, "count": {"N": "1"}, "first_seen": {"S": now},
        "last_seen": {"S": now}, "logs": {"L": [{"S": str(l)} for l in inc.get("logs") or []]},
        "recent_logs": {"S": json.dumps(recent[:20])},
        # Index keys of its own, so the Rust listings never meet this layout.
        "gsi1pk": {"S": f"BASELINE#{app_name}"}, "gsi1sk": {"S": sort},
        "gsi2pk": {"S": "BASELINE"}, "gsi2sk": {"S": sort},
    }
    update = {
        "TableName": table,
        "Key": {"pk": {"S": gpk}, "sk": {"S": "GROUP"}},
        "UpdateExpression": "SET currentId = :new",
        "ExpressionAttributeValues": {":new": {"S": iid}},
    }
    if group and group.get("currentId"):
        update["ConditionExpression"] = "currentId = :prev"
        update["ExpressionAttributeValues"][":prev"] = group["currentId"]
    else:
        update["ConditionExpression"] = "attribute_not_exists(currentId)"
    DDB.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": update},
    ])
    text = f"{inc['level'].upper()} {app_name}: {inc['title']}\n\n{inc.get('message', '')}\n"
    if heartbeat:
        text += f"\nheartbeat: {heartbeat.get('state', {}).get('S', '?')}\n"
    text += "\nrecent logs:\n" + "\n".join(" ".join(map(str, l)) for l in recent[:20])
    SES.send_email(
        FromEmailAddress=ENV["MAIL_SENDER"],
        Destination={"ToAddresses": [ENV["ADMIN_EMAIL"]]},
        Content={"Simple": {"Subject": {"Data": f"[lookout] {inc['title']}"}, "Body": {"Text": {"Data": text}}}},
    )
    DDB.update_item(
        TableName=table,
        Key={"pk": {"S": f"INC#{iid}"}, "sk": {"S": "META"}},
        UpdateExpression="SET notified_at = :now",
        ExpressionAttributeValues={":now": {"S": now_rfc3339()}},
    )
    return respond(201, {"id": iid, "status": "open", "count": 1, "grouped": False})


def record_heartbeat(event):
    tenant = tenant_of(headers_of(event))
    if tenant is None:
        return error(401, "invalid API key")
    body = json_body(event) or {}
    app_id = str(body.get("app_id") or "")
    if not app_id:
        return error(400, "app_id is required")
    now = datetime.datetime.now(datetime.timezone.utc)
    due = int(now.timestamp()) + 300
    out = DDB.update_item(
        TableName=ENV["HEARTBEAT_TABLE"],
        Key={"pk": {"S": f"APP#{tenant}#{app_id}"}},
        # Own attribute names: the Rust functions share this item.
        UpdateExpression="SET pyLastHeartbeat = :now, pyLastMessage = :m, pyDueAt = :due",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={
            ":now": {"S": now_rfc3339()}, ":m": {"S": str(body.get("message") or "")},
            ":due": {"N": str(due)},
        },
        ReturnValues="ALL_NEW",
    )
    state = out["Attributes"].get("state", {}).get("S", "up")
    return respond(200, {"status": "ok", "app_id": app_id, "state": state, "received_at": now_rfc3339()})


def create_contacts(event):
    tenant = tenant_of(headers_of(event))
    if tenant is None:
        return error(401, "invalid API key")
    body = json_body(event) or {}
    user = body.get("user_name")
    contacts = body.get("contacts") or ([body["contact"]] if body.get("contact") else [])
    if not valid_id(user) or not contacts:
        return error(400, "user_name and contact are required")
    requests = []
    for c in contacts:
        item = {"pk": {"S": f"CT#{tenant}#{user}"}, "sk": {"S": c["name"]}, "name": {"S": c["name"]},
                "updatedAt": {"S": now_rfc3339()}}
        for kind, value in (c.get("messangers") or {}).items():
            if value:
                item[kind] = {"S": str(value)}
        requests.append({"PutRequest": {"Item": item}})
    DDB.batch_write_item(RequestItems={ENV["MESSENGER_TABLE"]: requests})
    return respond(200, {"success": True})


def admin_issue_api_key(event):
    token = api_key(headers_of(event))
    if not token or sha256(token) != ENV["ADMIN_TOKEN_SHA256"]:
        return error(401, "admin token required")
    body = json_body(event) or {}
    if not valid_id(body.get("tenant")):
        return error(400, "tenant is required")
    key = "lk_" + os.urandom(24).hex()
    key_id = str(uuid.uuid4())
    DDB.put_item(
        TableName=API_KEYS_TABLE,
        Item={"pk": {"S": sha256(key)}, "keyId": {"S": key_id}, "tenant": {"S": body["tenant"]},
              "label": {"S": str(body.get("label") or "")}, "createdAt": {"S": now_rfc3339()},
              "revoked": {"BOOL": False}},
        ConditionExpression="attribute_not_exists(pk)",
    )
    return respond(201, {"apiKey": key, "keyId": key_id, "tenant": body["tenant"]})


HANDLERS = {
    "start-session": start_session,
    "send-logs": send_logs,
    "report-incident": report_incident,
    "record-heartbeat": record_heartbeat,
    "create-contacts": create_contacts,
    "admin-issue-api-key": admin_issue_api_key,
}
OPERATION = HANDLERS[OP]


def handler(event, context):
    return OPERATION(event)


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
