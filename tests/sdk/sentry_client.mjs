// Node's real Sentry SDK (@sentry/node, pinned in package.json), unchanged and with its default
// transport, pointed at a local Lookout stack by DSN. Run by the tests
// (tests/tests/incidents/sentry_sdk.rs): `node sentry_client.mjs <dsn> <scenario>`; prints one
// JSON line of what it did.
//
// Scenarios: errors (captureException inside a function, captureMessage), cron (withMonitor
// with a crontab + time zone monitor config: one run that succeeds, one that fails), logs
// (Sentry logs through Sentry.logger).

import * as Sentry from "@sentry/node";

const [dsn, scenario] = process.argv.slice(2);

Sentry.init({
  dsn,
  release: "billing@1.4.2",
  environment: "staging",
  serverName: "web-1",
  enableLogs: scenario === "logs",
  // No traces: the check-ins, events and logs are what is under test.
  tracesSampleRate: 0,
});

function charge(card) {
  const amount = 42;
  throw new TypeError(`card ${card} declined (amount ${amount})`);
}

function checkout(user) {
  Sentry.setUser({ id: user, email: `${user}@example.com` });
  Sentry.setTag("checkout.step", "payment");
  Sentry.addBreadcrumb({ category: "cart", message: "3 items", level: "info" });
  try {
    charge("4242");
  } catch (e) {
    return Sentry.captureException(e);
  }
}

const out = {};
if (scenario === "errors") {
  out.exception = checkout("u-17");
  out.message = Sentry.captureMessage("disk almost full on /var", "warning");
} else if (scenario === "cron") {
  const config = {
    schedule: { type: "crontab", value: "0 3 * * *" },
    timezone: "Europe/Vienna",
    checkinMargin: 5,
    maxRuntime: 30,
    failureIssueThreshold: 2,
    recoveryThreshold: 1,
  };
  await Sentry.withMonitor("nightly-backup", async () => {}, config);
  try {
    await Sentry.withMonitor(
      "nightly-backup",
      async () => {
        throw new Error("disk full");
      },
      config,
    );
  } catch {
    // the job's own failure
  }
  out.runs = 2;
} else if (scenario === "logs") {
  Sentry.logger.info("order A-100 shipped");
  Sentry.logger.warn("stock low for X-9", { warehouse: "VIE" });
  Sentry.logger.error("payment provider timed out");
  out.lines = 3;
} else {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}

await Sentry.flush(10000);
console.log(JSON.stringify(out));
