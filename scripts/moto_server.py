#!/usr/bin/env python3
"""Runs moto_server on 127.0.0.1:PORT (0 = pick a free port) for local runs and tests.

Prints `MOTO_URL=http://127.0.0.1:<port>` once it answers. With --exit-on-eof it stops when its
standard input closes, so a test process that spawned it never leaves it behind.

IAM is enforced as on AWS (moto's INITIAL_NO_AUTH_ACTION_COUNT = 0): every request must be
signed by a known access key and be allowed by its policies. The local provisioning user
`lookout-local-admin` (keys ADMIN_KEY_ID/ADMIN_SECRET, the only credentials known before
provisioning) may do anything; each function gets credentials of its own role, built from
template.yaml as SAM expands it (lookout_dev::iam). `--no-iam` turns enforcement off.

moto checks actions, not resources. So every request made with a role's credentials is also
recorded (role, action, the resources its parameters name) as a JSON line in
`$LOOKOUT_IAM_AUDIT_DIR/moto-<pid>.jsonl` when that variable is set; `devstack iam-check`
then checks each against the actions *and resources* the role's policy names.

DynamoDB requests are served one at a time (`serialize_dynamodb`). moto checks a write's
condition and applies it in separate steps without a lock, so two concurrent conditional
writes (or transactions) could both pass their conditions; DynamoDB never allows that, and the
grouping and claim code relies on it.
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.request

from moto.server import ThreadedMotoServer

ACCOUNT = "123456789012"
ADMIN_USER = "lookout-local-admin"
# Fixed, so every local process knows them (they grant nothing outside this moto).
ADMIN_KEY_ID = "AKIALOOKOUTLOCAL0001"
ADMIN_SECRET = "lookout-local-admin-secret-not-a-real-one"

# Request parameters that name resources (the rest of a body is data and is not recorded).
RESOURCE_KEYS = {
    "TableName", "IndexName", "QueueUrl", "SecretId", "GroupName", "Name",
    "FromEmailAddress", "Destination", "ToAddresses", "CcAddresses", "BccAddresses",
    "Target", "Arn", "RoleArn", "Entries",
}


def prune(value):
    """Only what names resources: table names (also as RequestItems keys), queue URLs, ..."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "RequestItems" and isinstance(v, dict):
                out[k] = {table: None for table in v}
            elif k == "TransactItems" and isinstance(v, list):
                out[k] = [
                    {op: {"TableName": (body or {}).get("TableName")} for op, body in item.items()}
                    for item in v if isinstance(item, dict)
                ]
            elif k in RESOURCE_KEYS:
                out[k] = prune(v)
        return out
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def enable_iam(audit_dir: "str | None") -> None:
    from moto import settings
    from moto.core import responses as core_responses
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    iam = iam_backends[ACCOUNT]["aws"]
    iam.create_user("us-east-1", ADMIN_USER, path="/")
    iam.put_user_policy(
        ADMIN_USER,
        "everything",
        json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    key = iam.create_access_key(ADMIN_USER)
    iam.access_keys.pop(key.physical_resource_id, None)
    key.access_key_id = ADMIN_KEY_ID
    key.secret_access_key = ADMIN_SECRET
    iam.access_keys[key.physical_resource_id] = key

    lock = threading.Lock()
    audit = None
    if audit_dir:
        os.makedirs(audit_dir, exist_ok=True)
        audit = open(os.path.join(audit_dir, f"moto-{os.getpid()}.jsonl"), "a", encoding="utf-8")

    original = core_responses.BaseResponse._authenticate_and_authorize_normal_action

    def role_of(access_key_id: str) -> "str | None":
        for assumed in list(sts_backends[ACCOUNT]["aws"].assumed_roles):
            if assumed.access_key_id == access_key_id:
                return assumed.role_arn.split("/")[-1]
        return None

    def checked(self, resource: str = "*") -> None:
        original(self, resource)  # raises when IAM refuses
        if audit is None:
            return
        auth = self.headers.get("Authorization", "")
        if "Credential=" not in auth:
            return
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        role = role_of(scope[0]) if scope[0].startswith("ASIA") else None
        if role is None:
            return
        raw = getattr(self, "raw_body", None) or getattr(self, "body", None)
        try:
            body = json.loads(raw) if raw else {}
        except (ValueError, TypeError):
            body = {}
        if not body and getattr(self, "querystring", None):
            body = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v)
                    for k, v in self.querystring.items()}
        record = {
            "role": role,
            "service": scope[3] if len(scope) > 3 else "?",
            "action": self._get_action(),
            "path": self.path,
            "params": prune(body) if isinstance(body, dict) else {},
        }
        with lock:
            audit.write(json.dumps(record, sort_keys=True) + "\n")
            audit.flush()

    core_responses.BaseResponse._authenticate_and_authorize_normal_action = checked
    # moto recomputes SigV4 signatures and gets some REST ones wrong (EventBridge Scheduler's
    # GET /schedule-groups/{name} never matches): keys and actions are what is checked here.
    from moto.iam.access_control import IAMRequestBase
    IAMRequestBase.check_signature = lambda self: None
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0


def serialize_dynamodb() -> None:
    """Makes each DynamoDB request atomic, as on AWS: moto evaluates a condition and writes
    the item in two steps, and its threaded server would otherwise interleave them."""
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    original = DynamoHandler.call_action

    def call_action(self):  # type: ignore[no-untyped-def]
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--exit-on-eof", action="store_true")
    ap.add_argument("--no-iam", action="store_true", help="do not enforce IAM")
    args = ap.parse_args()

    port = args.port
    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]

    serialize_dynamodb()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
            break
        except Exception:  # noqa: BLE001 - still starting
            time.sleep(0.05)
    if not args.no_iam and os.environ.get("LOOKOUT_MOTO_IAM", "1") != "0":
        enable_iam(os.environ.get("LOOKOUT_IAM_AUDIT_DIR") or None)
    print(f"MOTO_URL={url}", flush=True)

    if args.exit_on_eof:
        def watch_stdin() -> None:
            sys.stdin.read()
            os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
