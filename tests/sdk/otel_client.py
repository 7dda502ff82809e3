"""Python's real OpenTelemetry logs SDK (opentelemetry-sdk + opentelemetry-exporter-otlp-proto-http,
pinned in requirements-dev.txt), unchanged and with its default transport (OTLP/HTTP protobuf),
pointed at a local Lookout stack. Run by the tests: `python3 otel_client.py <scenario>`,
configured only by the standard variables: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (full URL) or
OTEL_EXPORTER_OTLP_ENDPOINT (base), OTEL_EXPORTER_OTLP_HEADERS=x-user-token=<token>,
OTEL_SERVICE_NAME, optionally OTEL_EXPORTER_OTLP_COMPRESSION=gzip.

Prints one JSON line: {"scenario", "sent": [what was logged], "exports": [each export()
result name, "SUCCESS" or "FAILURE"], "flushed": force_flush's bool}.

Scenarios:
  lines    an info line, a warning with extra={"order_id": 42}, an error inside a span (trace and
           span ids on the record) and logger.exception("otel failure")
  denied   one info line, for a caller that passes a wrong token: the export fails, exit 0
"""

import json
import logging
import os
import sys
import warnings

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

SCENARIO = sys.argv[1] if len(sys.argv) > 1 else "lines"
# A bounded wait: a refused or unreachable endpoint must not hang the test (the default is 10 s).
os.environ.setdefault("OTEL_EXPORTER_OTLP_TIMEOUT", "5")

exports = []


class RecordingExporter(OTLPLogExporter):
    """The stock exporter and transport; only records what each export() returned."""

    def export(self, batch):
        result = super().export(batch)
        exports.append(result.name)
        return result


# Resource.create() reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
provider = LoggerProvider(resource=Resource.create())
provider.add_log_record_processor(BatchLogRecordProcessor(RecordingExporter()))
with warnings.catch_warnings():
    # The SDK's LoggingHandler is deprecated in favour of opentelemetry-instrumentation-logging;
    # it still is the SDK's own bridge from `logging`, and needs no extra package.
    warnings.simplefilter("ignore", DeprecationWarning)
    handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)

log = logging.getLogger("billing.otel")
log.setLevel(logging.DEBUG)
log.propagate = False
log.addHandler(handler)

sent = []
if SCENARIO == "lines":
    log.info("otel info line")
    log.warning("stock low", extra={"order_id": 42})
    tracer = TracerProvider().get_tracer("billing.otel")
    with tracer.start_as_current_span("checkout") as span:
        log.error("otel error in span")
        ctx = span.get_span_context()
        trace_id, span_id = format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")
    try:
        raise ValueError("card declined")
    except ValueError:
        log.exception("otel failure")
    sent = [
        {"level": "info", "body": "otel info line"},
        {"level": "warn", "body": "stock low", "order_id": 42},
        {"level": "error", "body": "otel error in span", "trace_id": trace_id, "span_id": span_id},
        {"level": "error", "body": "otel failure", "exception.type": "ValueError"},
    ]
elif SCENARIO == "denied":
    log.info("otel denied line")
    sent = [{"level": "info", "body": "otel denied line"}]
else:
    sys.exit(f"unknown scenario {SCENARIO}")

flushed = provider.force_flush(timeout_millis=10_000)
provider.shutdown()
print(json.dumps({"scenario": SCENARIO, "sent": sent, "exports": exports, "flushed": flushed}))
