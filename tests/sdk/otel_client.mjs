// Node's real OpenTelemetry logs SDK (@opentelemetry/sdk-logs + @opentelemetry/exporter-logs-otlp-http,
// pinned in package.json), unchanged and with its default transport (OTLP/HTTP JSON), pointed at a
// local Lookout stack. Run by the tests: `node otel_client.mjs <scenario>`, configured only by the
// standard variables: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (full URL) or OTEL_EXPORTER_OTLP_ENDPOINT
// (base), OTEL_EXPORTER_OTLP_HEADERS=x-user-token=<token>, OTEL_SERVICE_NAME.
//
// Prints one JSON line: {scenario, sent: [what was emitted], exports: [each export's
// ExportResultCode: 0 SUCCESS, 1 FAILED], results: [the same as names], errors: [messages]}.
//
// Scenarios: lines (info "otel node info"; error "otel node error" with {"order.id": 7} in a
// trace/span context), denied (one info line for a caller with a wrong token: the export fails,
// exit 0).

import { context, trace, TraceFlags } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { defaultResource, detectResources, envDetector } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";

const scenario = process.argv[2] ?? "lines";
const CODES = { 0: "SUCCESS", 1: "FAILED" };

// The stock exporter (endpoint and headers from the environment); a bounded wait so that a refused
// or unreachable endpoint cannot hang the test. Only export()'s callback is observed.
const exporter = new OTLPLogExporter({ timeoutMillis: 5000 });
const exports = [];
const errors = [];
const export_ = exporter.export.bind(exporter);
exporter.export = (items, done) =>
  export_(items, (result) => {
    exports.push(result.code);
    if (result.error) errors.push(String(result.error.message ?? result.error));
    done(result);
  });

// envDetector reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, as the Node SDK does.
const provider = new LoggerProvider({
  resource: defaultResource().merge(detectResources({ detectors: [envDetector] })),
  processors: [new BatchLogRecordProcessor({ exporter })],
});
const logger = provider.getLogger("billing.otel", "1.4.2");

const sent = [];
if (scenario === "lines") {
  logger.emit({ severityNumber: SeverityNumber.INFO, severityText: "INFO", body: "otel node info" });
  const traceId = "5b8efff798038103d269b633813fc60c";
  const spanId = "eee19b7ec3c1b174";
  const ctx = trace.setSpanContext(context.active(), {
    traceId,
    spanId,
    traceFlags: TraceFlags.SAMPLED,
  });
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: "ERROR",
    body: "otel node error",
    attributes: { "order.id": 7 },
    context: ctx,
  });
  sent.push({ level: "info", body: "otel node info" });
  sent.push({ level: "error", body: "otel node error", "order.id": 7, traceId, spanId });
} else if (scenario === "denied") {
  logger.emit({ severityNumber: SeverityNumber.INFO, severityText: "INFO", body: "otel node denied" });
  sent.push({ level: "info", body: "otel node denied" });
} else {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}

await provider.forceFlush();
await provider.shutdown();
const results = exports.map((code) => CODES[code] ?? String(code));
console.log(JSON.stringify({ scenario, sent, exports, results, errors }));
