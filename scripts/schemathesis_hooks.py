"""Schemathesis hooks for Lookout's local stack (scripts/schemathesis.sh; docs/openapi.md).

Sentry's envelopes (`application/x-sentry-envelope`, what the SDKs send) are bytes: they are
sent as `application/octet-stream` bodies are, under their own media type.

Two hooks, for two gaps of the local emulator, not of Lookout.

`cargo lambda watch` now and then loses an invocation and answers 500 itself, with its own
problem+json body (`"type":"https://httpstatuses.com/500"`; no function ran: its log shows no
invoke). API Gateway has no such failure, and Lookout's own 5xx bodies are never that one. Such
an answer is sent again, at most twice, and each resend is printed: a fault of Lookout's (a
panic, an error a function returns) answers the same way every time and still fails the run.

The other of the local emulator, not of Lookout: `cargo lambda watch` turns each
HTTP request into an API Gateway event with the body as text, and a body that is not UTF-8
never reaches the function: watch itself answers 500. API Gateway hands such a body to the
function base64-encoded, and every function parses it as bytes (the fuzz suite sends random
binary bodies that way: tests/tests/fuzz). So bodies that are not UTF-8 are not sent here;
bodies that are UTF-8 but not JSON still are.
"""

import sys

import schemathesis
from schemathesis.transport.requests import RequestsTransport

WATCH_LOST_INVOCATION = b'"type":"https://httpstatuses.com/500"'
_send = RequestsTransport.send


def _lost_by_watch(response):
    return response.status_code == 500 and WATCH_LOST_INVOCATION in (response.content or b"")


def _send_again_if_watch_lost_it(self, case, *args, **kwargs):
    response = _send(self, case, *args, **kwargs)
    for _ in range(2):
        if not _lost_by_watch(response):
            break
        print(
            f"schemathesis_hooks: cargo lambda watch answered 500 itself for "
            f"{case.method.upper()} {case.formatted_path}; sent again",
            file=sys.stderr,
        )
        response = _send(self, case, *args, **kwargs)
    return response


RequestsTransport.send = _send_again_if_watch_lost_it

schemathesis.serializer.alias("application/x-sentry-envelope", "application/octet-stream")
schemathesis.serializer.alias("application/x-protobuf", "application/octet-stream")


@schemathesis.hook
def filter_body(context, body):
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True
