"""Python's real Sentry SDK (sentry-sdk, pinned in requirements-dev.txt), unchanged and with its
default transport, pointed at a local Lookout stack by DSN. Run by the tests
(tests/tests/incidents/sentry_sdk.rs): `python3 sentry_client.py <dsn> <scenario>`; prints one
JSON line of what it did (event ids, the HTTP statuses the transport saw).

Scenarios:
  errors   capture_exception inside a function, capture_message, the logging integration
  cron     sentry_sdk.crons: the monitor decorator with a crontab + time zone monitor_config,
           one run that succeeds and one that fails
  logs     Sentry logs (enable_logs) through sentry_sdk.logger
  burst    N (argv[3]) exceptions, one at a time: what a quota hit does to the SDK
"""

import json
import logging
import sys

import sentry_sdk
from sentry_sdk.crons import monitor
from sentry_sdk.integrations.logging import LoggingIntegration

DSN, SCENARIO = sys.argv[1], sys.argv[2]

# The transport's answers, seen through the SDK's own debug log (the transport is unchanged).
statuses = []


class StatusLog(logging.Handler):
    def emit(self, record):
        msg = record.getMessage()
        if "status" in msg.lower() or "rate limit" in msg.lower():
            statuses.append(msg)


logging.getLogger("sentry_sdk.errors").addHandler(StatusLog())


def init(**extra):
    sentry_sdk.init(
        dsn=DSN,
        release="billing@1.4.2",
        environment="staging",
        server_name="web-1",
        default_integrations=True,
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        **extra,
    )


def charge(card):
    amount = 42
    raise ValueError(f"card {card} declined (amount {amount})")


def checkout(user):
    sentry_sdk.set_user({"id": user, "email": f"{user}@example.com"})
    sentry_sdk.set_tag("checkout.step", "payment")
    sentry_sdk.add_breadcrumb(category="cart", message="3 items", level="info")
    try:
        charge("4242")
    except ValueError:
        return sentry_sdk.capture_exception()


out = {}
if SCENARIO == "errors":
    init()
    out["exception"] = checkout("u-17")
    out["message"] = sentry_sdk.capture_message("disk almost full on /var", level="warning")
    log = logging.getLogger("billing.jobs")
    log.setLevel(logging.INFO)
    log.info("retrying payment for %s", "u-17")  # a breadcrumb
    log.error("payment failed for %s", "u-17")  # an event
    out["logging"] = sentry_sdk.last_event_id()
elif SCENARIO == "cron":
    init()
    config = {
        "schedule": {"type": "crontab", "value": "0 3 * * *"},
        "timezone": "Europe/Vienna",
        "checkin_margin": 5,
        "max_runtime": 30,
        "failure_issue_threshold": 2,
        "recovery_threshold": 1,
    }

    @monitor(monitor_slug="nightly-backup", monitor_config=config)
    def backup(fail):
        if fail:
            raise RuntimeError("disk full")

    backup(False)
    try:
        backup(True)
    except RuntimeError:
        pass
    out["runs"] = 2
elif SCENARIO == "logs":
    init(enable_logs=True)
    sentry_sdk.logger.info("order {order} shipped", order="A-100")
    sentry_sdk.logger.warning("stock low for {sku}", sku="X-9", attributes={"warehouse": "VIE"})
    sentry_sdk.logger.error("payment provider timed out")
    out["lines"] = 3
elif SCENARIO == "burst":
    init()
    ids = []
    for n in range(int(sys.argv[3])):
        try:
            raise KeyError(f"missing {n}")
        except KeyError:
            ids.append(sentry_sdk.capture_exception())
        sentry_sdk.flush(timeout=10)
    out["ids"] = ids
else:
    sys.exit(f"unknown scenario {SCENARIO}")

sentry_sdk.flush(timeout=10)
out["statuses"] = statuses
print(json.dumps(out))
