"""Schemathesis hooks for Lookout's local stack (scripts/schemathesis.sh; docs/openapi.md).

Sentry's envelopes (`application/x-sentry-envelope`, what the SDKs send) are bytes: they are
sent as `application/octet-stream` bodies are, under their own media type.

One hook, for one gap of the local emulator, not of Lookout: `cargo lambda watch` turns each
HTTP request into an API Gateway event with the body as text, and a body that is not UTF-8
never reaches the function: watch itself answers 500. API Gateway hands such a body to the
function base64-encoded, and every function parses it as bytes (the fuzz suite sends random
binary bodies that way: tests/tests/fuzz). So bodies that are not UTF-8 are not sent here;
bodies that are UTF-8 but not JSON still are.
"""

import schemathesis

schemathesis.serializer.alias("application/x-sentry-envelope", "application/octet-stream")


@schemathesis.hook
def filter_body(context, body):
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True
