// Browser tests of the Lookout web console: Debian's chromium driven by playwright-core.
//
// Started by `cargo test -p lookout-tests --test console`, which runs a live stack (moto +
// cargo lambda watch), seeds data through the API and passes it here as environment variables:
// LOOKOUT_API_URL, LOOKOUT_ADMIN_TOKEN, LOOKOUT_APP, LOOKOUT_INCIDENT_ID, LOOKOUT_INCIDENT_TITLE,
// LOOKOUT_LOG_USER, LOOKOUT_HB_TENANT, LOOKOUT_API_KEY, LOOKOUT_MESSENGER_USER, LOOKOUT_NEW_APP,
// LOOKOUT_DOWN_APP, LOOKOUT_LATE_APP, LOOKOUT_SENTRY_INCIDENT_ID, LOOKOUT_EMULATOR_URL,
// LOOKOUT_DEPS_TENANT (routes with `web` depending on `db`, a nightly window and quiet hours; `db`
// and `web` down, web's alert held under db), LOOKOUT_DEPS_DB_INCIDENT_ID (db's outage incident),
// LOOKOUT_ARTIFACTS (screenshots). The Rust side then checks what the browser changed is stored.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest, createServer } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} must be set (run through cargo test -p lookout-tests --test console)`);
  return v;
};
const BASE = env('LOOKOUT_API_URL');
const ARTIFACTS = process.env.LOOKOUT_ARTIFACTS || join(process.cwd(), 'tests/artifacts/console');
mkdirSync(ARTIFACTS, { recursive: true });

let context;
let page;
let profile;
const problems = []; // console errors, CSP violations, page errors
const foreign = []; // requests that left the console's origin

const navTo = (name) => page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

// Waits until the current view's table has `n` body rows (and, if given, shows `text`).
async function rows(n, text) {
  await page.waitForFunction(([count, needle]) => {
    const trs = document.querySelectorAll('main tbody tr');
    return trs.length === count && (!needle || document.querySelector('main').textContent.includes(needle));
  }, [n, text ?? null]);
  return page.locator('main tbody tr');
}

async function statusSays(fragment) {
  await page.waitForFunction((f) => document.querySelector('#status')?.textContent.includes(f), fragment);
}

// The page never scrolls sideways at 1280 px: wide tables scroll inside their card.
async function fitsTheWindow() {
  const fit = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth, window: window.innerWidth,
    cards: Math.max(0, ...[...document.querySelectorAll('main .scroll, main .card')].map((c) => c.getBoundingClientRect().right)),
  }));
  assert.ok(fit.page <= fit.window && fit.cards <= fit.window, JSON.stringify(fit));
}

describe('Lookout console in chromium', () => {
  before(async () => {
    profile = mkdtempSync(join(tmpdir(), 'lookout-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 860 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(120_000); // watch may still be building a function on first call
    page.on('console', (m) => {
      // A 401 the test provokes on purpose is logged by chromium as a failed load.
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('serves the page with a strict CSP and shows the sign-in form', async () => {
    const resp = await page.goto(`${BASE}/console`);
    assert.equal(resp.status(), 200);
    const headers = resp.headers();
    assert.match(headers['content-security-policy'], /script-src 'self'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline scripts');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.getByRole('navigation').isHidden(), true, 'no navigation before sign-in');
    await shot('01-sign-in');
  });

  it('refuses a wrong token with a message, using the keyboard only', async () => {
    const token = page.getByLabel('Admin token', { exact: true });
    assert.equal(await token.evaluate((el) => el === document.activeElement), true, 'token field has focus');
    await page.keyboard.type('not-the-token');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent.includes('401'));
    assert.equal(await token.getAttribute('aria-invalid'), 'true');
    await statusSays('not accepted (401)');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused token is not kept');
  });

  it('signs in with the admin token, kept in sessionStorage only', async () => {
    await page.getByLabel('Admin token', { exact: true }).fill(env('LOOKOUT_ADMIN_TOKEN'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
    const stored = await page.evaluate(() => ({ s: Object.values(sessionStorage), l: Object.values(localStorage), url: location.href, cookie: document.cookie }));
    assert.deepEqual(stored.s, [env('LOOKOUT_ADMIN_TOKEN')]);
    assert.ok(!stored.l.includes(env('LOOKOUT_ADMIN_TOKEN')) && !stored.url.includes(env('LOOKOUT_ADMIN_TOKEN')) && stored.cookie === '');
    assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Incidents', exact: true }).getAttribute('aria-current'), 'page');
  });

  it('filters incidents by app and level, and pages', async () => {
    const app = env('LOOKOUT_APP');
    await page.getByLabel('App', { exact: true }).selectOption(app);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await rows(2, 'Slow checkout');
    const titles = await page.locator('main tbody tr td:nth-child(5)').allTextContents();
    assert.deepEqual(titles, ['Payments down', 'Slow checkout'], 'most recently seen first');
    await shot('02-incidents');

    await page.getByLabel('Level', { exact: true }).selectOption('crit');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const one = await rows(1, 'Payments down');
    assert.match(await one.first().textContent(), /crit/);
    assert.match(await page.evaluate(() => location.hash), /app=.*&level=crit/);
    await statusSays('1 incident shown');

    // Pagination: one incident per page over the app's two.
    await page.evaluate((a) => { location.hash = `#incidents?${new URLSearchParams({ app: a, limit: '1' })}`; }, app);
    await rows(1, 'Payments down');
    assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Next page' }).click();
    await rows(1, 'Slow checkout');
    await page.getByRole('button', { name: 'Previous page' }).click();
    await rows(1, 'Payments down');
    await page.getByLabel('Level', { exact: true }).selectOption('crit');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction(() => location.hash.includes('level=crit'));
    await rows(1, 'Payments down');
  });

  it('opens an incident with its logs, recent logs and history', async () => {
    await page.getByRole('link', { name: env('LOOKOUT_INCIDENT_TITLE') }).click();
    await page.getByRole('heading', { name: env('LOOKOUT_INCIDENT_TITLE'), level: 1 }).waitFor();
    assert.equal(await page.locator('#status').textContent(), '', 'no message left over from the list');
    assert.match(await page.evaluate(() => location.hash), new RegExp(`#incident/${env('LOOKOUT_INCIDENT_ID')}`));
    assert.match(await page.getByLabel('Logs sent with the report', { exact: true }).textContent(), /trace line 1\ntrace line 2\ntrace line 3/);
    const recent = page.getByRole('table', { name: /latest log lines/ });
    assert.match(await recent.textContent(), /checkout step 7/);
    assert.match(await page.locator('main').textContent(), /No changes yet/);
    await shot('03-incident');
  });

  it('changes status, assignee and notes; the history shows who did it', async () => {
    await page.getByLabel('Status', { exact: true }).selectOption('acknowledged');
    await page.getByLabel('Assignee', { exact: true }).fill('dana');
    await page.getByLabel('Notes', { exact: true }).fill('Rolled back the payment gateway config.');
    await page.getByLabel('Changed by', { exact: true }).fill('Console Tester');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await statusSays('Saved');
    const history = page.getByRole('table', { name: /Changes, oldest first/ });
    await history.waitFor();
    const text = await history.textContent();
    for (const part of ['status', 'open', 'acknowledged', 'assignee', 'dana', 'notes', 'Console Tester']) assert.ok(text.includes(part), part);
    assert.equal(await page.getByLabel('Status', { exact: true }).inputValue(), 'acknowledged');
    await shot('04-incident-updated');

    // Saving again without changes writes nothing.
    await page.getByRole('button', { name: 'Save changes' }).click();
    await statusSays('Nothing changed');
  });

  it('goes back to the filtered list, where the new status shows', async () => {
    await page.getByRole('link', { name: '← Back to incidents' }).click();
    await rows(1, 'Payments down');
    assert.match(await page.locator('main tbody tr').first().textContent(), /acknowledged/);
    assert.equal(await page.getByLabel('Level', { exact: true }).inputValue(), 'crit', 'filters kept');
    await page.getByLabel('Level', { exact: true }).selectOption('');
    await page.getByLabel('Status', { exact: true }).selectOption('open');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await rows(1, 'Slow checkout');
  });

  it('shows what is broken now across tenants, without typing a tenant', async () => {
    await navTo('Overview');
    await page.getByRole('heading', { name: 'What is broken now', level: 1 }).waitFor();
    const down = page.getByRole('table', { name: 'Apps down' });
    await down.waitFor();
    assert.match(await down.textContent(), new RegExp(`${env('LOOKOUT_HB_TENANT')}${env('LOOKOUT_DOWN_APP')}down.*run failed with exit code 3`));
    const late = page.getByRole('table', { name: 'Apps late' });
    assert.match(await late.textContent(), new RegExp(`${env('LOOKOUT_LATE_APP')}late`));
    // One bar per level with an open incident, its count as its text alternative (the
    // Sentry event is the second error; the three heartbeat outages, nightly-backup, db and
    // web, are crit beside "Payments down").
    for (const [level, n] of [['warning', 1], ['error', 2], ['crit', 4]]) {
      assert.equal(await page.getByRole('img', { name: `${level}: ${n}` }).count(), 1, level);
    }
    const width = await page.getByRole('img', { name: 'crit: 4' }).evaluate((el) => el.getBoundingClientRect().width);
    assert.ok(width > 50, `the bar is drawn (${width}px)`);
    // Incidents opened per day: 30 columns, oldest first; today's holds at least the four
    // seeded ones and is drawn.
    const today = new Date().toISOString().slice(0, 10);
    const volume = page.getByRole('figure', { name: /^Incidents opened per day: \d+ incidents in 30 days$/ });
    assert.equal(await volume.getByRole('img').count(), 30);
    const todayCol = volume.getByRole('img').last();
    const [, opened] = (await todayCol.getAttribute('aria-label')).match(new RegExp(`^${today}: (\\d+) incidents$`));
    assert.ok(Number(opened) >= 4, `today: ${opened} incidents opened`);
    const height = await todayCol.evaluate((el) => el.getBoundingClientRect().height);
    assert.ok(height > 5, `today's column is drawn (${height}px)`);
    await page.getByText('No delivery failed in the last 24 hours.').waitFor();
    assert.doesNotMatch(await page.locator('main').textContent(), /false|undefined|null/, 'no stray values');
    await statusSays('open incidents');
    await shot('05b-overview');
    // Each line links to its detail: the tenant's heartbeat apps, the incident.
    await page.getByRole('table', { name: 'Most recently active open incidents' })
      .getByRole('link', { name: env('LOOKOUT_INCIDENT_TITLE') }).click();
    await page.getByRole('heading', { name: env('LOOKOUT_INCIDENT_TITLE'), level: 1 }).waitFor();
    await navTo('Overview');
    await down.getByRole('link', { name: env('LOOKOUT_HB_TENANT'), exact: true }).click();
    await rows(4, env('LOOKOUT_DOWN_APP'));
  });

  it('folds a down app’s held dependents under it in the overview', async () => {
    const tenant = env('LOOKOUT_DEPS_TENANT');
    await navTo('Overview');
    const down = page.getByRole('table', { name: 'Apps down' });
    await down.waitFor();
    // web waits for db: one line under db's row, folded, naming it.
    const fold = down.locator('tr.dependents details').filter({ hasText: '1 dependent held: web' });
    await fold.waitFor();
    const parent = await fold.evaluate((el) => el.closest('tr').previousElementSibling.textContent);
    assert.ok(parent.startsWith(`${tenant}dbdown`), parent);
    assert.equal(await fold.getAttribute('open'), null, 'folded at first');
    assert.equal(await down.locator('tr.dependents').filter({ hasText: 'held: web' }).count(), 1, 'under db only');
    // Opened: each dependent with its held alert.
    await fold.locator('summary').click();
    const held = fold.getByRole('list', { name: 'Held while db is down' });
    assert.match(await held.getByRole('listitem').first().textContent(), /^web: .+, held since \d{4}-\d\d-\d\d \d\d:\d\d/);
    assert.equal(await held.getByRole('listitem').count(), 1);
    assert.doesNotMatch(await page.locator('main').textContent(), /false|undefined|null/, 'no stray values');
    await fitsTheWindow();
    await shot('05d-overview-dependents');
    await fold.getByRole('link', { name: `All held alerts of ${tenant}` }).click();
    await page.getByRole('table', { name: 'Waiting for db (down)' }).waitFor();
  });

  it('lists the dependents held while a heartbeat outage lasts on its incident', async () => {
    await page.evaluate((id) => { location.hash = `#incident/${id}`; }, env('LOOKOUT_DEPS_DB_INCIDENT_ID'));
    await page.getByRole('heading', { name: 'App db is down', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Held while this is down', level: 2 }).waitFor();
    const held = page.getByRole('table', { name: /^Dependents of db held/ });
    const trs = held.locator('tbody tr');
    assert.equal(await trs.count(), 1);
    assert.match(await trs.first().textContent(), /^web.+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok((await page.locator('main').textContent()).includes(`Apps of ${env('LOOKOUT_DEPS_TENANT')} that depend on db`));
    await shot('05e-outage-held');
  });

  it('registers an app and shows its code once, with a copy button', async () => {
    await navTo('Apps');
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    await page.getByRole('table', { name: /Registered apps/ }).waitFor();
    const name = env('LOOKOUT_NEW_APP');
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Description', { exact: true }).fill('added in the browser test');
    await page.getByRole('button', { name: 'Register' }).click();
    const panel = page.getByRole('region', { name: `Code for ${name}` });
    await panel.waitFor();
    const code = (await panel.locator('code.secret').textContent()).trim();
    assert.match(code, /^[0-9a-zA-Z]{16,}$/);
    await page.getByRole('button', { name: 'Copy code' }).click();
    await statusSays('copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code);
    await page.getByRole('table', { name: /Registered apps/ }).getByRole('cell', { name, exact: true }).waitFor();
    // Its Sentry DSN, whole this once, with the two lines that connect an SDK.
    const dsnPanel = page.getByRole('region', { name: `Sentry DSN for ${name}` });
    const dsn = (await dsnPanel.locator('code.secret').textContent()).trim();
    const [, key, project] = dsn.match(/^https?:\/\/([0-9a-f]{32})@[^/]+\/(\d{10})$/);
    const connect = await dsnPanel.getByLabel('How to connect a Sentry SDK').textContent();
    assert.ok(connect.includes(`sentry_sdk.init(dsn="${dsn}")`) && connect.includes(`Sentry.init({ dsn: "${dsn}" })`), connect);
    await shot('05-apps-code-once');

    // Once left, the code and the DSN's key are gone for good; the list shows the key's start.
    await navTo('Incidents');
    await navTo('Apps');
    const row = page.getByRole('table', { name: /Registered apps/ }).getByRole('row').filter({ hasText: name });
    await row.waitFor();
    assert.ok(!(await page.content()).includes(code), 'the code is not shown again');
    assert.ok(!(await page.content()).includes(key), 'nor the DSN key');
    assert.match(await row.locator('code.dsn').textContent(), new RegExp(`^https?://${key.slice(0, 6)}\\*{4}@[^/]+/${project}$`));
  });

  it('shows a Sentry incident with its stack trace, tags, release and breadcrumbs', async () => {
    await page.evaluate((id) => { location.hash = `#incident/${id}`; }, env('LOOKOUT_SENTRY_INCIDENT_ID'));
    await page.getByRole('heading', { name: 'ValueError: card 4242 declined (amount 42)', level: 1 }).waitFor();
    const facts = page.getByLabel('Sentry event', { exact: true });
    for (const text of ['billing@1.4.2', 'staging', 'web-1', 'sentry.python', 'id: u-17']) assert.ok((await facts.textContent()).includes(text), text);
    // The stack trace: open, the frame that raised first, its line of code shown.
    const trace = page.getByRole('group', { name: /^Stack trace: ValueError/ });
    assert.equal(await trace.getAttribute('open'), '');
    const frames = trace.getByRole('list', { name: /In-app frames of ValueError, innermost first/ }).getByRole('listitem');
    assert.match(await frames.first().textContent(), /^charge in __main__, line \d+.*raise ValueError/s);
    assert.match(await frames.nth(1).textContent(), /^checkout in __main__/);
    assert.match(await page.getByRole('table', { name: /^Tags/ }).textContent(), /checkout\.step\s*payment/);
    assert.match(await page.getByRole('table', { name: /^Breadcrumbs, oldest first/ }).textContent(), /cart.*3 items/s);
    await shot('05c-sentry-incident');
    // Collapsible: a click on its summary folds it.
    await trace.locator('summary').first().click();
    assert.equal(await trace.getAttribute('open'), null);
  });

  it('shows the heartbeat state of a tenant’s apps', async () => {
    await navTo('Heartbeats');
    await page.getByLabel('Tenant', { exact: true }).fill(env('LOOKOUT_HB_TENANT'));
    await page.getByRole('button', { name: 'Show' }).click();
    const trs = await rows(4, 'OK:200');
    const text = (await trs.allTextContents()).join('\n');
    assert.match(text, /^7\s*up/m);
    assert.match(text, /300s \+ 60s/);
    assert.match(text, /8\s*up.*OK:200/);
    // Pictures: a 30-day uptime strip per app (today is down for the failed job) and its runs.
    const strip = page.getByRole('group', { name: /^App nightly-backup, last 30 days: [\d.]+% up$/ });
    assert.equal(await strip.getByRole('img').count(), 30);
    const today = new Date().toISOString().slice(0, 10);
    const cell = await strip.getByRole('img', { name: new RegExp(`^${today}: `) }).getAttribute('aria-label');
    assert.ok(Number(cell.match(/: ([\d.]+)% up/)[1]) < 50, cell);
    assert.equal(await page.getByRole('group', { name: /^App 7, last 30 days: 100% up$/ }).count(), 1);
    const runs = page.getByRole('group', { name: 'App nightly-backup, last 1 runs' });
    assert.match(await runs.getByRole('img').getAttribute('aria-label'), /fail, no start/);
    // App 7's ping URL (copied by its button) and the body of its /log ping, beside its runs.
    const copy = page.getByRole('button', { name: 'Copy the ping URL of app 7' });
    assert.match(await copy.getAttribute('title'), /\/ping\/[0-9a-f-]{36}$/);
    await copy.click();
    await statusSays('Ping URL of app 7 copied');
    await page.getByText('1 output', { exact: true }).click();
    await page.getByRole('button', { name: /^Show the output of app 7 at / }).click();
    await page.waitForFunction(() => document.querySelector('pre.output')?.textContent === 'rotated 2 files');
    await shot('06-heartbeats');
    await page.getByRole('button', { name: 'Pause app 8' }).click();
    await statusSays('pause done');
    await page.waitForFunction(() => document.querySelector('main tbody')?.textContent.includes('paused'));
  });

  it('keeps the wide heartbeats table inside the window at 1280 px', async () => {
    // The table scrolls inside its card; the page itself never scrolls sideways, so the
    // Actions column is one scroll of the card away, never cut off.
    const fit = await page.evaluate(() => {
      const card = document.querySelector('main .scroll');
      return {
        page: document.documentElement.scrollWidth, window: window.innerWidth,
        card: card.getBoundingClientRect().right, cardScrolls: card.scrollWidth > card.clientWidth,
      };
    });
    assert.ok(fit.page <= fit.window, JSON.stringify(fit));
    assert.ok(fit.card <= fit.window, JSON.stringify(fit));
    const actions = page.getByRole('columnheader', { name: 'Actions' });
    await actions.scrollIntoViewIfNeeded();
    const box = await actions.boundingBox();
    assert.ok(box && box.x + box.width <= fit.window, JSON.stringify(box));
  });

  it('adds a tenant’s alert channel, sends it a test alert and routes alerts to it', async () => {
    const tenant = env('LOOKOUT_HB_TENANT');
    await navTo('Alerts');
    await page.getByLabel('Tenant', { exact: true }).fill(tenant);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText(`No channels for tenant ${tenant}`).waitFor();
    const add = page.getByRole('form', { name: 'Add a channel' });
    await add.getByLabel('Kind').selectOption('webhook');
    await add.getByLabel('Name').fill('On call');
    await add.getByLabel('Webhook URL').fill(`${env('LOOKOUT_EMULATOR_URL')}/webhook/console-${tenant}`);
    await add.getByRole('button', { name: 'Add channel' }).click();
    await statusSays('Channel On call added');
    // The signing secret, shown once; the listing shows the URL masked.
    assert.match(await page.locator('code.secret').textContent(), /^whsec_[0-9a-f]{64}$/);
    const trs = await rows(1, 'On call');
    assert.ok(!(await trs.first().textContent()).includes(`console-${tenant}`), 'URL masked');
    await page.getByRole('button', { name: 'Send a test alert to On call' }).click();
    await statusSays('Test alert delivered to On call');
    // Route everything to it.
    const id = await page.evaluate(async (t) => {
      const res = await fetch(`${location.pathname.replace(/\/console.*$/, '')}/admin/alert_channels?tenant=${t}`,
        { headers: { authorization: `Bearer ${sessionStorage.getItem('lookout.adminToken')}` } });
      return (await res.json()).channels[0].id;
    }, tenant);
    await page.getByLabel('Routes (JSON)').fill(JSON.stringify({ default: [id], rules: [{ kind: 'heartbeat', min_level: 'critical', channels: [id], repeat_minutes: 10 }] }));
    await page.getByRole('button', { name: 'Save routes' }).click();
    await statusSays('Routes saved');
    const routes = page.getByRole('table', { name: 'Routes, tried in order' });
    await routes.waitFor();
    assert.match(await routes.textContent(), /heartbeat, critical or worse.*On call \(webhook\).*repeat every 10 min/s);
    await shot('06b-alerts');
  });

  it('shows a tenant’s maintenance windows as a calendar, its quiet hours and its held alerts by what holds them', async () => {
    const tenant = env('LOOKOUT_DEPS_TENANT');
    await page.evaluate((t) => { location.hash = `#alerts?${new URLSearchParams({ tenant: t })}`; }, tenant);
    const windows = page.getByRole('region', { name: 'Maintenance windows' });
    const quiet = windows.getByText('Quiet hours 22:00–07:00 Europe/Berlin: non-critical alerts wait for a morning digest');
    await quiet.waitFor();
    // The next 14 days, a heading per day: nightly-backup at 02:30 Berlin time, for an hour.
    const days = windows.getByRole('heading', { level: 3 });
    assert.ok(await days.count() >= 1, 'a day heading');
    const backups = windows.getByRole('listitem').filter({ hasText: 'nightly-backup' });
    const n = await backups.count();
    assert.ok(n >= 1 && n <= 15, `${n} occurrences`);
    const first = backups.first();
    assert.match(await first.textContent(), /\d\d:\d\d–.*\d\d:\d\d \(.*\d\d:\d\d–.*\d\d:\d\d UTC\)nightly-backupapp backup/);
    const [start, end] = await first.locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
    const s = new Date(start);
    assert.ok(s.getUTCMinutes() === 30 && [0, 1].includes(s.getUTCHours()), `02:30 in Berlin is ${start}`);
    assert.equal(new Date(end) - s, 3_600_000, 'an hour');
    const utc = `${String(s.getUTCHours()).padStart(2, '0')}:30`;
    assert.ok((await first.textContent()).includes(`${utc}–`), 'the UTC time shown');
    // What holds each held alert: web waits for db.
    const waiting = page.getByRole('table', { name: 'Waiting for db (down)' });
    await waiting.waitFor();
    assert.equal(await waiting.locator('tbody tr').count(), 1);
    assert.match(await waiting.locator('tbody tr').first().textContent(), /web/);
    // The routes as stored: quiet hours kept, the read-only occurrences not among them.
    const routes = JSON.parse(await page.getByLabel('Routes (JSON)').inputValue());
    assert.equal(routes.quiet_hours?.start, '22:00');
    assert.equal(routes.quiet_hours?.tz, 'Europe/Berlin');
    assert.equal(routes.upcoming, undefined);
    await fitsTheWindow();
    await shot('06c-alerts-windows-held');
    // Saved unchanged, they stay as they were.
    await page.getByRole('button', { name: 'Save routes' }).click();
    await statusSays('Routes saved');
    await page.getByRole('region', { name: 'Maintenance windows' })
      .getByText('Quiet hours 22:00–07:00 Europe/Berlin').waitFor();
    assert.equal(await page.getByRole('region', { name: 'Maintenance windows' }).getByRole('listitem').filter({ hasText: 'nightly-backup' }).count(), n);
  });

  it('offers Telegram in the channel form, saying which URL it takes', async () => {
    const add = page.getByRole('form', { name: 'Add a channel' });
    const kind = add.getByLabel('Kind');
    assert.ok((await kind.locator('option').allTextContents()).includes('Telegram bot'));
    await kind.selectOption('telegram');
    const url = add.getByLabel('Bot API URL');
    assert.equal(await url.getAttribute('placeholder'), 'https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>');
    const hint = await url.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')).textContent);
    assert.ok(hint.includes('https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>'), hint);
    await shot('06d-alerts-telegram');
    // Another kind, another URL.
    await kind.selectOption('discord');
    assert.match(await add.getByLabel('Webhook URL').getAttribute('placeholder'), /^https:\/\/discord\.com\/api\/webhooks\//);
  });

  it('acknowledges an open incident with one button', async () => {
    await page.evaluate((id) => { location.hash = `#incident/${id}`; }, env('LOOKOUT_SENTRY_INCIDENT_ID'));
    await page.getByRole('heading', { name: 'ValueError: card 4242 declined (amount 42)', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await statusSays('Saved: status “acknowledged”');
    assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
  });

  it('searches a log user’s lines by level', async () => {
    await navTo('Logs');
    await page.getByLabel('User', { exact: true }).fill(env('LOOKOUT_LOG_USER'));
    await page.getByRole('button', { name: 'Search logs' }).click();
    await rows(8, 'checkout step 0');
    // The user's lines per day, 30 days: the 8 seeded today, none before.
    const today = new Date().toISOString().slice(0, 10);
    const volume = page.getByRole('figure', { name: `Log lines of ${env('LOOKOUT_LOG_USER')} per day: 8 lines in 30 days` });
    assert.equal(await volume.getByRole('img').count(), 30);
    assert.equal(await volume.getByRole('img', { name: `${today}: 8 lines` }).count(), 1);
    assert.equal(await volume.getByRole('img', { name: /: 0 lines$/ }).count(), 29);
    const height = await volume.getByRole('img').last().evaluate((el) => el.getBoundingClientRect().height);
    assert.ok(height > 30, `today's column is the full height (${height}px)`);
    await page.getByLabel('error', { exact: true }).check();
    await page.getByRole('button', { name: 'Search logs' }).click();
    const one = await rows(1, 'checkout step 7');
    assert.match(await one.first().textContent(), /error.*api.*4242.*checkout step 7.*payment flow/);
    await shot('07-logs');
  });

  it('lists messenger contacts and failed deliveries with an API key', async () => {
    await navTo('Messenger');
    await page.getByLabel('API key', { exact: true }).fill(env('LOOKOUT_API_KEY'));
    await page.getByLabel('User name', { exact: true }).fill(env('LOOKOUT_MESSENGER_USER'));
    await page.getByRole('button', { name: 'Show' }).click();
    const trs = await rows(1, 'Dana');
    assert.match(await trs.first().textContent(), /Dana.*123456789.*\+15550001111/);
    await statusSays('1 contact shown');
    await shot('08-messenger-contacts');
    await page.getByLabel('Show', { exact: true }).selectOption('failed');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('No failed deliveries.').waitFor();
    await statusSays('0 failed deliveries shown');
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
    assert.ok(!stored.includes(env('LOOKOUT_API_KEY')), 'the API key is not stored');
  });

  it('works under a custom domain base path: relative assets, API calls under the same prefix', async () => {
    // A custom domain whose API mapping has the base path `lookout`: the browser sees every URL
    // under /lookout. Played here by a reverse proxy, as the custom domain is one: requests for
    // PROXY/lookout/… go to the stack as BASE/… (as when API Gateway leaves the mapping key out
    // of rawPath; the function's unit tests cover rawPath with it). In a page of its own (another
    // origin, so it signs in again), so that whatever happens here leaves the main page alone.
    // (Forwarded by Playwright's request interception instead, a request sometimes stayed paused
    // on a loaded CI machine, and the page with it.)
    const prefix = '/lookout';
    const upstream = new URL(BASE);
    const seen = [];
    const pending = new Map();
    const proxy = createServer((req, res) => {
      const url = new URL(req.url, 'http://proxy');
      seen.push(url.pathname);
      if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not under the base path');
        return;
      }
      const id = `${req.method} ${req.url} #${seen.length}`;
      pending.set(id, Date.now());
      const fwd = httpRequest({
        host: upstream.hostname, port: upstream.port, method: req.method,
        path: url.pathname.slice(prefix.length) + url.search,
        headers: { ...req.headers, host: upstream.host },
      }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
        up.on('end', () => pending.delete(id));
      });
      fwd.on('error', (e) => { pending.delete(id); res.destroy(e); });
      req.pipe(fwd);
    });
    await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
    const origin = `http://127.0.0.1:${proxy.address().port}`;
    const bp = await context.newPage();
    bp.setDefaultTimeout(120_000);
    const errors = [];
    bp.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    const stuck = () => `requests the stack has not answered: ${JSON.stringify([...pending].map(([id, t]) => `${id} (${Date.now() - t} ms)`))}`;
    try {
      // Signs in on the second form's URL, so that each goto below loads a new document.
      await bp.goto(`${origin}${prefix}/console/index.html`);
      await bp.getByLabel('Admin token', { exact: true }).fill(env('LOOKOUT_ADMIN_TOKEN'));
      await bp.getByRole('button', { name: 'Sign in' }).click();
      await bp.getByRole('navigation').waitFor().catch((e) => { throw new Error(`${e.message}\n${stuck()}`); });
      for (const form of ['/console', '/console/index.html']) {
        const resp = await bp.goto(`${origin}${prefix}${form}#apps`);
        assert.equal(resp.status(), 200, form);
        // Signed in (sessionStorage is per tab and origin): the script ran and called the API.
        await bp.getByRole('table', { name: /Registered apps/ }).getByRole('cell', { name: env('LOOKOUT_APP'), exact: true }).waitFor()
          .catch((e) => { throw new Error(`${form}: ${e.message}\n${stuck()}`); });
        const loaded = await bp.evaluate(() => ({
          script: document.querySelector('script[src]').src,
          styles: [...document.styleSheets].map((s) => s.href),
          rules: document.styleSheets[0]?.cssRules.length ?? 0,
        }));
        assert.ok(loaded.script.startsWith(`${origin}${prefix}/console/app.js?v=`), `${form}: ${loaded.script}`);
        assert.equal(loaded.styles.length, 1, form);
        assert.ok(loaded.styles[0].startsWith(`${origin}${prefix}/console/style.css?v=`), `${form}: ${loaded.styles[0]}`);
        assert.ok(loaded.rules > 10, `${form}: the stylesheet loaded (${loaded.rules} rules)`);
      }
      // Every request of the page went under the prefix: page, assets and API.
      assert.deepEqual(seen.filter((p) => !p.startsWith(`${prefix}/`)), [], 'requests outside the base path');
      for (const path of [`${prefix}/console`, `${prefix}/console/index.html`, `${prefix}/console/app.js`,
        `${prefix}/console/style.css`, `${prefix}/admin/apps`]) {
        assert.ok(seen.includes(path), `${path} not requested: ${seen.join(', ')}`);
      }
      assert.deepEqual(errors, [], 'page errors under the base path');
      await bp.screenshot({ path: join(ARTIFACTS, '10-under-base-path.png'), fullPage: true });
    } finally {
      await bp.close();
      proxy.closeAllConnections();
      await new Promise((ok) => proxy.close(ok));
    }
  });

  it('labels every control, loads nothing from elsewhere and logs no errors', async () => {
    for (const view of ['#overview', '#incidents', '#apps', '#logs', '#heartbeats', `#alerts?tenant=${env('LOOKOUT_DEPS_TENANT')}`, '#messenger', `#incident/${env('LOOKOUT_INCIDENT_ID')}`]) {
      await page.evaluate((h) => { location.hash = h; }, view);
      await page.locator('main h1').waitFor();
      await page.waitForFunction(() => !document.querySelector('main .muted')?.textContent.startsWith('Loading'));
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
        .map((el) => el.outerHTML));
      assert.deepEqual(unlabelled, [], view);
      const headless = await page.evaluate(() => [...document.querySelectorAll('table')].filter((t) => !t.querySelector('thead th[scope=col]') || !t.caption).length);
      assert.equal(headless, 0, `${view}: tables have captions and column headers`);
    }
    assert.deepEqual(foreign, [], 'requests outside the console origin');
    assert.deepEqual(problems, [], 'console errors or CSP violations');
  });

  it('a rejected token sends you back to sign in, with a message', async () => {
    await page.evaluate(() => sessionStorage.setItem('lookout.adminToken', 'revoked-token'));
    await navTo('Apps');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(await page.locator('#login-error').textContent(), /not accepted \(401\)/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('lookout.adminToken')), null);
    await shot('09-signed-out-401');
  });
});
