#!/usr/bin/env python3
"""Lookout smoke test: calls every HTTP route of template.yaml once against a running stack.

    export LOOKOUT_ADMIN_TOKEN=...   # the production admin token (SHA-256: AdminTokenSha256)
    scripts/smoke.sh https://<api-id>.execute-api.<region>.amazonaws.com     # after sam deploy
    scripts/smoke.sh http://127.0.0.1:9000                                   # make start

The admin token comes from --admin-token, else $LOOKOUT_ADMIN_TOKEN; against a loopback URL
(127.0.0.1, localhost, ::1) only, else .local/admin-token (what `make start` writes). The
routes it covers are ROUTES below (template path syntax; a test checks them against
template.yaml); a run that did not call one of them fails.

Everything the run creates has a unique name (`smoke-<hex>`): a tenant and its API key (all
scopes, expiring a day later), a log user, an incident app, a heartbeat app and a job run, a
contact book, a session. Cleanup runs in a `finally` (skipped with --keep): it revokes the API
key (DELETE /admin/api_keys) and deletes or retires everything else that has a route for it;
what cannot be deleted through the API is listed at the end with the reason. Safe to run
repeatedly against production, with two visible effects: one incident mail to AdminEmail
(level info, resolved by the test) and, if TelegramAdminChatId is set, one Telegram message.

One line per call: `METHOD PATH -> STATUS ok` or `METHOD PATH -> STATUS FAIL: reason`, then
`N passed, M failed`. Exit status 0 when everything passed, 1 when anything failed, 2 on a
usage error. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
TOKEN_FILE = ROOT / ".local" / "admin-token"

# Values that are secrets in some reply; never printed.
SECRET_FIELDS = {"apiKey", "pingKey", "token", "x_user_token", "code"}
# Reads that go through a GSI (or an eventually consistent Query) may lag a write by a moment.
READ_AFTER_WRITE_SECONDS = 15
# A warm function trusts an API key it verified for up to CredentialCacheSeconds (60 s by default):
# a revocation takes effect within that bound (docs/capacity.md), waited for with a margin.
KEY_CACHE_SECONDS = 60
REVOCATION_SECONDS = KEY_CACHE_SECONDS + 15
# The smoke heartbeat app: watched, but silent only after period + grace (8 days), so a run
# that dies before its cleanup (or --keep) does not page the admin at once.
HB_APP_ID = 23
HB_PERIOD = 604_800
HB_GRACE = 86_400
# Contacts get a Telegram chat id no chat has: a delivery to it fails (or, against the local
# messenger emulator, is accepted) without reaching anyone.
CONTACT_NAME = "smoke-contact"
CONTACT_TELEGRAM = "0"
SCHEDULE_AHEAD = timedelta(minutes=10)
# The run's API key stops working by itself this long after it was issued, so a run that dies
# before its cleanup (or --keep) leaves no usable key for long; the cleanup revokes it at once.
KEY_LIFETIME = timedelta(days=1)
# Hosts where .local/admin-token (the local stack's token) may stand in for the admin token.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

# Every route of template.yaml's HttpApi events (METHOD, template path), but `$default`, which
# the run exercises through POST //send_logs and POST /api/apps/. tests/tests/api/smoke_routes.rs
# checks this list equals the template's; the run fails if it did not call one of them.
ROUTES: list[tuple[str, str]] = [
    ("GET", "/console"),
    ("GET", "/console/{asset}"),
    ("GET", "/openapi.json"),
    ("POST", "/admin/api_keys"),
    ("GET", "/admin/api_keys"),
    ("DELETE", "/admin/api_keys"),
    ("POST", "/start_session"),
    ("POST", "/add_event"),
    ("POST", "/get_session"),
    ("POST", "/get_machine_events"),
    ("POST", "/end_session"),
    ("POST", "/admin/log_users"),
    ("POST", "/send_logs"),
    ("GET", "/logs"),
    ("POST", "/v1/logs"),
    ("POST", "/admin/heartbeat_apps"),
    ("GET", "/admin/heartbeat_apps"),
    ("POST", "/api/apps"),
    ("POST", "/api/apps/{signal}"),
    ("GET", "/badge/{token}"),
    ("GET", "/ping/{proxy+}"),
    ("HEAD", "/ping/{proxy+}"),
    ("POST", "/ping/{proxy+}"),
    ("PUT", "/ping/{proxy+}"),
    ("GET", "/admin/heartbeat_apps/output"),
    ("POST", "/admin/ping_keys"),
    ("POST", "/admin/alert_channels"),
    ("GET", "/admin/alert_channels"),
    ("DELETE", "/admin/alert_channels"),
    ("POST", "/admin/alert_channels/test"),
    ("GET", "/admin/alert_routes"),
    ("PUT", "/admin/alert_routes"),
    ("GET", "/admin/alert_failures"),
    ("GET", "/ack/{token}"),
    ("POST", "/ack/{token}"),
    ("POST", "/ack/telegram/{tenant}"),
    ("POST", "/admin/apps"),
    ("GET", "/admin/apps"),
    ("PUT", "/admin/apps"),
    ("DELETE", "/admin/apps"),
    ("POST", "/incidents"),
    ("POST", "/v1/incidents/new"),
    ("GET", "/admin/incidents"),
    ("GET", "/admin/incident"),
    ("PATCH", "/admin/incident"),
    ("GET", "/admin/overview"),
    ("POST", "/api/contacts"),
    ("GET", "/api/contacts"),
    ("PUT", "/api/contacts"),
    ("DELETE", "/api/contacts"),
    ("GET", "/api/get_failed_mess"),
]
# Called only by the cleanup: not called with --keep, which is no failure then.
CLEANUP_ROUTES = {("DELETE", "/admin/api_keys"), ("DELETE", "/admin/apps"),
                  ("DELETE", "/api/contacts"), ("DELETE", "/admin/alert_channels")}
# The smoke test's alert channel: a signed webhook to a public address that takes no alerts
# (its test alert is answered, by the site or the DNS, without reaching anyone).
SMOKE_WEBHOOK = "https://example.com/lookout-smoke-webhook"

Route = tuple[str, str]


def template_route(method: str, path: str) -> Route | None:
    """The ROUTES entry API Gateway would match `method path` to (`{name}` is one non-empty
    segment, a last `{name+}` one or more), or None (`$default`'s paths, such as
    //send_logs)."""
    got = path.split("/")
    for want_method, template in ROUTES:
        want = template.split("/")
        if want[-1].endswith("+}") and len(got) > len(want):
            got_here = got[:len(want) - 1] + ["/".join(got[len(want) - 1:])]
        else:
            got_here = got
        if want_method == method and len(want) == len(got_here) and all(
                w == g or (w.startswith("{") and w.endswith("}") and g)
                for w, g in zip(want, got_here)):
            return (want_method, template)
    return None


# ------------------------------------------------------------------ HTTP


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects come back as the 3xx they are; the test follows them itself."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        # Only string values: send_logs' numeric {"code": 403} is no secret.
        return {k: ("***" if k in SECRET_FIELDS and isinstance(v, str) else redact(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class Reply:
    """An HTTP answer, or the transport error that stood in for one (`status` None)."""

    def __init__(self, status: int | None, headers: Any = None, body: bytes = b"",
                 error: str | None = None) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.error = error
        self._json: Any = None
        self._parsed = False

    @property
    def json(self) -> Any:
        if not self._parsed:
            self._parsed = True
            try:
                self._json = json.loads(self.body.decode("utf-8")) if self.body else None
            except (UnicodeDecodeError, ValueError):
                self._json = None
        return self._json

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        return self.headers.get(name) if self.headers is not None else None

    def snippet(self, limit: int = 500) -> str:
        if self.json is not None:
            shown = json.dumps(redact(self.json), ensure_ascii=False)
        else:
            shown = " ".join(self.text.split())
        if not shown:
            shown = "(empty body)"
        return shown if len(shown) <= limit else shown[:limit] + "…"


class Client:
    def __init__(self, base: str, timeout: float) -> None:
        self.base = base
        self.timeout = timeout
        self.opener = urllib.request.build_opener(NoRedirect())
        self.base_path = urllib.parse.urlsplit(base).path
        # The ROUTES entries requests were sent to (whatever the answer).
        self.called: set[Route] = set()

    def url(self, path: str, query: dict[str, Any] | None = None) -> str:
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return url

    def request(self, method: str, url: str, *, body: Any = None,
                headers: dict[str, str] | None = None) -> Reply:
        data = None
        hdrs = {"Accept": "application/json", "User-Agent": "lookout-smoke/1"}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
        path = urllib.parse.urlsplit(url).path
        if path.startswith(self.base_path):
            route = template_route(method, path[len(self.base_path):])
            if route:
                self.called.add(route)
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return Reply(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:  # any non-2xx status, 3xx included
            try:
                payload = err.read()
            except (OSError, http.client.HTTPException):
                payload = b""
            return Reply(err.code, err.headers, payload)
        except (TimeoutError, socket.timeout):
            return Reply(None, error=f"no answer within {self.timeout:g} s (--timeout)")
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                return Reply(None, error=f"no answer within {self.timeout:g} s (--timeout)")
            return Reply(None, error=f"cannot connect: {reason}")
        except (OSError, http.client.HTTPException) as err:
            return Reply(None, error=f"connection failed: {type(err).__name__}: {err}")


# ------------------------------------------------------------------ checks and report

Check = tuple[str, Callable[[Any], bool]]


def holds(pred: Callable[[Any], bool], value: Any) -> bool:
    try:
        return bool(pred(value))
    except Exception:  # a missing key or a wrong type is a failed check, not a crash
        return False


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        # The ROUTES entries of calls reported "not run" (a call they depend on failed).
        self.skipped: set[Route] = set()

    def ok(self, label: str, status: int) -> None:
        self.passed += 1
        print(f"{label} -> {status} ok", flush=True)

    def fail(self, label: str, status: int | None, reason: str) -> None:
        self.failed += 1
        print(f"{label} -> {status if status is not None else '---'} FAIL: {reason}", flush=True)

    def not_run(self, label: str, why: str) -> None:
        method, _, rest = label.partition(" ")
        route = template_route(method, rest.split(" ")[0])
        if route:
            self.skipped.add(route)
        self.fail(label, None, f"not run: {why}")

    def expect(self, label: str, reply: Reply, status: int, *checks: Check) -> bool:
        if reply.status is None:
            self.fail(label, None, reply.error or "no answer")
            return False
        if reply.status != status:
            reason = f"expected {status}, got {reply.status}: {reply.snippet()}"
            hint = status_hint(label, reply)
            self.fail(label, reply.status, reason + (f" ({hint})" if hint else ""))
            return False
        broken = [desc for desc, pred in checks if not holds(pred, reply.json)]
        if broken:
            self.fail(label, reply.status, "; ".join(broken) + f" — body: {reply.snippet()}")
            return False
        self.ok(label, reply.status)
        return True


def status_hint(label: str, reply: Reply) -> str:
    body = reply.json if isinstance(reply.json, dict) else {}
    if reply.status == 401 and "/admin/" in label:
        return "is the admin token right? AdminTokenSha256 must be its SHA-256"
    if reply.status == 404 and (
            (body.get("message") == "Not Found" and "error" not in body)
            or str(body.get("message", "")).startswith("no route for")):
        # API Gateway's own 404, or the $default route's: the deployed API lacks the route.
        return "the deployed API has no such route: is the deployed template current?"
    if reply.status == 404 and reply.json is None:
        return "nothing at this path: is API_URL the Lookout API?"
    if reply.status >= 500 and "message" in body and "error" not in body and "code" not in body:
        # API Gateway's own answer ("Internal Server Error", "Service Unavailable"), not ours.
        return "the function crashed, timed out or could not start: see its CloudWatch logs"
    return ""


def is_hex(value: Any, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(
        c in "0123456789abcdef" for c in value)


# ------------------------------------------------------------------ time formats


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def seed_time(t: datetime) -> str:
    """The tracker seed's `YYYY-MM-DD HH:MM:SS` (UTC)."""
    return t.strftime("%Y-%m-%d %H:%M:%S")


def rfc3339(t: datetime) -> str:
    return t.isoformat()


def time_array(t: datetime) -> list[int]:
    """The messenger seed's `[Y, M, D, h, m, s]` (UTC)."""
    return [t.year, t.month, t.day, t.hour, t.minute, t.second]


# ------------------------------------------------------------------ the run


class Smoke:
    def __init__(self, client: Client, admin_token: str, keep: bool) -> None:
        self.c = client
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.keep = keep
        self.r = Report()
        self.run = secrets.token_hex(4)
        self.name = f"smoke-{self.run}"  # tenant, log user, incident app, messenger user
        # What exists (set as the run creates it, cleared as cleanup removes it).
        self.reached = False
        self.api_key: str | None = None
        self.key_id: str | None = None
        self.key_expires: str | None = None
        self.key_revoked = False
        self.session_id: str | None = None
        self.session_ended = False
        self.machine_id = f"smoke-machine-{self.run}"
        self.log_user: str | None = None
        self.x_user_token: str | None = None
        self.log_token_rotated = False
        self.log_lines = 0
        self.hb_app = False
        self.hb_retired = False
        self.badge_path: str | None = None
        self.ping_url: str | None = None
        self.app_name: str | None = None
        self.app_code: str | None = None
        self.app_deleted = False
        self.incident_id: str | None = None
        self.incident_resolved = False
        self.contact = False
        self.contact_deleted = False
        self.sends: list[tuple[str, bool, str]] = []  # (sendId, scheduled, scheduledAt)
        self.channel_id: str | None = None
        self.channel_deleted = False

    # ---- helpers

    def call(self, method: str, path: str, *, body: Any = None, query: dict | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        reply = self.c.request(method, self.c.url(path, query), body=body, headers=headers)
        # `cargo lambda watch` now and then loses an invocation and answers a 500 of its own (a
        # problem+json body; no function ran, its log shows no invoke). A deployed stack never
        # sends that body, so a read that got it is asked again; a write never is.
        for _ in range(2):
            if method != "GET" or reply.status != 500 or "httpstatuses.com" not in reply.text:
                break
            time.sleep(1)
            reply = self.c.request(method, self.c.url(path, query), body=body, headers=headers)
        return reply

    def key_headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.api_key or ""}

    def url_key_headers(self) -> dict[str, str]:
        """What a client sends for a base URL https://lookout:<key>@host (the seeds' clients)."""
        token = base64.b64encode(f"lookout:{self.api_key or ''}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def poll(self, make: Callable[[], Reply], status: int, pred: Callable[[Any], bool],
             seconds: float = READ_AFTER_WRITE_SECONDS) -> Reply:
        """Repeats a read while it answers `status` without what was just written (an index
        catching up), for up to `seconds`; returns the last answer."""
        deadline = time.monotonic() + seconds
        while True:
            reply = make()
            if reply.status != status or holds(pred, reply.json) or time.monotonic() >= deadline:
                return reply
            time.sleep(1)

    # ---- steps

    def reachable(self) -> bool:
        """GET /console first: no auth, no state. Without an answer there is nothing to test."""
        reply = self.call("GET", "/console")
        if reply.status is None:
            self.r.fail("GET /console", None, reply.error or "no answer")
            print(f"\nThe Lookout API does not answer at {self.c.base}: {reply.error}.\n"
                  "Check the URL (the ApiUrl stack output, or http://127.0.0.1:9000 for "
                  "`make start`) and that the stack is up.", file=sys.stderr)
            return False
        self.reached = True
        self.console(reply)
        return True

    def console(self, page: Reply) -> None:
        html = page.text if page.status == 200 else ""
        # The page links its assets relative to itself (`console/app.js?v=…` from /console), so
        # it works under a custom domain's base path: resolve each link against the page's URL
        # and keep those under this API's /console/.
        page_url = self.c.url("/console")
        base = urllib.parse.urlsplit(self.c.base)
        links: list[tuple[str, str]] = []
        for href, version in re.findall(r'(?:src|href)="([^"?#]+)(?:\?v=([^"&#]*))?"', html):
            target = urllib.parse.urlsplit(urllib.parse.urljoin(page_url, href))
            if (target.scheme, target.netloc) == (base.scheme, base.netloc) \
                    and target.path.startswith(self.c.base_path + "/console/"):
                links.append((target.path[len(self.c.base_path):], version))
        self.r.expect(
            "GET /console", page, 200,
            ("Content-Type is text/html",
             lambda _: (page.header("Content-Type") or "").startswith("text/html")),
            ("Content-Security-Policy is set",
             lambda _: bool(page.header("Content-Security-Policy"))),
            ("the page links its /console/ assets", lambda _: bool(links)),
        )
        types = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
        for path, version in links:
            ext = os.path.splitext(path)[1]
            reply = self.call("GET", path, query={"v": version} if version else None)
            want = types.get(ext, "")
            checks: list[Check] = [(
                f"Content-Type is {want or 'set'}",
                lambda _, r=reply, w=want: (r.header("Content-Type") or "").startswith(w)
                and bool(r.header("Content-Type")))]
            if version:
                checks.append(("a current ?v= asset is Cache-Control immutable",
                               lambda _, r=reply: "immutable" in (r.header("Cache-Control") or "")))
            checks.append(("body is not empty", lambda _, r=reply: len(r.body) > 0))
            self.r.expect(f"GET {path}", reply, 200, *checks)

    def openapi(self) -> None:
        """GET /openapi.json: public, no state; it must describe every route this run calls."""
        reply = self.call("GET", "/openapi.json")
        methods = {"get", "put", "post", "delete", "patch", "head", "options"}

        def documented(j: Any) -> set[Route]:
            # A greedy route's forms name it in `x-lookout-route` ("GET /ping/{proxy+}").
            def route(m: str, path: str, op: Any) -> Route:
                named = op.get("x-lookout-route", "") if isinstance(op, dict) else ""
                if " " in named:
                    method, template = named.split(" ", 1)
                    return (method, template)
                return (m.upper(), path)
            return {route(m, path, op) for path, item in j["paths"].items()
                    for m, op in item.items() if m in methods}

        self.r.expect("GET /openapi.json", reply, 200,
                      ('openapi is "3.1.0"', lambda j: j["openapi"] == "3.1.0"),
                      ("Content-Type is application/json",
                       lambda _: (reply.header("Content-Type") or "").startswith(
                           "application/json")),
                      ("ETag is set", lambda _: bool(reply.header("ETag"))),
                      ("every route of ROUTES is documented (if not: is the deployed template "
                       "current?)", lambda j: documented(j) >= set(ROUTES)))

    def issue_api_key(self) -> None:
        label = "POST /admin/api_keys"
        expires = rfc3339(utc_now() + KEY_LIFETIME)
        reply = self.call("POST", "/admin/api_keys", headers=self.admin,
                          body={"tenant": self.name, "label": f"smoke test {self.run}",
                                "expires_at": expires})
        if self.r.expect(label, reply, 201,
                         ("apiKey starts with lk_", lambda j: j["apiKey"].startswith("lk_")),
                         ("tenant is the smoke tenant", lambda j: j["tenant"] == self.name),
                         ("keyId is set", lambda j: bool(j["keyId"])),
                         ("every scope", lambda j: sorted(j["scopes"])
                          == ["heartbeats", "messenger", "tracker"]),
                         (f"expiresAt is {expires}",
                          lambda j: datetime.fromisoformat(j["expiresAt"].replace("Z", "+00:00"))
                          == datetime.fromisoformat(expires))):
            self.api_key = reply.json["apiKey"]
            self.key_id = reply.json["keyId"]
            self.key_expires = reply.json["expiresAt"]

    def list_api_keys(self) -> None:
        label = "GET /admin/api_keys"

        def mine(j: Any) -> list[Any]:
            return [k for k in j["keys"] if k["keyId"] == self.key_id]

        # The listing reads the by-tenant index, which may lag the issue a moment.
        reply = self.poll(lambda: self.call("GET", "/admin/api_keys", headers=self.admin,
                                            query={"tenant": self.name}),
                          200, lambda j: len(mine(j)) == 1)
        checks: list[Check] = [
            ("tenant matches", lambda j: j["tenant"] == self.name),
            ("keys is a list", lambda j: isinstance(j["keys"], list)),
            ("no key shows a secret or hash",
             lambda j: all(not {"apiKey", "pk", "hash"} & set(k) for k in j["keys"]))]
        if self.key_id:
            checks.append(("the run's key is listed, active, with its expiresAt",
                           lambda j: mine(j)[0]["active"] is True
                           and mine(j)[0]["revoked"] is False
                           and bool(mine(j)[0]["expiresAt"])))
        self.r.expect(label, reply, 200, *checks)

    def tracker(self) -> None:
        routes = ["POST /start_session", "POST /add_event", "POST /get_session",
                  "POST /get_machine_events", "POST /end_session"]
        if not self.api_key:
            for label in routes:
                self.r.not_run(label, "no API key (POST /admin/api_keys failed)")
            return
        t0 = utc_now() - timedelta(minutes=2)
        reply = self.call("POST", "/start_session", headers=self.key_headers(), body={
            "userId": f"smoke-user-{self.run}", "machineId": self.machine_id,
            "startAt": seed_time(t0), "orgId": 11232})
        if self.r.expect(routes[0], reply, 200,
                         ("sessionId is set", lambda j: bool(j["sessionId"])),
                         ("message is 'request received'",
                          lambda j: j["message"] == "request received")):
            self.session_id = reply.json["sessionId"]
        else:
            for label in routes[1:]:
                self.r.not_run(label, "no session (POST /start_session failed)")
            return
        sid = self.session_id
        events = [
            {"eventAt": seed_time(t0 + timedelta(seconds=30)), "eventType": "applicationStarted",
             "payload": {"info": "smoke test"}},
            {"eventAt": seed_time(t0 + timedelta(seconds=60)), "eventType": "exe",
             "payload": {"run": self.run}},
        ]
        reply = self.call("POST", "/add_event", headers=self.key_headers(),
                          body={"sessionId": sid, "events": events})
        self.r.expect(routes[1], reply, 200,
                      ("message is 'request received'",
                       lambda j: j["message"] == "request received"))

        reply = self.poll(
            lambda: self.call("POST", "/get_session", headers=self.key_headers(),
                              body={"sessionId": sid}),
            200, lambda j: len(j["events"]) == 2)
        self.r.expect(routes[2], reply, 200,
                      ("sessionId matches", lambda j: j["sessionId"] == sid),
                      ("machineId matches", lambda j: j["machineId"] == self.machine_id),
                      ("endAt is null (open)", lambda j: j["endAt"] is None),
                      ("both events, in eventAt order",
                       lambda j: [e["eventType"] for e in j["events"]]
                       == ["applicationStarted", "exe"]))

        reply = self.poll(
            lambda: self.call("POST", "/get_machine_events", headers=self.key_headers(),
                              body={"machineId": self.machine_id, "limit": 100}),
            200, lambda j: len(j["events"]) == 2)
        self.r.expect(routes[3], reply, 200,
                      ("machineId matches", lambda j: j["machineId"] == self.machine_id),
                      ("both events of the session",
                       lambda j: len(j["events"]) == 2
                       and all(e["sessionId"] == sid for e in j["events"])))

        self.end_session(routes[4])

    def end_session(self, label: str) -> None:
        reply = self.call("POST", "/end_session", headers=self.key_headers(),
                          body={"sessionId": self.session_id, "endAt": seed_time(utc_now())})
        if self.r.expect(label, reply, 200,
                         ("message is 'request received'",
                          lambda j: j["message"] == "request received")):
            self.session_ended = True

    def logs(self) -> None:
        label = "POST /admin/log_users"
        reply = self.call("POST", "/admin/log_users", headers=self.admin,
                          body={"user": self.name})
        if self.r.expect(label, reply, 201,
                         ("user matches", lambda j: j["user"] == self.name),
                         ("x_user_token is 32 hex digits",
                          lambda j: is_hex(j["x_user_token"], 32)),
                         ("rotated is false", lambda j: j["rotated"] is False)):
            self.log_user = self.name
            self.x_user_token = reply.json["x_user_token"]
        rest = ["POST /send_logs", "POST //send_logs", "POST /send_logs (after the 308)",
                "GET /logs", "POST /v1/logs"]
        if not self.x_user_token:
            for label in rest:
                self.r.not_run(label, "no log user (POST /admin/log_users failed)")
            return

        headers = {"X-User-Token": self.x_user_token}
        sent: list[str] = []

        def batch(n: int) -> dict:
            now = utc_now()
            msg = f"lookout smoke test {self.run} line {n}"
            return {"data": {"user": self.name, "pid": os.getpid(), "p_name": "lookout-smoke",
                             "post_time": rfc3339(now),
                             "logs": [{"level": "error", "msg": msg, "event_at": rfc3339(now),
                                       "p_description": "smoke test, safe to ignore"}]}}

        added = {"code": 200, "message": "Logs added successfully"}
        first = batch(1)
        reply = self.call("POST", "/send_logs", headers=headers, body=first)
        if self.r.expect(rest[0], reply, 200,
                         ('body is {"code":200,"message":"Logs added successfully"}',
                          lambda j: j == added)):
            sent.append(first["data"]["logs"][0]["msg"])

        # The seed's client posts to //send_logs; the API answers 308 to /send_logs, as the
        # original server did. Not followed automatically: checked, then resent by hand.
        second = batch(2)
        double = self.c.base + "//send_logs"
        reply = self.c.request("POST", double, headers=headers, body=second)
        location = reply.header("Location") or ""
        target = urllib.parse.urljoin(double, location) if location else ""
        want = urllib.parse.urlsplit(self.c.base)._replace(
            path=urllib.parse.urlsplit(self.c.base).path + "/send_logs", query="", fragment="")
        if self.r.expect(rest[1], reply, 308,
                         (f"Location is /send_logs (got {location!r})",
                          lambda _: urllib.parse.urlsplit(target)[:3] == want[:3]
                          and not urllib.parse.urlsplit(target).query)):
            reply = self.c.request("POST", target, headers=headers, body=second)
            if self.r.expect(rest[2], reply, 200,
                             ('body is {"code":200,"message":"Logs added successfully"}',
                              lambda j: j == added)):
                sent.append(second["data"]["logs"][0]["msg"])
        else:
            self.r.not_run(rest[2], "no usable 308 from POST //send_logs")

        # The same user's line as an OpenTelemetry exporter sends it (OTLP/JSON, the token
        # alone).
        now_ns = str(int(utc_now().timestamp() * 1e9))
        otlp_msg = f"lookout smoke test {self.run} OTLP line"
        export = {"resourceLogs": [{
            "resource": {"attributes": [{"key": "service.name",
                                         "value": {"stringValue": "lookout-smoke"}}]},
            "scopeLogs": [{"logRecords": [{
                "timeUnixNano": now_ns, "severityNumber": 17, "severityText": "ERROR",
                "body": {"stringValue": otlp_msg},
                "attributes": [{"key": "smoke.run", "value": {"stringValue": self.run}}]}]}]}]}
        reply = self.call("POST", "/v1/logs", headers=headers, body=export)
        if self.r.expect("POST /v1/logs", reply, 200,
                         ("an ExportLogsServiceResponse without rejections",
                          lambda j: not (j or {}).get("partialSuccess"))):
            sent.append(otlp_msg)
        self.log_lines = len(sent)

        reply = self.poll(
            lambda: self.call("GET", "/logs", headers=headers,
                              query={"user": self.name, "level": "error"}),
            200, lambda j: set(sent) <= {line["msg"] for line in j["logs"]})
        self.r.expect(rest[3], reply, 200,
                      ("user matches", lambda j: j["user"] == self.name),
                      (f"the {len(sent)} line(s) just sent are listed",
                       lambda j: set(sent) <= {line["msg"] for line in j["logs"]}))

    def heartbeats(self) -> None:
        label = "POST /admin/heartbeat_apps"
        reply = self.call("POST", "/admin/heartbeat_apps", headers=self.admin, body={
            "tenant": self.name, "app_id": HB_APP_ID,
            "period_seconds": HB_PERIOD, "grace_seconds": HB_GRACE})
        if self.r.expect(label, reply, 201,
                         ("tenant matches", lambda j: j["tenant"] == self.name),
                         ("app_id matches", lambda j: j["app_id"] == HB_APP_ID),
                         ("period_seconds as set", lambda j: j["period_seconds"] == HB_PERIOD)):
            self.hb_app = True
        beats = 0
        # The canonical route and the seed's trailing-slash shape (served by $default).
        for path in ("/api/apps", "/api/apps/"):
            label = f"POST {path}"
            if not self.api_key:
                self.r.not_run(label, "no API key (POST /admin/api_keys failed)")
                continue
            reply = self.call("POST", path, headers=self.key_headers(),
                              body={"app_id": HB_APP_ID, "message": "OK:200"})
            if self.r.expect(label, reply, 200,
                             ('status is "ok"', lambda j: j["status"] == "ok"),
                             ("app_id matches", lambda j: j["app_id"] == HB_APP_ID),
                             ('state is "up"', lambda j: j["state"] == "up"),
                             ("received_at is set", lambda j: bool(j["received_at"]))):
                beats += 1
                self.hb_app = True  # a first beat registers the app too

        # A job run of the same app: POST /api/apps/start, then /api/apps/success.
        run_id = f"smoke-run-{self.run}"
        finished = False
        if not self.api_key:
            for label in ("POST /api/apps/start", "POST /api/apps/success"):
                self.r.not_run(label, "no API key (POST /admin/api_keys failed)")
        else:
            reply = self.call("POST", "/api/apps/start", headers=self.key_headers(),
                              body={"app_id": HB_APP_ID, "run_id": run_id})
            started = self.r.expect(
                "POST /api/apps/start", reply, 200,
                ('status is "ok"', lambda j: j["status"] == "ok"),
                ('signal is "start"', lambda j: j["signal"] == "start"),
                ("run_id matches", lambda j: j["run_id"] == run_id),
                ("app_id matches", lambda j: j["app_id"] == HB_APP_ID))
            if started:
                self.hb_app = True
            reply = self.call("POST", "/api/apps/success", headers=self.key_headers(),
                              body={"app_id": HB_APP_ID, "run_id": run_id,
                                    "message": "smoke test run"})
            finished = self.r.expect(
                "POST /api/apps/success", reply, 200,
                ('status is "ok"', lambda j: j["status"] == "ok"),
                ('signal is "success"', lambda j: j["signal"] == "success"),
                ('the run finished as "success"',
                 lambda j: j["run"]["run_id"] == run_id and j["run"]["outcome"] == "success"),
                ("its duration is measured from the start" if started else "a run is reported",
                 lambda j: (isinstance(j["run"]["duration_ms"], int)
                            and j["run"]["duration_ms"] >= 0) if started else bool(j["run"])),
                ('state is "up"', lambda j: j["state"] == "up"))
            if finished:
                self.hb_app = True

        def listed(j: Any) -> bool:
            apps = [a for a in j["apps"] if a["app_id"] == HB_APP_ID]
            return (len(apps) == 1 and apps[0]["heartbeats"] >= beats
                    and (not finished or any(r.get("run_id") == run_id
                                             for r in apps[0]["runs"])))

        def app(j: Any) -> Any:
            return next(a for a in j["apps"] if a["app_id"] == HB_APP_ID)

        reply = self.poll(
            lambda: self.call("GET", "/admin/heartbeat_apps", headers=self.admin,
                              query={"tenant": self.name}),
            200, listed)
        checks: list[Check] = [
            ("tenant matches", lambda j: j["tenant"] == self.name),
            (f"app {HB_APP_ID} listed with {beats} heartbeat(s)"
             + (" and its finished run" if finished else ""), listed),
            ("the app has a badge_path /badge/…",
             lambda j: app(j)["badge_path"].startswith("/badge/"))]
        if self.r.expect("GET /admin/heartbeat_apps", reply, 200, *checks):
            self.badge_path = app(reply.json)["badge_path"]
            self.ping_url = app(reply.json).get("ping_url")

        # The public badge: no key, the signed token in the path.
        if not self.badge_path:
            self.r.not_run("GET /badge/{token}",
                           "no badge_path (GET /admin/heartbeat_apps failed)")
            return
        reply = self.call("GET", self.badge_path, headers={"Accept": "image/svg+xml"})
        self.r.expect(f"GET {self.badge_path}", reply, 200,
                      ("Content-Type is image/svg+xml",
                       lambda _: (reply.header("Content-Type") or "").startswith("image/svg+xml")),
                      ("Cache-Control is public",
                       lambda _: "public" in (reply.header("Cache-Control") or "")),
                      (f'the SVG says "{HB_APP_ID}: up"',
                       lambda _: reply.text.lstrip().startswith("<svg")
                       and f"{HB_APP_ID}: up" in reply.text))

    def pings(self) -> None:
        """Healthchecks' ping URLs: the app's by UUID (each method, a signal, a body kept as
        output), and a ping key's slug URL (revoked at once, then refused within
        CredentialCacheSeconds)."""
        labels = ["GET /ping/<uuid>", "HEAD /ping/<uuid>/start", "POST /ping/<uuid>/log",
                  "PUT /ping/<uuid>/0", "GET /admin/heartbeat_apps/output"]
        if not self.ping_url:
            for label in labels:
                self.r.not_run(label, "no ping_url (GET /admin/heartbeat_apps failed)")
        else:
            path = urllib.parse.urlsplit(self.ping_url).path
            if self.c.base_path and path.startswith(self.c.base_path):
                path = path[len(self.c.base_path):]
            said_ok = ('the answer is "OK"', lambda _: reply.text == "OK")
            # The `ping` index finds a new app within a moment.
            reply = self.poll(lambda: self.call("GET", path), 404, lambda _: False)
            self.r.expect(labels[0], reply, 200, said_ok,
                          ("Access-Control-Allow-Origin is *",
                           lambda _: reply.header("Access-Control-Allow-Origin") == "*"))
            reply = self.call("HEAD", path + "/start")
            self.r.expect(labels[1], reply, 200)
            output = f"smoke output {self.run}"
            reply = self.call("POST", path + "/log", body=output.encode())
            self.r.expect(labels[2], reply, 200, said_ok)
            reply = self.call("PUT", path + "/0")
            self.r.expect(labels[3], reply, 200, said_ok)
            listed = self.call("GET", "/admin/heartbeat_apps", headers=self.admin,
                               query={"tenant": self.name})
            outputs = [o for a in (listed.json or {}).get("apps", [])
                       if a["app_id"] == HB_APP_ID for o in a.get("outputs", [])]
            if not outputs:
                self.r.not_run(labels[4], "the app lists no output of the /log ping")
            else:
                reply = self.call("GET", "/admin/heartbeat_apps/output", headers=self.admin,
                                  query={"tenant": self.name, "app_id": HB_APP_ID,
                                         "output": outputs[0]["id"]})
                self.r.expect(labels[4], reply, 200,
                              ("the body is the /log ping's", lambda j: j["body"] == output))

        reply = self.call("POST", "/admin/ping_keys", headers=self.admin,
                          body={"tenant": self.name, "label": "smoke test (revoked at once)"})
        if not self.r.expect("POST /admin/ping_keys", reply, 201,
                             ('scopes are ["ping"]', lambda j: j["scopes"] == ["ping"]),
                             ("pingUrl has {slug}", lambda j: j["pingUrl"].endswith("/{slug}"))):
            self.r.not_run("GET /ping/<ping key>/<slug>", "no ping key")
            return
        ping_key, ping_key_id = reply.json["pingKey"], reply.json["keyId"]
        slug_path = f"/ping/{ping_key}/{HB_APP_ID}"
        reply = self.call("GET", slug_path)
        self.r.expect("GET /ping/<ping key>/<slug>", reply, 200,
                      ('the answer is "OK"', lambda _: reply.text == "OK"))
        reply = self.poll(lambda: self.call("DELETE", "/admin/api_keys", headers=self.admin,
                                            body={"tenant": self.name, "key_id": ping_key_id}),
                          404, lambda _: False)
        if self.r.expect("DELETE /admin/api_keys (the ping key)", reply, 200,
                         ("revoked", lambda j: j["revoked"] is True)):
            # Warm functions that verified the key trust it for up to CredentialCacheSeconds.
            reply = self.poll(lambda: self.call("GET", slug_path), 200, lambda _: False,
                              seconds=REVOCATION_SECONDS)
            self.r.expect("GET /ping/<ping key>/<slug> (revoked key)", reply, 404,
                          ('the answer is "not found"', lambda _: reply.text == "not found"))

    def alerts(self) -> None:
        """A tenant alert channel (a signed webhook): created (URL masked, secret shown once),
        listed, tested, routed to; the failed list read. Routes cleared and the channel
        deleted by the cleanup."""
        reply = self.call("POST", "/admin/alert_channels", headers=self.admin, body={
            "tenant": self.name, "kind": "webhook", "name": "smoke", "url": SMOKE_WEBHOOK})
        if not self.r.expect("POST /admin/alert_channels", reply, 201,
                             ("signing_secret shown", lambda j: j["signing_secret"].startswith("whsec_")),
                             ("url masked", lambda j: "lookout-smoke-webhook" not in j["url"])):
            for label in ["GET /admin/alert_channels", "POST /admin/alert_channels/test",
                          "PUT /admin/alert_routes", "GET /admin/alert_routes"]:
                self.r.not_run(label, "no channel")
        else:
            cid = self.channel_id = reply.json["id"]
            reply = self.call("GET", "/admin/alert_channels", headers=self.admin,
                              query={"tenant": self.name})
            self.r.expect("GET /admin/alert_channels", reply, 200,
                          ("lists the channel, masked, no secret",
                           lambda j: [(c["id"], c["signed"]) for c in j["channels"]] == [(cid, True)]
                           and "signing_secret" not in j["channels"][0]))
            reply = self.call("POST", "/admin/alert_channels/test", headers=self.admin,
                              body={"tenant": self.name, "id": cid})
            self.r.expect("POST /admin/alert_channels/test", reply, 200,
                          ("an outcome", lambda j: j["outcome"] in ("delivered", "retry", "failed")))
            routes = {"default": [cid], "rules": [{"kind": "heartbeat", "min_level": "error",
                                                   "channels": [cid]}]}
            reply = self.call("PUT", "/admin/alert_routes", headers=self.admin,
                              body={"tenant": self.name, **routes})
            self.r.expect("PUT /admin/alert_routes", reply, 200,
                          ("the routes stored", lambda j: j["default"] == [cid]))
            reply = self.call("GET", "/admin/alert_routes", headers=self.admin,
                              query={"tenant": self.name})
            self.r.expect("GET /admin/alert_routes", reply, 200,
                          ("the routes read back", lambda j: {k: j[k] for k in routes} == routes))
        reply = self.call("GET", "/admin/alert_failures", headers=self.admin,
                          query={"tenant": self.name})
        self.r.expect("GET /admin/alert_failures", reply, 200,
                      ("a list", lambda j: isinstance(j["failures"], list)))
        # An acknowledgement link that Lookout did not sign: a page saying so, nothing done.
        forged = "c21va2UKaW5jCjk5OTk5OTk5OTk.0123456789abcdef0123456789abcdef"
        for method in ("GET", "POST"):
            reply = self.call(method, f"/ack/{forged}")
            self.r.expect(f"{method} /ack/<forged token>", reply, 404,
                          ("an HTML page saying so", lambda _, r=reply: "not valid" in r.text))
        # A Telegram button press without the tenant's secret token: refused, nothing done.
        reply = self.call("POST", f"/ack/telegram/{self.name}",
                          headers={"X-Telegram-Bot-Api-Secret-Token": "0" * 32},
                          body={"update_id": 1, "callback_query": {
                              "id": "1", "from": {"id": 1, "first_name": "smoke"},
                              "data": "a:00000000-0000-0000-0000-000000000000:0123456789abcdef"}})
        self.r.expect("POST /ack/telegram/<tenant> with a wrong secret token", reply, 401,
                      ("an unauthorized error", lambda j: j["error"] == "unauthorized"))

    def incidents(self) -> None:
        name = self.name
        reply = self.call("POST", "/admin/apps", headers=self.admin, body={
            "name": name, "description": "Lookout smoke test app; deleted by the test"})
        if self.r.expect("POST /admin/apps", reply, 201,
                         ("name matches", lambda j: j["name"] == name),
                         ("code is 32 hex digits", lambda j: is_hex(j["code"], 32))):
            self.app_name = name
            self.app_code = reply.json["code"]

        reply = self.poll(lambda: self.call("GET", "/admin/apps", headers=self.admin),
                          200, lambda j: any(a["name"] == name for a in j["apps"]))
        checks: list[Check] = [("apps is a list", lambda j: isinstance(j["apps"], list)),
                               ("no app shows a code",
                                lambda j: all("code" not in a for a in j["apps"]))]
        if self.app_name:
            checks.append((f"app {name} listed",
                           lambda j: any(a["name"] == name for a in j["apps"])))
        self.r.expect("GET /admin/apps", reply, 200, *checks)

        if not self.app_name:
            for label in ("PUT /admin/apps", "POST /incidents", "GET /admin/incidents",
                          "GET /admin/incident", "PATCH /admin/incident"):
                self.r.not_run(label, "no app (POST /admin/apps failed)")
            return

        # Link the app to this run's log user and heartbeat app (enrichment), rotate its code.
        change: dict[str, Any] = {"name": name, "rotate_code": True,
                                  "description": "Lookout smoke test app (updated)"}
        if self.log_user:
            change.update(log_user=self.log_user, log_process="lookout-smoke")
        if self.hb_app:
            change.update(heartbeat_tenant=self.name, heartbeat_app_id=str(HB_APP_ID))
        reply = self.call("PUT", "/admin/apps", headers=self.admin, body=change)
        if self.r.expect("PUT /admin/apps", reply, 200,
                         ("description changed",
                          lambda j: j["description"] == change["description"]),
                         ("links as set",
                          lambda j: j.get("log_user") == change.get("log_user")
                          and j.get("heartbeat_tenant") == change.get("heartbeat_tenant")),
                         ("a new code", lambda j: is_hex(j["code"], 32)
                          and j["code"] != self.app_code)):
            self.app_code = reply.json["code"]

        title = f"Lookout smoke test {self.run}"
        def report(logs: str) -> dict:
            return {"incident": {"title": title, "level": "info",
                                 "message": "Smoke test after a deploy; the test resolves it itself.",
                                 "logs": logs},
                    "app_name": name, "code": self.app_code}

        reply = self.call("POST", "/incidents", body=report("smoke log 1\nsmoke log 2"))
        if self.r.expect("POST /incidents", reply, 201,
                         ("id is set", lambda j: bool(j["id"])),
                         ('status is "open"', lambda j: j["status"] == "open"),
                         ("count is 1, not grouped",
                          lambda j: j["count"] == 1 and j["grouped"] is False)):
            self.incident_id = reply.json["id"]
        iid = self.incident_id

        # The seed-001 client's route: the same report again is a repeat (grouped), answered
        # 200 with the "ok" that client reads.
        reply = self.call("POST", "/v1/incidents/new", body=report("smoke log 3"))
        self.r.expect("POST /v1/incidents/new", reply, 200,
                      ("ok is true", lambda j: j["ok"] is True),
                      ("grouped into the same incident",
                       lambda j: j["grouped"] is True and j["id"] == iid))

        reply = self.poll(
            lambda: self.call("GET", "/admin/incidents", headers=self.admin,
                              query={"app": name, "limit": 10}),
            200, lambda j: any(i["id"] == iid for i in j["incidents"]))
        checks = [("incidents is a list", lambda j: isinstance(j["incidents"], list))]
        if iid:
            checks.append(("the new incident is listed",
                           lambda j: any(i["id"] == iid for i in j["incidents"])))
        self.r.expect("GET /admin/incidents", reply, 200, *checks)

        if not iid:
            for label in ("GET /admin/incident", "PATCH /admin/incident"):
                self.r.not_run(label, "no incident (POST /incidents failed)")
            return
        reply = self.call("GET", "/admin/incident", headers=self.admin, query={"id": iid})
        self.r.expect("GET /admin/incident", reply, 200,
                      ("id matches", lambda j: j["id"] == iid),
                      ("app_name and title match",
                       lambda j: j["app_name"] == name and j["title"] == title),
                      ("the sent logs are kept",
                       lambda j: j["logs"] == ["smoke log 1", "smoke log 2"]),
                      ("history is a list", lambda j: isinstance(j["history"], list)),
                      ("notified is true, i.e. SES accepted the admin mail (if not: is "
                       "SenderEmail verified, and AdminEmail too in the SES sandbox?)",
                       lambda j: j["notified"] is True))

        reply = self.call("PATCH", "/admin/incident", headers=self.admin, body={
            "id": iid, "status": "acknowledged", "assignee": "smoke-test",
            "notes": "acknowledged by the smoke test", "by": "smoke-test"})
        self.r.expect("PATCH /admin/incident", reply, 200,
                      ('status is "acknowledged"', lambda j: j["status"] == "acknowledged"),
                      ("assignee set", lambda j: j["assignee"] == "smoke-test"),
                      ("one history entry per changed field",
                       lambda j: {h["field"] for h in j["history"]}
                       >= {"status", "assignee", "notes"}))

    def overview(self) -> None:
        """GET /admin/overview: across tenants, so only its shape and this run's part of it (the
        open incident listed, the fresh heartbeat app neither down nor late) are checked."""
        iid = self.incident_id

        def has_incident(j: Any) -> bool:
            return (any(i["id"] == iid for i in j["incidents"]["recent"])
                    or j["incidents"]["truncated"] is True)

        # The open-incidents index may lag the report a moment.
        reply = self.poll(lambda: self.call("GET", "/admin/overview", headers=self.admin),
                          200, lambda j: not iid or has_incident(j))
        checks: list[Check] = [
            ("generated_at and since are set",
             lambda j: bool(j["generated_at"]) and bool(j["since"])),
            ("apps has down and late lists",
             lambda j: isinstance(j["apps"]["down"], list)
             and isinstance(j["apps"]["late"], list)),
            ("incidents has total, by_level and recent",
             lambda j: isinstance(j["incidents"]["total"], int)
             and isinstance(j["incidents"]["by_level"], dict)
             and isinstance(j["incidents"]["recent"], list)),
            ("failed_deliveries has count and recent",
             lambda j: isinstance(j["failed_deliveries"]["count"], int)
             and isinstance(j["failed_deliveries"]["recent"], list)),
            ("incident_volume is a list", lambda j: isinstance(j["incident_volume"], list))]
        if iid:
            checks.append(("the open smoke incident is listed", has_incident))
        if self.hb_app:
            checks.append(("the smoke heartbeat app is neither down nor late",
                           lambda j: all(a["tenant"] != self.name
                                         for a in j["apps"]["down"] + j["apps"]["late"])))
        self.r.expect("GET /admin/overview", reply, 200, *checks)

    def messenger(self) -> None:
        routes = ["POST /api/contacts", "GET /api/contacts", "PUT /api/contacts (now)",
                  "PUT /api/contacts (scheduled)", "GET /api/get_failed_mess"]
        if not self.api_key:
            for label in routes:
                self.r.not_run(label, "no API key (POST /admin/api_keys failed)")
            return
        user = self.name
        reply = self.call("POST", "/api/contacts", headers=self.key_headers(), body={
            "user_name": user,
            "contact": {"name": CONTACT_NAME,
                        "messangers": {"telegram": CONTACT_TELEGRAM, "whatsApp": "",
                                       "viber": ""}}})
        if self.r.expect(routes[0], reply, 200,
                         ("success is true", lambda j: j == {"success": True})):
            self.contact = True

        def has_contact(j: Any) -> bool:
            return j["contacts"][CONTACT_NAME]["telegram"] == CONTACT_TELEGRAM

        # The seed's client sends GET bodies, and its key comes in its base URL (Basic auth);
        # so does this call.
        reply = self.poll(lambda: self.call("GET", "/api/contacts", headers=self.url_key_headers(),
                                            body={"user_name": user}),
                          200, has_contact)
        checks: list[Check] = [("contacts is an object",
                                lambda j: isinstance(j["contacts"], dict))]
        if self.contact:
            checks.append((f"{CONTACT_NAME} listed with its Telegram address", has_contact))
        self.r.expect(routes[1], reply, 200, *checks)

        if not self.contact:
            for label in routes[2:4]:
                self.r.not_run(label, "no contact (POST /api/contacts failed)")
        else:
            now = utc_now()
            for label, at, scheduled, extra in (
                    (routes[2], now, False, {"Idempotency-Key": f"smoke-{self.run}-now"}),
                    (routes[3], now + SCHEDULE_AHEAD, True, {})):
                reply = self.call("PUT", "/api/contacts",
                                  headers={**self.key_headers(), **extra}, body={
                                      "user_name": user, "contact": [CONTACT_NAME],
                                      "message": f"Lookout smoke test {self.run}",
                                      "time": time_array(at)})
                if self.r.expect(label, reply, 200,
                                 ("success is true", lambda j: j["success"] is True),
                                 ("sendId is set", lambda j: bool(j["sendId"])),
                                 (f"scheduled is {str(scheduled).lower()}",
                                  lambda j, s=scheduled: j["scheduled"] is s),
                                 ("one delivery", lambda j: j["deliveries"] == 1)):
                    self.sends.append((reply.json["sendId"], scheduled,
                                       str(reply.json.get("scheduledAt"))))

        reply = self.call("GET", "/api/get_failed_mess", headers=self.key_headers(),
                          query={"user_name": user})
        self.r.expect(routes[4], reply, 200, ("data is a list",
                                              lambda j: isinstance(j["data"], list)))

    # ---- cleanup

    def cleanup(self) -> None:
        if self.channel_id:
            reply = self.call("PUT", "/admin/alert_routes", headers=self.admin,
                              body={"tenant": self.name, "default": [], "rules": []})
            self.r.expect("PUT /admin/alert_routes (cleared)", reply, 200)
            reply = self.call("DELETE", "/admin/alert_channels", headers=self.admin,
                              body={"tenant": self.name, "id": self.channel_id})
            if self.r.expect("DELETE /admin/alert_channels", reply, 200,
                             ("deleted", lambda j: j["deleted"] is True)):
                self.channel_deleted = True
        if self.contact and self.api_key:
            reply = self.call("DELETE", "/api/contacts", headers=self.key_headers(),
                              body={"user_name": self.name, "contact": CONTACT_NAME})
            if self.r.expect("DELETE /api/contacts", reply, 200,
                             ("success is true, nothing not found",
                              lambda j: j == {"success": True, "not_found": []})):
                self.contact_deleted = True
        if self.incident_id:
            reply = self.call("PATCH", "/admin/incident", headers=self.admin, body={
                "id": self.incident_id, "status": "resolved", "by": "smoke-test",
                "notes": "resolved by the smoke test"})
            if self.r.expect("PATCH /admin/incident (resolve)", reply, 200,
                             ('status is "resolved"', lambda j: j["status"] == "resolved")):
                self.incident_resolved = True
        if self.app_name:
            reply = self.call("DELETE", "/admin/apps", headers=self.admin,
                              query={"name": self.app_name})
            if self.r.expect("DELETE /admin/apps", reply, 200,
                             ("deleted names the app",
                              lambda j: j == {"deleted": self.app_name})):
                self.app_deleted = True
        if self.hb_app:
            reply = self.call("POST", "/admin/heartbeat_apps", headers=self.admin, body={
                "tenant": self.name, "app_id": HB_APP_ID, "action": "retire"})
            if self.r.expect("POST /admin/heartbeat_apps (retire)", reply, 200,
                             ('state is "retired"', lambda j: j["state"] == "retired")):
                self.hb_retired = True
        if self.session_id and not self.session_ended and self.api_key:
            self.end_session("POST /end_session (cleanup)")
        if self.log_user:
            # No delete route: replace the token and forget the new one, so nobody can send
            # or read as this user any more.
            reply = self.call("POST", "/admin/log_users", headers=self.admin,
                              body={"user": self.log_user, "rotate": True})
            if self.r.expect("POST /admin/log_users (rotate, token discarded)", reply, 200,
                             ("rotated is true", lambda j: j["rotated"] is True)):
                self.log_token_rotated = True
        if self.key_id:
            self.revoke_api_key()

    def revoke_api_key(self) -> None:
        """Last, as the calls above need the key: revokes it, then checks it is refused."""
        body = {"tenant": self.name, "key_id": self.key_id}
        # The revoke finds the key through the by-tenant index: a 404 may be that index lagging.
        reply = self.poll(lambda: self.call("DELETE", "/admin/api_keys", headers=self.admin,
                                            body=body),
                          404, lambda _: False)
        if self.r.expect("DELETE /admin/api_keys", reply, 200,
                         ("keyId matches", lambda j: j["keyId"] == self.key_id),
                         ("revoked, not active",
                          lambda j: j["revoked"] is True and j["active"] is False),
                         ("revokedAt is set", lambda j: bool(j["revokedAt"]))):
            self.key_revoked = True
        else:
            return
        # Any route with the key: a read that would write nothing had it been let through.
        reply = self.poll(lambda: self.call("GET", "/api/get_failed_mess",
                                            headers=self.key_headers(),
                                            query={"user_name": self.name}),
                          200, lambda _: False)
        self.r.expect("GET /api/get_failed_mess (revoked key refused)", reply, 401,
                      ('message is "API key revoked"',
                       lambda j: j["message"] == "API key revoked"))

    def check_coverage(self) -> None:
        """Fails each route of ROUTES this run neither called nor reported as not run."""
        missing = [r for r in ROUTES if r not in self.c.called and r not in self.r.skipped]
        if self.keep:
            kept = [r for r in missing if r in CLEANUP_ROUTES]
            missing = [r for r in missing if r not in CLEANUP_ROUTES]
            if kept:
                print("not called with --keep: " + ", ".join(f"{m} {p}" for m, p in kept),
                      flush=True)
        for method, path in missing:
            self.r.fail(f"{method} {path}", None,
                        "listed in ROUTES but this run never called it")

    def left_behind(self) -> list[str]:
        """What is still there after the run, and why (accurate for the code as it is)."""
        out: list[str] = []
        why = "--keep" if self.keep else "its cleanup call failed"
        if self.key_id and self.key_revoked:
            out.append(
                f"API key {self.key_id} of tenant {self.name}: revoked (refused on every route); "
                "no delete route: GET /admin/api_keys lists it as revoked until DynamoDB TTL "
                "removes its record, 30 days after the revocation")
        elif self.key_id:
            out.append(
                f"API key {self.key_id} of tenant {self.name}: still valid ({why}) until it "
                f"expires at {self.key_expires}, then DynamoDB TTL removes it; to end it now: "
                f"DELETE /admin/api_keys {{\"tenant\":\"{self.name}\",\"key_id\":"
                f"\"{self.key_id}\"}}")
        if self.session_id:
            state = "ended" if self.session_ended else f"still open: {why}"
            out.append(
                f"session {self.session_id} ({state}) and its events: no delete route; they "
                "expire by DynamoDB TTL after TrackerRetentionDays (default 90 days)")
        if self.log_user:
            token = ("its token was rotated and the new one discarded, so it cannot be used"
                     if self.log_token_rotated else f"its token still works ({why})")
            out.append(
                f"log user {self.log_user}: no delete route and no TTL on log users; {token}")
        if self.log_lines:
            out.append(
                f"{self.log_lines} log line(s) of {self.log_user}: no delete route; they expire "
                "by DynamoDB TTL after LogRetentionDays (default 30 days)")
        if self.hb_app:
            if self.hb_retired:
                out.append(
                    f"heartbeat app {HB_APP_ID} of tenant {self.name} (its job run is kept in "
                    "the app's record): retired; deleted by DynamoDB TTL 90 days after "
                    "retirement")
            else:
                out.append(
                    f"heartbeat app {HB_APP_ID} of tenant {self.name}: still watched ({why}); it "
                    f"goes DOWN (and mails the admin) {(HB_PERIOD + HB_GRACE) // 86_400} days after its last "
                    "beat unless retired: POST /admin/heartbeat_apps "
                    f"{{\"tenant\":\"{self.name}\",\"app_id\":{HB_APP_ID},\"action\":\"retire\"}}")
        if self.channel_id and not self.channel_deleted:
            out.append(f"alert channel {self.channel_id} of tenant {self.name}: not deleted "
                       f"({why}): PUT /admin/alert_routes {{\"tenant\":\"{self.name}\","
                       f"\"default\":[],\"rules\":[]}}, then DELETE /admin/alert_channels "
                       f"{{\"tenant\":\"{self.name}\",\"id\":\"{self.channel_id}\"}}")
        if self.app_name and not self.app_deleted:
            out.append(f"incident app {self.app_name}: not deleted ({why}): DELETE "
                       f"/admin/apps?name={self.app_name}")
        if self.incident_id:
            state = "resolved" if self.incident_resolved else f"not resolved: {why}"
            out.append(
                f"incident {self.incident_id} ({state}) with its history: no delete route, "
                "and incidents carry no expiresAt, so it stays in GET /admin/incidents (its "
                "mail, if SES accepted it, went to AdminEmail)")
        if self.contact and not self.contact_deleted:
            out.append(f"contact {CONTACT_NAME} of messenger user {self.name}: not "
                       f"deleted ({why}): DELETE /api/contacts "
                       f"{{\"user_name\":\"{self.name}\",\"contact\":\"{CONTACT_NAME}\"}}")
        for send_id, scheduled, at in self.sends:
            when = (f"its one-time schedule fires at {at} and then deletes itself; the "
                    "delivery goes out then" if scheduled else "delivered at once")
            out.append(
                f"send {send_id} to Telegram chat {CONTACT_TELEGRAM} ({when}; it fails "
                "unless the messenger emulator answers): no delete route; the send and its "
                "delivery expire by DynamoDB TTL MessengerRetentionDays (default 30) after "
                "they were due")
        return out


# ------------------------------------------------------------------ main


def admin_token(cli: str | None, loopback: bool) -> tuple[str | None, str]:
    """The token and where it came from. .local/admin-token is the local stack's token: it is
    used only against a loopback URL, never sent to (and refused by) a deployed stack."""
    if cli:
        return cli.strip(), "--admin-token"
    env = os.environ.get("LOOKOUT_ADMIN_TOKEN", "").strip()
    if env:
        return env, "$LOOKOUT_ADMIN_TOKEN"
    if not loopback:
        return None, ""
    try:
        token = TOKEN_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        token = ""
    if token:
        return token, str(TOKEN_FILE.relative_to(ROOT))
    return None, ""


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Lookout smoke test: every route once, with cleanup.",
        epilog="Exit status: 0 all passed, 1 something failed, 2 usage error.")
    ap.add_argument("api", metavar="API_URL",
                    help="base URL, e.g. https://<api-id>.execute-api.<region>.amazonaws.com "
                         "or http://127.0.0.1:9000")
    ap.add_argument("--admin-token",
                    help="admin bearer token (default: $LOOKOUT_ADMIN_TOKEN; against "
                         "127.0.0.1, localhost or ::1 only, then .local/admin-token)")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds per request (default 30)")
    ap.add_argument("--keep", action="store_true",
                    help="skip the cleanup: leave what the run created (listed at the end)")
    args = ap.parse_args()

    base = args.api.strip().rstrip("/")
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        print(f"smoke: {args.api!r} is not an http(s) base URL like "
              "https://<api-id>.execute-api.<region>.amazonaws.com", file=sys.stderr)
        return 2
    if args.timeout <= 0:
        print("smoke: --timeout must be positive", file=sys.stderr)
        return 2
    try:
        host = parts.hostname or ""
    except ValueError:
        host = ""
    loopback = host.lower() in LOOPBACK_HOSTS
    token, source = admin_token(args.admin_token, loopback)
    if not token:
        local = TOKEN_FILE.relative_to(ROOT)
        if loopback:
            print("smoke: no admin token: export LOOKOUT_ADMIN_TOKEN, pass --admin-token, or "
                  f"start the local stack (`make start` writes {local})", file=sys.stderr)
        else:
            print(f"smoke: no admin token for {host or base}: export LOOKOUT_ADMIN_TOKEN=<the "
                  "production admin token> (the one whose SHA-256 is the stack's "
                  "AdminTokenSha256) or pass --admin-token <token>. "
                  f"{local} is the local stack's token, used only against 127.0.0.1, "
                  "localhost or ::1.", file=sys.stderr)
        return 2

    smoke = Smoke(Client(base, args.timeout), token, args.keep)
    print(f"Lookout smoke test of {base} (run {smoke.run}, names {smoke.name}, admin token "
          f"from {source})", flush=True)
    interrupted = False
    try:
        if smoke.reachable():
            smoke.openapi()
            smoke.issue_api_key()
            smoke.list_api_keys()
            smoke.tracker()
            smoke.logs()
            smoke.heartbeats()
            smoke.pings()
            smoke.alerts()
            smoke.incidents()
            smoke.overview()
            smoke.messenger()
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: cleaning up", file=sys.stderr, flush=True)
    finally:
        if smoke.keep:
            print("cleanup skipped (--keep)", flush=True)
        else:
            try:
                smoke.cleanup()
            except KeyboardInterrupt:
                interrupted = True
                print("cleanup interrupted", file=sys.stderr, flush=True)
        if smoke.reached and not interrupted:
            smoke.check_coverage()
        left = smoke.left_behind()
        if left:
            print("\nLeft behind:")
            for item in left:
                print(f"  - {item}")
            print()
        r = smoke.r
        print(f"{r.passed} passed, {r.failed} failed", flush=True)
    return 1 if r.failed or interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
