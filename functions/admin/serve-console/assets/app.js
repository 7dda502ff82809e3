// Lookout console: a small admin UI over Lookout's HTTP API. One plain ES module, no framework,
// no build step. The admin token lives in this tab's sessionStorage only and goes out as
// `Authorization: Bearer`; every DOM node is built with textContent (no innerHTML), and the
// page's CSP allows scripts from this origin only.

const TOKEN_KEY = 'lookout.adminToken';
const BY_KEY = 'lookout.by';
const LEVELS = ['debug', 'info', 'warning', 'error', 'crit'];
const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'];
const STATUSES = ['open', 'acknowledged', 'resolved'];
const HB_STATES = ['up', 'down', 'paused', 'retired'];

const $ = (sel) => document.querySelector(sel);
const main = $('#main');
const statusBox = $('#status');
const nav = $('#nav');
const signoutBtn = $('#signout');

// ------------------------------------------------------------------ DOM helpers

// h('tag', {attr: value, onclick: fn}, ...children): children are nodes or text.
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'value') value = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid != null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
  }
  if (value !== undefined) el.value = value;
  return el;
}

let uid = 0;
// A labelled form control; returns [wrapper, control].
function field(label, control, hint) {
  control.id ||= `f${++uid}`;
  const kids = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hid = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hid);
    kids.push(h('small', { id: hid }, hint));
  }
  return [h('div', { class: 'field' }, kids), control];
}

function select(name, options, value) {
  return h('select', { name, value: value ?? '' },
    options.map((o) => (Array.isArray(o) ? h('option', { value: o[0] }, o[1]) : h('option', { value: o }, o))));
}

function input(name, attrs = {}) {
  return h('input', { name, type: 'text', ...attrs });
}

// A table with column headers; rows are arrays of cells (nodes or text), or a ready <tr> (a
// row spanning the columns, say).
function table(caption, headers, rows) {
  return h('div', { class: 'scroll' }, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => (r instanceof Node ? r : h('tr', {}, r.map((c) => h('td', {}, c))))))));
}

function badge(kind, text) {
  return h('span', { class: `badge ${kind}-${text}` }, text);
}

// A timestamp shown in local time, with the UTC value on hover.
function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, '0');
  const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return h('time', { datetime: iso, title: iso }, local);
}

// A <input type=datetime-local> value as RFC 3339 UTC, or '' when empty.
function isoFromLocal(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function say(message, kind = 'info') {
  statusBox.textContent = '';
  statusBox.dataset.kind = kind;
  // A fresh text node so screen readers announce a repeated message too.
  requestAnimationFrame(() => { statusBox.textContent = message; });
}

function view(title, ...kids) {
  const heading = h('h1', { tabindex: '-1' }, title);
  const section = h('section', { class: 'view', 'aria-labelledby': (heading.id = `v${++uid}`) }, heading, kids);
  main.replaceChildren(section);
  return section;
}

function busy(el, text = 'Loading…') {
  el.replaceChildren(h('p', { class: 'muted' }, text));
}

// ------------------------------------------------------------------ API

// Where the API is: everything before the page's final `/console` segment ('' at the domain's
// root, '/lookout' under a custom domain with the base path `lookout`). The page is served as
// `…/console`, `…/console/` or `…/console/index.html`; API paths are appended to this root.
const API_ROOT = (/^(.*)\/console(?:\/(?:index\.html)?)?$/.exec(location.pathname) || ['', ''])[1];

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? `${body.message} (${status})` : `request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

// Calls the API with the admin token (or, with `apiKey`, with that key instead). A 401 for the
// admin token signs out and shows the login form with a message.
async function api(method, path, { query, body, apiKey } = {}) {
  const url = new URL(location.origin + API_ROOT + path);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== '' && v != null) url.searchParams.set(k, v);
  }
  const headers = apiKey
    ? { 'x-api-key': apiKey }
    : { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, { message: `network error: ${err.message}` });
  }
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (res.status === 401 && !apiKey) {
    signOut('The admin token was not accepted (401). Sign in again.');
    throw new ApiError(401, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Apps are needed by several views (filters, tenant and log-user suggestions).
let appsCache = null;
async function apps(refresh = false) {
  if (!appsCache || refresh) appsCache = (await api('GET', '/admin/apps')).apps || [];
  return appsCache;
}

function datalist(id, values) {
  return h('datalist', { id }, [...new Set(values.filter(Boolean))].sort().map((v) => h('option', { value: v })));
}

// ------------------------------------------------------------------ routing

// Hash routes: #overview, #incidents?app=…, #incident/<id>, #apps, #heartbeats?tenant=…, #alerts?tenant=…,
// #logs?user=…, #messenger. (Incident mails link to `<console>#incident/<id>`.)
function route() {
  const [path, qs = ''] = location.hash.slice(1).split('?');
  const [name, ...rest] = path.split('/');
  return { name: name || 'incidents', arg: decodeURIComponent(rest.join('/')), params: new URLSearchParams(qs) };
}

function go(name, params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== '' && v != null) qs.set(k, v);
  const s = qs.toString();
  location.hash = s ? `${name}?${s}` : name;
}

// The list's hash (with its filters) for the incident's "Back" link.
let lastListHash = '';

const views = { overview: overviewView, incidents: incidentsView, incident: incidentView, apps: appsView, heartbeats: heartbeatsView, alerts: alertsView, logs: logsView, messenger: messengerView };
let lastName = null;

async function render() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return loginView();
  nav.hidden = false;
  signoutBtn.hidden = false;
  const r = route();
  if (r.name === 'incidents') lastListHash = location.hash || '#incidents';
  const section = r.name === 'incident' ? 'incidents' : r.name;
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#${section}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const moved = r.name !== lastName;
  lastName = r.name;
  if (moved) { // a message about the previous view would mislead here
    statusBox.textContent = '';
    delete statusBox.dataset.kind;
  }
  try {
    await (views[r.name] || notFoundView)(r);
  } catch (err) {
    if (err.status !== 401) say(err.message, 'error');
  }
  if (moved && main.querySelector('h1')) main.querySelector('h1').focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  appsCache = null;
  lastName = null;
  loginView(message);
}

function notFoundView(r) {
  view('Not found', h('p', {}, `There is no view called “${r.name}”. `, h('a', { href: '#incidents' }, 'Go to incidents.')));
}

// ------------------------------------------------------------------ login

function loginView(message) {
  nav.hidden = true;
  signoutBtn.hidden = true;
  const [tokenField, token] = field('Admin token',
    input('token', { type: 'password', autocomplete: 'off', spellcheck: 'false', required: true }),
    'Printed by make start (also in .local/admin-token). Kept in this browser tab only.');
  const error = h('p', { class: 'error', id: 'login-error' }, message || '');
  if (message) token.setAttribute('aria-invalid', 'true');
  const form = h('form', { class: 'card login', 'aria-describedby': 'login-error' },
    tokenField, error, h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = token.value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    try {
      await apps(true); // checks the token
      render();
    } catch (err) {
      if (err.status !== 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        error.textContent = err.message;
      }
    }
  });
  view('Sign in', form);
  if (message) say(message, 'error');
  token.focus();
}

// ------------------------------------------------------------------ incidents

// Tokens of the pages before the current one, for "Previous page".
let pageStack = [];

async function incidentsView(r) {
  const p = r.params;
  const known = (await apps()).map((a) => a.name);
  if (p.get('app') && !known.includes(p.get('app'))) known.push(p.get('app'));
  const [appF, app] = field('App', select('app', [['', 'Any app'], ...known.sort()], p.get('app')));
  const [levelF, level] = field('Level', select('level', [['', 'Any level'], ...LEVELS], p.get('level')));
  const [statusF, status] = field('Status', select('status', [['', 'Any status'], ...STATUSES], p.get('status')));
  const [fromF, from] = field('Last seen from', input('from', { type: 'datetime-local', value: p.get('from') }));
  const [toF, to] = field('Last seen until', input('to', { type: 'datetime-local', value: p.get('to') }));
  const sizes = ['25', '50', '100', '200'];
  if (p.get('limit') && !sizes.includes(p.get('limit'))) sizes.unshift(p.get('limit'));
  const [limitF, limit] = field('Per page', select('limit', sizes, p.get('limit') || '50'));
  const filters = () => ({ app: app.value, level: level.value, status: status.value, from: from.value, to: to.value, limit: limit.value });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter incidents' },
    appF, levelF, statusF, fromF, toF, limitF,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply filters'),
      h('button', { type: 'button', class: 'quiet', onclick: () => { pageStack = []; go('incidents'); } }, 'Clear')));
  form.addEventListener('submit', (e) => { e.preventDefault(); pageStack = []; go('incidents', filters()); });
  const results = h('div', { class: 'results' });
  view('Incidents', form, results);
  busy(results);
  const page = await api('GET', '/admin/incidents', {
    query: { ...filters(), from: isoFromLocal(from.value), to: isoFromLocal(to.value), next_token: p.get('next_token') },
  });
  const list = page.incidents || [];
  const rows = list.map((i) => [
    when(i.last_seen), i.app_name, badge('level', i.level), badge('status', i.status),
    h('a', { href: `#incident/${encodeURIComponent(i.id)}` }, i.title), String(i.count), i.assignee || '–',
  ]);
  const pager = h('div', { class: 'pager' },
    h('button', { type: 'button', disabled: !p.get('next_token'), onclick: () => go('incidents', { ...filters(), next_token: pageStack.pop() }) }, 'Previous page'),
    h('button', { type: 'button', disabled: !page.next_token, onclick: () => { pageStack.push(p.get('next_token') || ''); go('incidents', { ...filters(), next_token: page.next_token }); } }, 'Next page'));
  results.replaceChildren(
    list.length
      ? table(`Incidents, most recently seen first (${list.length} on this page)`, ['Last seen', 'App', 'Level', 'Status', 'Title', 'Count', 'Assignee'], rows)
      : h('p', { class: 'muted' }, 'No incidents match these filters.'),
    pager);
  say(`${list.length} incident${list.length === 1 ? '' : 's'} shown${page.next_token ? '; more on the next page' : ''}.`);
}

async function incidentView(r) {
  const section = view('Incident');
  busy(section);
  const inc = await api('GET', '/admin/incident', { query: { id: r.arg } }).catch((err) => {
    if (err.status === 404) {
      view('Incident not found', h('p', {}, `No incident with id “${r.arg}”. `, h('a', { href: '#incidents' }, 'Back to incidents.')));
      return null;
    }
    throw err;
  });
  if (inc) showIncident(inc);
}

function showIncident(inc) {
  const [statusF, status] = field('Status', select('status', STATUSES, inc.status));
  const [assigneeF, assignee] = field('Assignee', input('assignee', { value: inc.assignee || '', maxlength: 128 }));
  const [notesF, notes] = field('Notes', h('textarea', { name: 'notes', rows: 4, maxlength: 4000, value: inc.notes || '' }));
  const [byF, by] = field('Changed by', input('by', { value: localStorage.getItem(BY_KEY) || '', maxlength: 128, autocomplete: 'name' }), 'Your name, kept in the history.');
  const save = h('button', { type: 'submit' }, 'Save changes');
  // One click for the on-call person: acknowledged stops the alert's repeats and escalation.
  const ack = inc.status === 'open' && h('button', {
    type: 'button', class: 'quiet', onclick: () => { status.value = 'acknowledged'; form.requestSubmit(); },
  }, 'Acknowledge');
  const form = h('form', { class: 'card edit', 'aria-label': 'Update incident' }, h('h2', {}, 'Update'), statusF, assigneeF, notesF, byF,
    h('div', { class: 'actions' }, save, ack));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const change = {};
    if (status.value !== inc.status) change.status = status.value;
    if (assignee.value.trim() !== (inc.assignee || '')) change.assignee = assignee.value.trim();
    if (notes.value.trim() !== (inc.notes || '')) change.notes = notes.value.trim();
    if (!Object.keys(change).length) return say('Nothing changed.');
    if (by.value.trim()) localStorage.setItem(BY_KEY, by.value.trim());
    save.disabled = true;
    try {
      // Someone may have changed it since this page loaded: compare before writing.
      const now = await api('GET', '/admin/incident', { query: { id: inc.id } });
      if ((now.history || []).length !== (inc.history || []).length) {
        showIncident(now);
        return say('This incident was changed meanwhile; showing the current version. Review and save again.', 'error');
      }
      // The version shown: a change made since (between that read and this write) is a 409.
      const version = typeof inc.version === 'number' ? { version: inc.version } : {};
      const updated = await api('PATCH', '/admin/incident', { body: { id: inc.id, ...change, ...version, ...(by.value.trim() ? { by: by.value.trim() } : {}) } });
      showIncident(updated);
      say(`Saved: ${Object.entries(change).map(([k, v]) => `${k} ${v ? `“${v}”` : 'cleared'}`).join(', ')}.`, 'ok');
    } catch (err) {
      if (err.status === 409) {
        showIncident(await api('GET', '/admin/incident', { query: { id: inc.id } }));
        say('This incident was changed meanwhile (409); showing the current version. Review and save again.', 'error');
      } else if (err.status !== 401) {
        say(err.message, 'error');
      }
    } finally {
      save.disabled = false;
    }
  });

  const facts = [
    ['App', inc.app_name], ['Level', badge('level', inc.level)], ['Status', badge('status', inc.status)],
    ['Assignee', inc.assignee || '–'], ['Occurrences', String(inc.count)], ['First seen', when(inc.first_seen)],
    ['Last seen', when(inc.last_seen)], ['Admin notified', inc.notified ? 'yes' : `no${inc.notify_error ? ` (${inc.notify_error})` : ''}`],
    ['Id', h('code', {}, inc.id)],
  ];
  const recent = inc.recent_logs || [];
  const history = inc.history || [];
  const hb = inc.heartbeat;
  const outage = outageOf(inc);
  const heldBox = h('div', { class: 'held-here' });
  view(inc.title,
    h('p', {}, h('a', { href: lastListHash || '#incidents' }, '← Back to incidents')),
    h('div', { class: 'split' },
      h('div', {},
        h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
        h('h2', {}, 'Message'), inc.message ? h('pre', {}, inc.message) : h('p', { class: 'muted' }, 'No message.')),
      form),
    heldBox,
    ...(inc.sentry ? sentryDetails(inc.sentry) : []),
    h('h2', {}, 'Logs sent with the report'),
    (inc.logs || []).length ? h('pre', { class: 'logs', tabindex: '0', 'aria-label': 'Logs sent with the report' }, inc.logs.join('\n')) : h('p', { class: 'muted' }, 'None.'),
    h('h2', {}, 'Recent logs of the app'),
    recent.length
      ? table('The app’s latest log lines when the incident was reported', ['Time', 'Level', 'Process', 'PID', 'Message'],
        recent.map((l) => [when(l.event_at), badge('level', l.level), l.p_name || '–', l.pid ?? '–', l.msg]))
      : h('p', { class: 'muted' }, 'None (the app has no linked log user, or it had no lines).'),
    h('h2', {}, 'Heartbeat at report time'),
    hb ? heartbeatFacts(hb) : h('p', { class: 'muted' }, 'Not linked to a heartbeat app.'),
    h('h2', {}, 'History'),
    history.length
      ? table('Changes, oldest first', ['When', 'Field', 'From', 'To', 'By'],
        history.map((c) => [when(c.at), c.field, c.from === '' || c.from == null ? '–' : String(c.from), c.to === '' || c.to == null ? '–' : String(c.to), c.by]))
      : h('p', { class: 'muted' }, 'No changes yet.'));
  if (outage) heldWhileDown(heldBox, outage);
}

// The heartbeat app whose outage `inc` is ({tenant, app}), or null: its app name is
// "<tenant> <app id>" (a `:` in the id written `-`), its title "App <app id> is down".
function outageOf(inc) {
  const hb = inc.heartbeat;
  const name = inc.app_name || '';
  if (hb && hb.tenant && hb.app_id != null && name === `${hb.tenant} ${String(hb.app_id).replace(/:/g, '-')}`) {
    return { tenant: hb.tenant, app: String(hb.app_id) };
  }
  const m = /^App (.+) is down$/.exec(inc.title || '');
  const tail = m && ` ${m[1].replace(/:/g, '-')}`;
  const tenant = tail && name.endsWith(tail) ? name.slice(0, -tail.length) : '';
  return /^[A-Za-z0-9_.-]{1,64}$/.test(tenant) ? { tenant, app: m[1] } : null;
}

// Under a heartbeat outage's incident: the tenant's alerts held while this app is down (its
// dependents), when there are any. Shown once they are read; a failed read shows nothing.
async function heldWhileDown(box, { tenant, app }) {
  let held;
  try {
    held = (await api('GET', '/admin/alert_failures', { query: { tenant } })).held || [];
  } catch {
    return;
  }
  const mine = held.filter((x) => x.parent === app);
  if (!mine.length || !box.isConnected) return;
  box.replaceChildren(h('h2', {}, 'Held while this is down'),
    h('p', { class: 'muted' }, `Apps of ${tenant} that depend on ${app}: their alerts wait, and go out once ${app} is back if they are still wrong.`),
    table(`Dependents of ${app} held (${mine.length})`, ['App', 'Alert', 'Held since'],
      mine.map((x) => [x.app, x.title || x.alert_id || '–', when(x.at)])),
    h('p', {}, h('a', { href: `#alerts?${new URLSearchParams({ tenant })}` }, `All held alerts of ${tenant}`)));
}

// What a Sentry SDK sent with the incident's first event (`sentry`): release, environment, user,
// request, tags, each exception's stack trace (its in-app frames first, innermost first; the
// library and runtime frames folded away) and the breadcrumbs before it.
function sentryDetails(s) {
  const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  const facts = [
    ['Release', s.release || '–'], ['Environment', s.environment || '–'], ['Server', s.server_name || '–'],
    ['Platform', s.platform || '–'], ['SDK', s.sdk ? `${s.sdk.name || ''} ${s.sdk.version || ''}`.trim() : '–'],
    ['Event id', h('code', {}, s.event_id || '–')],
  ];
  if (s.user) facts.push(['User', Object.entries(s.user).map(([k, v]) => `${k}: ${text(v)}`).join(', ')]);
  if (s.request) facts.push(['Request', `${s.request.method || ''} ${s.request.url || ''}`.trim() || '–']);
  const tags = Object.entries(s.tags || {});
  const crumbs = s.breadcrumbs || [];
  return [
    h('h2', {}, 'Sentry event'),
    h('dl', { class: 'facts', 'aria-label': 'Sentry event' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    ...(s.exceptions || []).map((x, i) => stackTrace(x, i)),
    h('h3', {}, 'Tags'),
    tags.length ? table(`Tags (${tags.length})`, ['Tag', 'Value'], tags.map(([k, v]) => [k, text(v)])) : h('p', { class: 'muted' }, 'None.'),
    h('h3', {}, 'Breadcrumbs'),
    crumbs.length
      ? table(`Breadcrumbs, oldest first (${crumbs.length})`, ['Time', 'Category', 'Level', 'Message'],
        crumbs.map((b) => [when(b.timestamp), b.category || b.type || '–', b.level || '–', b.message || (b.data ? text(b.data) : '–')]))
      : h('p', { class: 'muted' }, 'None.'),
  ];
}

// One exception's stack trace, collapsible: where it was raised first.
function stackTrace(x, i) {
  const frames = (x.frames || []).slice().reverse();
  const line = (f) => `${f.function || '?'} in ${f.module || f.filename || '?'}${f.lineno ? `, line ${f.lineno}` : ''}`;
  const item = (f) => h('li', {}, h('code', {}, line(f)), f.context_line ? h('pre', { class: 'context' }, f.context_line.trim()) : '');
  const inApp = frames.filter((f) => f.in_app);
  const other = frames.filter((f) => !f.in_app);
  const title = `${x.type || 'Error'}${x.value ? `: ${x.value}` : ''}`;
  return h('details', { class: 'card trace', open: i === 0, 'aria-label': `Stack trace: ${title}` },
    h('summary', {}, title),
    inApp.length
      ? h('ol', { class: 'frames', 'aria-label': `In-app frames of ${x.type || 'the exception'}, innermost first` }, inApp.map(item))
      : h('p', { class: 'muted' }, 'No in-app frames.'),
    other.length
      ? h('details', { class: 'other-frames' }, h('summary', {}, `${other.length} other frames (libraries, runtime)`), h('ol', { class: 'frames' }, other.map(item)))
      : '');
}

// The heartbeat state an incident was enriched with (the listing's app shape).
function heartbeatFacts(hb) {
  const facts = [
    ['State', hb.state ? badge('state', hb.state) : '–'],
    ['App', h('a', { href: `#heartbeats?${new URLSearchParams({ tenant: hb.tenant || '' })}` }, `${hb.tenant} / ${hb.app_id}`)],
    ['Last heartbeat', hb.last_heartbeat ? when(hb.last_heartbeat) : 'never'],
    ['Last message', hb.last_message || '–'],
    ['Period + grace', `${hb.period_seconds}s + ${hb.grace_seconds}s`],
    ['Due by', when(hb.due_by)],
    ['Down since', when(hb.down_since)],
    ['Why', hb.down_reason || '–'],
    ['Runs', runsStrip(hb)],
    ['Last 30 days', uptimeBar(hb)],
  ];
  return h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// ------------------------------------------------------------------ apps

// How an app's SDK connects: the two lines for Python and JavaScript.
function connectLines(dsn) {
  return h('pre', { class: 'connect', 'aria-label': 'How to connect a Sentry SDK' },
    `sentry_sdk.init(dsn="${dsn}")     # Python\nSentry.init({ dsn: "${dsn}" })  // JavaScript`);
}

function showDsn(where, app, dsn) {
  const panel = h('div', { class: 'card once', role: 'region', 'aria-label': `Sentry DSN for ${app}` },
    h('h2', {}, `Sentry DSN for ${app}`),
    h('p', {}, 'Shown whole this once: put it into the app’s Sentry SDK (errors become incidents, cron check-ins runs of its heartbeat tenant, logs lines of its log user). Lookout keeps only its hash.'),
    h('p', {}, h('code', { class: 'secret', id: 'app-dsn' }, dsn)),
    connectLines(dsn),
    h('p', {}, h('button', { type: 'button', class: 'quiet', onclick: () => panel.remove() }, 'Done')));
  where.append(panel);
}

function showCode(where, app, code) {
  const codeEl = h('code', { class: 'secret', id: 'app-code' }, code);
  const copy = h('button', { type: 'button' }, 'Copy code');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(code);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(codeEl);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand('copy');
    }
    say('Code copied to the clipboard.', 'ok');
  });
  const panel = h('div', { class: 'card once', role: 'region', 'aria-label': `Code for ${app}` },
    h('h2', {}, `Code for ${app}`),
    h('p', {}, 'Shown this once: copy it now and give it to the app (it reports incidents with ',
      h('code', {}, 'app_name'), ' and ', h('code', {}, 'code'), '). Lookout keeps only its hash.'),
    h('p', {}, codeEl, ' ', copy, ' ', h('button', { type: 'button', class: 'quiet', onclick: () => panel.remove() }, 'Done')));
  where.replaceChildren(panel);
  copy.focus();
}

async function appsView() {
  const names = [['name', 'Name', true], ['description', 'Description'], ['log_user', 'Log user'], ['log_process', 'Log process'], ['heartbeat_tenant', 'Heartbeat tenant'], ['heartbeat_app_id', 'Heartbeat app id']];
  const controls = {};
  const fields = names.map(([n, label, required]) => {
    const [f, c] = field(label, input(n, { required, maxlength: n === 'description' ? 500 : 128 }));
    controls[n] = c;
    return f;
  });
  const codeArea = h('div', { class: 'code-area' });
  const form = h('form', { class: 'card register', 'aria-label': 'Register an app' },
    h('h2', {}, 'Register an app'), h('div', { class: 'grid' }, fields), h('button', { type: 'submit' }, 'Register'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const [n] of names) if (controls[n].value.trim()) body[n] = controls[n].value.trim();
    try {
      const created = await api('POST', '/admin/apps', { body });
      form.reset();
      say(`Registered ${created.name}. Copy its code now: it is not shown again.`, 'ok');
      await listApps(true);
      showCode(codeArea, created.name, created.code);
      if (created.dsn) showDsn(codeArea, created.name, created.dsn);
    } catch (err) {
      if (err.status !== 401) say(err.message, 'error');
    }
  });
  const list = h('div', { class: 'results' });
  view('Apps', codeArea, list, form);

  async function listApps(refresh) {
    const all = await apps(refresh);
    list.replaceChildren(all.length
      ? table(`Registered apps (${all.length})`, ['Name', 'Description', 'Logs', 'Heartbeat', 'Sentry DSN', 'Created', 'Updated', 'Code'],
        all.map((a) => [
          a.name, a.description || '–',
          a.log_user ? h('a', { href: `#logs?${new URLSearchParams({ user: a.log_user, ...(a.log_process ? { process: a.log_process } : {}) })}` }, `${a.log_user}${a.log_process ? ` / ${a.log_process}` : ''}`) : '–',
          a.heartbeat_tenant ? h('a', { href: `#heartbeats?${new URLSearchParams({ tenant: a.heartbeat_tenant })}` }, a.heartbeat_app_id ? `${a.heartbeat_tenant} / ${a.heartbeat_app_id}` : a.heartbeat_tenant) : '–',
          a.dsn ? h('code', { class: 'dsn' }, a.dsn) : '–',
          when(a.created_at), when(a.updated_at),
          h('span', { class: 'actions' },
            h('button', { type: 'button', class: 'quiet', 'aria-label': `Rotate the code of ${a.name}`, onclick: () => rotate(a.name) }, 'Rotate'),
            ' ',
            h('button', { type: 'button', class: 'quiet', 'aria-label': `Issue a new Sentry DSN for ${a.name}`, onclick: () => rotateDsn(a.name) }, 'New DSN')),
        ]))
      : h('p', { class: 'muted' }, 'No apps registered yet.'),
    all.length ? h('div', { class: 'card' }, h('h2', {}, 'Connect a Sentry SDK'),
      h('p', {}, 'Point an app’s Sentry SDK at its DSN: the DSN’s key is shown whole only when it is issued (“New DSN” issues another).'),
      connectLines('<the app’s DSN>')) : '');
  }

  async function rotateDsn(name) {
    if (!confirm(`Issue a new Sentry DSN for ${name}? SDKs with the current one are refused at once.`)) return;
    try {
      const res = await api('PUT', '/admin/apps', { body: { name, rotate_dsn: true } });
      codeArea.replaceChildren();
      showDsn(codeArea, name, res.dsn);
      say(`New Sentry DSN issued for ${name}; the old one no longer works.`, 'ok');
      await listApps(true);
    } catch (err) {
      if (err.status !== 401) say(err.message, 'error');
    }
  }

  async function rotate(name) {
    if (!confirm(`Issue a new code for ${name}? The current code stops working at once.`)) return;
    try {
      const res = await api('PUT', '/admin/apps', { body: { name, rotate_code: true } });
      showCode(codeArea, name, res.code);
      say(`New code issued for ${name}; the old one no longer works.`, 'ok');
    } catch (err) {
      if (err.status !== 401) say(err.message, 'error');
    }
  }

  busy(list);
  await listApps(true);
}

// ------------------------------------------------------------------ heartbeats

// The last `days` UTC days of an app as a status-page strip: one cell per day, its share of up
// time from the booked downtime plus the current outage (days before the app existed are
// grey). The strip's accessible name sums it up; each cell names its day.
function uptimeBar(a, days = 30) {
  const DAY = 86_400_000;
  const now = Date.now();
  const today = now - (now % DAY);
  const created = Date.parse(a.created_at);
  const downSince = a.state === 'down' && a.down_since ? Date.parse(a.down_since) : null;
  const cells = [];
  let up = 0;
  let total = 0;
  for (let i = days - 1; i >= 0; i -= 1) {
    const start = today - i * DAY;
    const end = Math.min(start + DAY, now);
    const day = new Date(start).toISOString().slice(0, 10);
    const from = Math.max(start, created - (created % 1000));
    if (Number.isNaN(created) || end <= from) {
      cells.push(h('span', { class: 'cell none', role: 'img', 'aria-label': `${day}: not watched`, title: `${day}: not watched` }));
      continue;
    }
    let down = ((a.downtime || {})[day] || 0) * 1000;
    if (downSince != null) down += Math.max(0, end - Math.max(downSince, start));
    const span = end - from;
    const ratio = Math.max(0, Math.min(1, 1 - down / span));
    up += ratio * span;
    total += span;
    const pct = Math.floor(ratio * 1000) / 10;
    const kind = ratio >= 0.999 ? 'up' : ratio >= 0.9 ? 'partial' : 'down';
    cells.push(h('span', { class: `cell ${kind}`, role: 'img', 'aria-label': `${day}: ${pct}% up`, title: `${day}: ${pct}% up` }));
  }
  const pct = total ? Math.floor((up / total) * 1000) / 10 : 100;
  return h('span', { class: 'uptime', role: 'group', 'aria-label': `App ${a.app_id}, last ${days} days: ${pct}% up` }, cells);
}

// The app's last runs, oldest to newest: one bar each, as tall as its share of the longest
// run, coloured by outcome (a run without a start has no duration: a dot).
function runsStrip(a) {
  const runs = [...(a.runs || [])].reverse();
  if (!runs.length) return '–';
  const longest = Math.max(1, ...runs.map((r) => r.duration_ms || 0));
  return h('span', { class: 'runs', role: 'group', 'aria-label': `App ${a.app_id}, last ${runs.length} runs` },
    runs.map((r) => {
      const secs = r.duration_ms != null ? `${(r.duration_ms / 1000).toFixed(1)} s` : 'no start';
      const label = `${r.run_id || 'run'}: ${r.outcome}, ${secs}, ended ${r.finished_at}`;
      const bar = h('span', { class: `run ${r.outcome}`, role: 'img', 'aria-label': label, title: label });
      bar.style.setProperty('--h', `${r.duration_ms != null ? Math.max(8, (100 * r.duration_ms) / longest) : 8}%`);
      return bar;
    }));
}

// Copies `text` to the clipboard (selecting `el`'s text where the API is refused) and says so.
async function copyText(text, el, what) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(el);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    document.execCommand('copy');
  }
  say(`${what} copied to the clipboard.`, 'ok');
}

// The bodies the app's pings carried (Healthchecks' /ping URLs), newest first, beside its runs:
// each shown on demand (GET /admin/heartbeat_apps/output).
function outputsList(a) {
  const outs = a.outputs || [];
  if (!outs.length) return null;
  const items = outs.map((o) => {
    const pre = h('pre', { class: 'output', hidden: true });
    const what = `${o.kind}${o.exit_code != null ? ` ${o.exit_code}` : ''}${o.run_id ? `, run ${o.run_id}` : ''}, ${o.bytes} bytes${o.truncated ? ' (cut)' : ''}`;
    const show = h('button', { type: 'button', class: 'quiet', 'aria-label': `Show the output of app ${a.app_id} at ${o.at}` }, 'Show');
    show.addEventListener('click', async () => {
      try {
        const got = await api('GET', '/admin/heartbeat_apps/output', { query: { tenant: a.tenant, app_id: String(a.app_id), output: o.id } });
        pre.textContent = got.body;
        pre.hidden = false;
        show.disabled = true;
      } catch (err) {
        if (err.status !== 401) say(err.message, 'error');
      }
    });
    return h('li', {}, when(o.at), h('span', {}, `: ${what} `), show, pre);
  });
  return h('details', { class: 'outputs' },
    h('summary', {}, `${outs.length} output${outs.length === 1 ? '' : 's'}`),
    h('ul', {}, items));
}

async function heartbeatsView(r) {
  const p = r.params;
  const known = await apps();
  const [tenantF, tenant] = field('Tenant', input('tenant', { required: true, list: 'tenants', value: p.get('tenant') || '' }));
  const [stateF, state] = field('State', select('state', [['', 'Any state'], ...HB_STATES], p.get('state')));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Heartbeat apps of a tenant' },
    tenantF, stateF, datalist('tenants', known.map((a) => a.heartbeat_tenant)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));
  form.addEventListener('submit', (e) => { e.preventDefault(); go('heartbeats', { tenant: tenant.value.trim(), state: state.value }); });
  const results = h('div', { class: 'results' });
  view('Heartbeats', form, results);
  if (!p.get('tenant')) {
    results.replaceChildren(h('p', { class: 'muted' }, 'Choose a tenant to see its apps, their state and last heartbeat.'));
    return;
  }
  busy(results);
  const page = await api('GET', '/admin/heartbeat_apps', { query: { tenant: p.get('tenant'), state: p.get('state'), next_token: p.get('next_token') } });
  const act = async (a, action) => {
    try {
      await api('POST', '/admin/heartbeat_apps', { body: { tenant: a.tenant, app_id: a.app_id, action } });
      await render();
      say(`App ${a.app_id}: ${action} done.`, 'ok');
    } catch (err) {
      if (err.status !== 401) say(err.message, 'error');
    }
  };
  const list = page.apps || [];
  results.replaceChildren(
    list.length
      ? table(`Heartbeat apps of ${page.tenant}`, ['App id', 'State', 'Last heartbeat', 'Last message', 'Period + grace', 'Due by / down since', 'Beats', 'Last 30 days', 'Runs', 'Actions'],
        list.map((a) => [
          String(a.app_id), badge('state', a.state), when(a.last_heartbeat), a.last_message || '–',
          a.schedule ? `${a.schedule} (${a.tz}) + ${a.grace_seconds}s` : `${a.period_seconds}s + ${a.grace_seconds}s`,
          a.down_since ? h('span', {}, 'down since ', when(a.down_since)) : when(a.due_by), String(a.heartbeats), uptimeBar(a),
          h('div', { class: 'runs-cell' }, runsStrip(a), outputsList(a)),
          h('span', { class: 'row-actions' },
            a.ping_url && h('button', {
              type: 'button', class: 'quiet', title: a.ping_url, 'aria-label': `Copy the ping URL of app ${a.app_id}`,
              onclick: (e) => copyText(a.ping_url, e.currentTarget, `Ping URL of app ${a.app_id}`),
            }, 'Copy URL'),
            (a.state === 'paused' || a.state === 'retired')
              ? h('button', { type: 'button', class: 'quiet', 'aria-label': `Resume app ${a.app_id}`, onclick: () => act(a, 'resume') }, 'Resume')
              : h('button', { type: 'button', class: 'quiet', 'aria-label': `Pause app ${a.app_id}`, onclick: () => act(a, 'pause') }, 'Pause'),
            a.state !== 'retired' && h('button', { type: 'button', class: 'quiet', 'aria-label': `Retire app ${a.app_id}`, onclick: () => act(a, 'retire') }, 'Retire')),
        ]))
      : h('p', { class: 'muted' }, `No heartbeat apps for tenant ${page.tenant}${p.get('state') ? ` in state ${p.get('state')}` : ''}.`),
    h('div', { class: 'pager' },
      h('button', { type: 'button', disabled: !p.get('next_token'), onclick: () => go('heartbeats', { tenant: p.get('tenant'), state: p.get('state') }) }, 'First page'),
      h('button', { type: 'button', disabled: !page.next_token, onclick: () => go('heartbeats', { tenant: p.get('tenant'), state: p.get('state'), next_token: page.next_token }) }, 'Next page')));
  say(`${list.length} heartbeat app${list.length === 1 ? '' : 's'} shown.`);
}

// ------------------------------------------------------------------ alerts (a tenant's channels)

// What each channel kind takes as its URL: [name placeholder, URL placeholder, URL label, hint].
const CHANNEL_KINDS = {
  slack: ['#ops', 'https://hooks.slack.com/services/T000/B000/XXXX', 'Webhook URL',
    'Slack: the incoming webhook’s URL (Slack app → Incoming Webhooks → Add New Webhook).'],
  discord: ['#alerts', 'https://discord.com/api/webhooks/<id>/<token>', 'Webhook URL',
    'Discord: channel settings → Integrations → Webhooks → Copy Webhook URL.'],
  webhook: ['pager bridge', 'https://hooks.example.com/lookout', 'Webhook URL',
    'Any HTTPS endpoint of yours: it gets signed JSON (the signing secret is shown once).'],
  telegram: ['ops chat', 'https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>', 'Bot API URL',
    'Telegram: https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>, with the token of a bot of your own (@BotFather), used for Lookout alone, and the id of the chat it was added to.'],
};

// An instant given in unix seconds, as RFC 3339 ('' when it is none).
function isoFromUnix(secs) {
  const d = new Date(Number(secs) * 1000);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// What holds a held alert back, from its `parent`: a down parent app (the routes'
// `dependencies`), a maintenance window's occurrence (`window:<name>:<unix end>`) or quiet hours
// (`quiet:<unix end>`, until the morning digest).
function holder(parent) {
  const w = /^window:([^:#]+):(\d+)$/.exec(parent);
  if (w) return { kind: 'window', name: w[1], until: isoFromUnix(w[2]) };
  const q = /^quiet:(\d+)$/.exec(parent);
  if (q) return { kind: 'quiet', until: isoFromUnix(q[1]) };
  return { kind: 'parent', app: parent };
}

function holderLabel(x) {
  if (x.kind === 'window') return ['Maintenance window ', x.name, ' until ', when(x.until)];
  if (x.kind === 'quiet') return ['Quiet hours until ', when(x.until)];
  return `Waiting for ${x.app} (down)`;
}

// The held alerts grouped by what holds them (in the order first seen), a table each.
function heldGroups(held) {
  const groups = new Map();
  for (const x of held) {
    if (!groups.has(x.parent)) groups.set(x.parent, []);
    groups.get(x.parent).push(x);
  }
  return [...groups].map(([parent, list]) => table(holderLabel(holder(parent)), ['Held since', 'App', 'Alert'],
    list.map((x) => [when(x.at), x.app, x.title || x.alert_id || '–'])));
}

const pad2 = (n) => String(n).padStart(2, '0');
const localDay = (d) => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
const localHm = (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
const utcHm = (d) => `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;

// A window's scope: its app, its tag, or every alert of the tenant.
const windowScope = (w) => [w.app && `app ${w.app}`, w.tag && `tag ${w.tag}`].filter(Boolean).join(', ') || 'whole tenant';

// The windows' next occurrences (`upcoming`, sorted by start) as a calendar: a heading per day
// of this browser's time zone, each occurrence's time range here and, muted, in UTC.
function windowCalendar(upcoming) {
  const days = new Map();
  for (const o of upcoming) {
    const start = new Date(o.start);
    const end = new Date(o.end);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) continue;
    const day = localDay(start);
    if (!days.has(day)) days.set(day, { start, items: [] });
    days.get(day).items.push({ o, start, end });
  }
  if (!days.size) return h('p', { class: 'muted' }, 'No maintenance window in the next 14 days.');
  const today = localDay(new Date());
  const tomorrow = localDay(new Date(Date.now() + 86_400_000));
  return h('div', { class: 'calendar' }, [...days].map(([day, { start, items }]) => {
    const heading = h('h3', { id: `d${++uid}` },
      start.toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }),
      day === today ? h('span', { class: 'muted' }, ' (today)') : day === tomorrow ? h('span', { class: 'muted' }, ' (tomorrow)') : '');
    return h('div', { class: 'day' }, heading,
      h('ul', { 'aria-labelledby': heading.id }, items.map(({ o, start: s, end: e }) => {
        const endHere = localDay(e) === day ? localHm(e)
          : `${e.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' })} ${localHm(e)}`;
        const startUtc = `${s.toISOString().slice(0, 10) === day ? '' : `${s.toISOString().slice(0, 10)} `}${utcHm(s)}`;
        const endUtc = `${e.toISOString().slice(0, 10) === s.toISOString().slice(0, 10) ? '' : `${e.toISOString().slice(0, 10)} `}${utcHm(e)}`;
        return h('li', { class: 'occurrence' },
          h('span', { class: 'range' },
            h('time', { datetime: o.start, title: o.start }, localHm(s)), '–', h('time', { datetime: o.end, title: o.end }, endHere),
            h('span', { class: 'muted' }, ` (${startUtc}–${endUtc} UTC)`)),
          h('strong', { class: 'name' }, o.window),
          h('span', { class: 'scope' }, windowScope(o)),
          o.active ? badge('window', 'now') : '');
      })));
  }));
}

// #alerts?tenant=…: the tenant's alert channels (add, send a test alert, delete), its routes
// (edited as JSON, shown as a table), its maintenance windows' next occurrences and quiet
// hours, the alerts held back (by a down parent, a window, quiet hours) and its failed
// deliveries. docs/alerting.md.
async function alertsView(r) {
  const p = r.params;
  const known = await apps();
  const [tenantF, tenant] = field('Tenant', input('tenant', { required: true, list: 'alert-tenants', value: p.get('tenant') || '' }));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Alert channels of a tenant' },
    tenantF, datalist('alert-tenants', known.map((a) => a.heartbeat_tenant)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));
  form.addEventListener('submit', (e) => { e.preventDefault(); go('alerts', { tenant: tenant.value.trim() }); });
  const results = h('div', { class: 'results' });
  view('Alerts', form, results);
  const t = p.get('tenant');
  if (!t) {
    results.replaceChildren(h('p', { class: 'muted' }, 'Choose a tenant to see where its alerts go: Slack, Discord, Telegram or webhooks, its routes, maintenance windows, held alerts and failed deliveries.'));
    return;
  }
  busy(results);
  const [list, routes, failed] = await Promise.all([
    api('GET', '/admin/alert_channels', { query: { tenant: t } }),
    api('GET', '/admin/alert_routes', { query: { tenant: t } }),
    api('GET', '/admin/alert_failures', { query: { tenant: t } }),
  ]);
  const channels = list.channels || [];
  const nameOf = (id) => { const c = channels.find((x) => x.id === id); return c ? `${c.name} (${c.kind})` : id; };
  const chain = (ids) => (ids && ids.length ? ids.map(nameOf).join(' → ') : '–');

  const test = async (c, btn) => {
    btn.disabled = true;
    try {
      const out = await api('POST', '/admin/alert_channels/test', { body: { tenant: t, id: c.id } });
      say(out.delivered ? `Test alert delivered to ${c.name}.` : `Test alert to ${c.name}: ${out.outcome}${out.detail ? ` (${out.detail})` : ''}.`, out.delivered ? 'ok' : 'error');
    } catch (err) {
      if (err.status !== 401) say(err.message, 'error');
    } finally {
      btn.disabled = false;
    }
  };
  const remove = async (c) => {
    try {
      await api('DELETE', '/admin/alert_channels', { body: { tenant: t, id: c.id } });
      await render();
      say(`Channel ${c.name} deleted.`, 'ok');
    } catch (err) {
      if (err.status !== 401) say(err.message, 'error');
    }
  };

  const [kindF, kind] = field('Kind', select('kind', [['slack', 'Slack incoming webhook'], ['discord', 'Discord webhook'], ['telegram', 'Telegram bot'], ['webhook', 'Webhook (signed JSON)']], 'slack'));
  const [nameF, name] = field('Name', input('name', { required: true, maxlength: 64 }));
  const [urlF, url] = field('Webhook URL', input('url', { type: 'url', required: true, maxlength: 2048, autocomplete: 'off', spellcheck: 'false' }),
    'https only, on a public address. Stored sealed, shown masked.');
  // The URL's label, placeholder and hint say what the chosen kind takes.
  const showKind = () => {
    const [namePh, urlPh, urlLabel, hint] = CHANNEL_KINDS[kind.value] || CHANNEL_KINDS.webhook;
    name.placeholder = namePh;
    url.placeholder = urlPh;
    urlF.querySelector('label').textContent = urlLabel;
    urlF.querySelector('small').textContent = `${hint} https only, on a public address. Stored sealed, shown masked.`;
  };
  kind.addEventListener('change', showKind);
  showKind();
  const secretBox = h('div', { class: 'secret-box' });
  const add = h('form', { class: 'card edit', 'aria-label': 'Add a channel' }, h('h2', {}, 'Add a channel'), kindF, nameF, urlF,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add channel')), secretBox);
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const made = await api('POST', '/admin/alert_channels', { body: { tenant: t, kind: kind.value, name: name.value.trim(), url: url.value.trim() } });
      await render();
      say(`Channel ${made.name} added.`, 'ok');
      if (made.signing_secret) {
        const box = main.querySelector('.secret-box');
        box?.replaceChildren(h('p', {}, 'Signing secret of ', h('strong', {}, made.name), ', shown this once: ',
          h('code', { class: 'secret' }, made.signing_secret), ' ',
          h('button', { type: 'button', class: 'quiet', onclick: (ev) => copyText(made.signing_secret, ev.currentTarget, 'Signing secret') }, 'Copy')));
      }
    } catch (err) {
      if (err.status !== 401) say(err.message, 'error');
    }
  });

  const [routesF, routesText] = field('Routes (JSON)',
    // What the routes are, as stored: `upcoming` (the windows' next occurrences) is read-only.
    h('textarea', {
      name: 'routes', rows: 8, spellcheck: 'false',
      value: JSON.stringify({
        default: routes.default, rules: routes.rules, dependencies: routes.dependencies || {}, windows: routes.windows || [],
        ...(routes.quiet_hours ? { quiet_hours: routes.quiet_hours } : {}),
      }, null, 2),
    }),
    'Rules are tried in order: {"kind","min_level","app","tag","channels":[ids],"repeat_minutes","escalate_after_minutes","escalation":[[ids]]}; "default" takes the rest; "dependencies": {"app": ["parent app"]} holds an app’s alerts while a parent is down; "windows": [{"name","cron","tz","duration_minutes"} or {"name","start","end"}, "app"?, "tag"?] hold them during maintenance; "quiet_hours": {"start":"22:00","end":"07:00","tz"} holds non-critical alerts for a morning digest.');
  const saveRoutes = h('form', { class: 'card edit', 'aria-label': 'Routes' }, h('h2', {}, 'Routes'), routesF,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save routes')));
  saveRoutes.addEventListener('submit', async (e) => {
    e.preventDefault();
    let body;
    try { body = JSON.parse(routesText.value); } catch (err) { return say(`Routes are not JSON: ${err.message}`, 'error'); }
    try {
      await api('PUT', '/admin/alert_routes', {
        body: {
          tenant: t, default: body.default || [], rules: body.rules || [], dependencies: body.dependencies || {}, windows: body.windows || [],
          ...(body.quiet_hours ? { quiet_hours: body.quiet_hours } : {}),
        },
      });
      await render();
      say('Routes saved.', 'ok');
    } catch (err) {
      if (err.status !== 401) say(err.message, 'error');
    }
  });

  const rules = routes.rules || [];
  const quiet = routes.quiet_hours;
  const held = failed.held || [];
  const windowsHeading = h('h2', { id: `h${++uid}` }, 'Maintenance windows');
  results.replaceChildren(
    channels.length
      ? table(`Alert channels of ${t}`, ['Name', 'Kind', 'URL', 'Signed', 'Added', 'Actions'],
        channels.map((c) => [c.name, c.kind, h('code', {}, c.url), c.signed ? 'yes' : 'no', when(c.created_at),
          h('span', { class: 'row-actions' },
            h('button', { type: 'button', class: 'quiet', 'aria-label': `Send a test alert to ${c.name}`, onclick: (e) => test(c, e.currentTarget) }, 'Send test alert'),
            h('button', { type: 'button', class: 'quiet', 'aria-label': `Delete channel ${c.name}`, onclick: () => remove(c) }, 'Delete'))]))
      : h('p', { class: 'muted' }, `No channels for tenant ${t}: its alerts reach only the admin.`),
    h('div', { class: 'split' }, add, saveRoutes),
    rules.length || (routes.default || []).length
      ? table('Routes, tried in order', ['#', 'When', 'Goes to (then its fallbacks)', 'Unacknowledged'],
        [...rules.map((x, i) => [String(i + 1),
          [x.kind, x.min_level && `${x.min_level} or worse`, x.app && `app ${x.app}`, x.tag && `tag ${x.tag}`].filter(Boolean).join(', ') || 'any alert',
          chain(x.channels),
          [x.repeat_minutes && `repeat every ${x.repeat_minutes} min`, x.escalation?.length && `escalate every ${x.escalate_after_minutes} min: ${x.escalation.map(chain).join('; ')}`].filter(Boolean).join('; ') || '–']),
        ['default', 'anything else', chain(routes.default), '–']])
      : h('p', { class: 'muted' }, 'No routes yet: add channels, then route alerts to them.'),
    h('section', { class: 'card windows', 'aria-labelledby': windowsHeading.id }, windowsHeading,
      quiet ? h('p', { class: 'quiet-hours' },
        `Quiet hours ${quiet.start}–${quiet.end} ${quiet.tz || 'UTC'}: non-critical alerts wait for a morning digest.`) : '',
      (routes.upcoming || []).length ? h('p', { class: 'muted' }, 'The next 14 days, in this browser’s time (UTC in brackets).') : '',
      windowCalendar(routes.upcoming || [])),
    ...((routes.windows || []).length
      ? [table('Maintenance windows as defined', ['Name', 'Covers', 'When'],
        routes.windows.map((w) => [w.name, windowScope(w),
          w.cron ? `${w.cron} (${w.tz || 'UTC'}) for ${w.duration_minutes} min` : h('span', {}, when(w.start), ' – ', when(w.end))]))]
      : []),
    h('h2', {}, 'Held alerts'),
    ...(held.length ? heldGroups(held) : [h('p', { class: 'muted' }, 'No alert is held back now.')]),
    (failed.failures || []).length
      ? table('Failed deliveries, newest first', ['When', 'Alert', 'Channel', 'Error', 'Went to'],
        failed.failures.map((f) => [when(f.at), f.title, f.channel, f.error, f.fell_back_to ? nameOf(f.fell_back_to) : 'nowhere (chain used up)']))
      : h('p', { class: 'muted' }, 'No failed deliveries in the last 30 days.'));
  say(`${channels.length} channel${channels.length === 1 ? '' : 's'} shown.`);
}

// ------------------------------------------------------------------ overview

// Bars of `counts` ({label: n}), each as wide as its share of the largest; a picture with the
// numbers as its text alternative.
function bars(caption, counts, kind) {
  const max = Math.max(1, ...Object.values(counts));
  const entries = Object.entries(counts);
  return h('figure', { class: 'bars' },
    h('figcaption', {}, caption),
    entries.length
      ? h('ul', {}, entries.map(([label, n]) => {
        const bar = h('span', { class: `bar ${kind}-${label}`, role: 'img', 'aria-label': `${label}: ${n}` });
        // Through the CSSOM: the page's CSP refuses style attributes.
        bar.style.setProperty('--share', `${(100 * n) / max}%`);
        return h('li', {}, h('span', { class: 'bar-label' }, label), bar, h('span', { class: 'bar-count' }, String(n)));
      }))
      : h('p', { class: 'muted' }, 'None.'));
}

// A column per day (oldest first), as high as its share of the busiest day; each column's
// text alternative is its day and count, and the caption gives the total.
function dayChart(caption, days, count, unit) {
  const max = Math.max(1, ...days.map(count));
  const total = days.reduce((sum, d) => sum + count(d), 0);
  const cols = days.map((d) => {
    const n = count(d);
    const col = h('span', { class: `col${n ? '' : ' zero'}`, role: 'img', 'aria-label': `${d.day}: ${n} ${unit}` });
    col.style.setProperty('--share', `${(100 * n) / max}%`);
    return col;
  });
  return h('figure', { class: 'daychart' },
    h('figcaption', {}, `${caption}: ${total} ${unit} in ${days.length} days`),
    h('div', { class: 'cols' }, cols));
}

// Tenants whose held alerts the overview reads at most (one call each, in parallel).
const MAX_HELD_TENANTS = 10;

// The alerts held under each of `down`'s apps (its dependents, the routes' `dependencies`),
// keyed `<tenant>\n<app id>`: one GET /admin/alert_failures per tenant with a down app. A call
// that fails leaves its tenant's apps without dependents shown (a 401 signs out, as anywhere).
async function heldUnder(down) {
  const tenants = [...new Set(down.map((a) => a.tenant))].slice(0, MAX_HELD_TENANTS);
  const under = new Map();
  await Promise.all(tenants.map(async (t) => {
    let held;
    try {
      held = (await api('GET', '/admin/alert_failures', { query: { tenant: t } })).held || [];
    } catch (err) {
      if (err.status === 401) throw err;
      return;
    }
    for (const x of held) {
      if (holder(x.parent).kind !== 'parent') continue;
      const key = `${t}\n${x.parent}`;
      if (!under.has(key)) under.set(key, []);
      under.get(key).push(x);
    }
  }));
  return under;
}

// A row under a down app folding its held dependents: their names, and on opening each one's
// held alert.
function dependentsRow(a, deps, span) {
  const names = deps.map((x) => x.app);
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  return h('tr', { class: 'dependents' }, h('td', { colspan: span },
    h('details', {},
      h('summary', {}, `${deps.length} dependent${deps.length === 1 ? '' : 's'} held: ${shown}`),
      h('ul', { 'aria-label': `Held while ${a.app_id} is down` },
        deps.map((x) => h('li', {}, h('strong', {}, x.app), `: ${x.title || x.alert_id || 'an alert'}, held since `, when(x.at)))),
      h('p', {}, h('a', { href: `#alerts?${new URLSearchParams({ tenant: a.tenant })}` }, `All held alerts of ${a.tenant}`)))));
}

// What is broken now, across tenants: one call, three sparse indexes on the server side; then
// the dependents held under the down apps.
async function overviewView() {
  const results = h('div', { class: 'results' });
  view('What is broken now', results);
  busy(results);
  const o = await api('GET', '/admin/overview');
  const appRow = (a) => [
    h('a', { href: `#heartbeats?tenant=${encodeURIComponent(a.tenant)}` }, a.tenant),
    String(a.app_id), badge('state', a.state), when(a.since), a.reason || '–', when(a.last_heartbeat), a.last_message || '–',
  ];
  const appHeaders = ['Tenant', 'App id', 'State', 'Since', 'Why', 'Last heartbeat', 'Last message'];
  const down = o.apps.down || [];
  const late = o.apps.late || [];
  const held = down.length ? await heldUnder(down) : new Map();
  const downRows = down.flatMap((a) => {
    const deps = held.get(`${a.tenant}\n${a.app_id}`);
    return deps ? [appRow(a), dependentsRow(a, deps, appHeaders.length)] : [appRow(a)];
  });
  const inc = o.incidents;
  const failed = o.failed_deliveries;
  const levelCounts = {};
  for (const l of LEVELS) if (inc.by_level[l]) levelCounts[l] = inc.by_level[l];
  results.replaceChildren(
    h('section', { class: 'card', 'aria-label': 'Summary' },
      h('ul', { class: 'summary' },
        h('li', {}, h('strong', {}, String(down.length)), ` app${down.length === 1 ? '' : 's'} down`),
        h('li', {}, h('strong', {}, String(late.length)), ` app${late.length === 1 ? '' : 's'} late`),
        h('li', {}, h('strong', {}, String(inc.total)), ` open incident${inc.total === 1 ? '' : 's'}`),
        h('li', {}, h('strong', {}, String(failed.count)), ` failed deliver${failed.count === 1 ? 'y' : 'ies'} in 24 h`))),
    h('h2', {}, 'Apps'),
    down.length ? table('Apps down', appHeaders, downRows) : h('p', { class: 'muted' }, 'No app is down.'),
    late.length ? table('Apps late', appHeaders, late.map(appRow)) : h('p', { class: 'muted' }, 'No app is late.'),
    o.apps.truncated ? h('p', { class: 'muted' }, 'Only the first 500 apps needing attention are shown.') : '',
    new Set(down.map((a) => a.tenant)).size > MAX_HELD_TENANTS
      ? h('p', { class: 'muted' }, `Held dependents are shown for the first ${MAX_HELD_TENANTS} tenants with an app down.`) : '',
    h('h2', {}, 'Open incidents'),
    bars('Open incidents by level', levelCounts, 'level'),
    dayChart('Incidents opened per day', o.incident_volume || [], (d) => d.opened, 'incidents'),
    inc.recent.length
      ? table('Most recently active open incidents', ['Title', 'App', 'Level', 'Status', 'Count', 'Last seen'],
        inc.recent.map((i) => [h('a', { href: `#incident/${encodeURIComponent(i.id)}` }, i.title), i.app_name,
          badge('level', i.level), badge('status', i.status), String(i.count), when(i.last_seen)]))
      : h('p', { class: 'muted' }, 'No open incident.'),
    h('h2', {}, 'Failed deliveries, last 24 hours'),
    failed.recent.length
      ? table('Newest failed deliveries', ['Failed at', 'Tenant', 'User', 'Contact', 'Messenger', 'Error'],
        failed.recent.map((d) => [when(d.failedAt), d.tenant, d.userName, d.contact, d.messenger, d.lastError || '–']))
      : h('p', { class: 'muted' }, 'No delivery failed in the last 24 hours.'));
  say(`${down.length} down, ${late.length} late, ${inc.total} open incidents, ${failed.count} failed deliveries.`);
}

// ------------------------------------------------------------------ logs

async function logsView(r) {
  const p = r.params;
  const known = await apps();
  const [userF, user] = field('User', input('user', { required: true, list: 'log-users', value: p.get('user') || '' }));
  const [procF, proc] = field('Process', input('process', { value: p.get('process') || '' }));
  const [pidF, pid] = field('PID', input('pid', { type: 'number', min: 0, value: p.get('pid') || '' }));
  const chosen = (p.get('level') || '').split(',').filter(Boolean);
  const levelBoxes = LOG_LEVELS.map((l) => h('input', { type: 'checkbox', name: 'level', value: l, id: `lvl-${l}`, checked: chosen.includes(l) }));
  const levels = h('fieldset', { class: 'levels' }, h('legend', {}, 'Levels (none = all)'),
    levelBoxes.map((b) => h('span', {}, b, h('label', { for: b.id }, b.value))));
  const [fromF, from] = field('From', input('from', { type: 'datetime-local', value: p.get('from') }));
  const [toF, to] = field('Until', input('to', { type: 'datetime-local', value: p.get('to') }));
  const [limitF, limit] = field('Lines per page', select('limit', ['50', '100', '500', '1000'], p.get('limit') || '100'));
  const filters = () => ({
    user: user.value.trim(), process: proc.value.trim(), pid: pid.value,
    level: levelBoxes.filter((b) => b.checked).map((b) => b.value).join(','), from: from.value, to: to.value, limit: limit.value,
  });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search logs' },
    userF, procF, pidF, fromF, toF, limitF, levels, datalist('log-users', known.map((a) => a.log_user)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search logs')));
  form.addEventListener('submit', (e) => { e.preventDefault(); go('logs', filters()); });
  const results = h('div', { class: 'results' });
  view('Logs', form, results);
  if (!p.get('user')) {
    results.replaceChildren(h('p', { class: 'muted' }, 'Choose a log user (apps link theirs) to see its lines, oldest first.'));
    return;
  }
  busy(results);
  const page = await api('GET', '/logs', { query: { ...filters(), from: isoFromLocal(from.value), to: isoFromLocal(to.value), next_token: p.get('next_token') } });
  const lines = page.logs || [];
  results.replaceChildren(
    page.usage ? dayChart(`Log lines of ${page.user} per day`, page.usage, (d) => d.lines, 'lines') : '',
    lines.length
      ? table(`Log lines of ${page.user}, oldest first (${lines.length} on this page)`, ['Time', 'Level', 'Process', 'PID', 'Message', 'Description'],
        lines.map((l) => [when(l.event_at), badge('level', l.level), l.p_name || '–', String(l.pid ?? '–'), l.msg, l.p_description || '']))
      : h('p', { class: 'muted' }, 'No log lines match.'),
    h('div', { class: 'pager' },
      h('button', { type: 'button', disabled: !p.get('next_token'), onclick: () => go('logs', filters()) }, 'First page'),
      h('button', { type: 'button', disabled: !page.next_token, onclick: () => go('logs', { ...filters(), next_token: page.next_token }) }, 'Next page')));
  say(`${lines.length} log line${lines.length === 1 ? '' : 's'} shown${page.next_token ? '; more on the next page' : ''}.`);
}

// ------------------------------------------------------------------ messenger

// Contacts and failed deliveries belong to a tenant's API key (not the admin token): the key is
// typed here, kept in memory only, and sent as X-Api-Key.
let messengerKey = '';

async function messengerView(r) {
  const p = r.params;
  const [keyF, key] = field('API key', input('apikey', { type: 'password', autocomplete: 'off', required: true, value: messengerKey }),
    'A tenant’s key (POST /admin/api_keys issues one). Kept in memory only.');
  const [userF, user] = field('User name', input('user_name', { required: true, value: p.get('user_name') || '' }));
  const [whatF, what] = field('Show', select('what', [['contacts', 'Contacts'], ['failed', 'Failed deliveries']], p.get('what') || 'contacts'));
  const form = h('form', { class: 'filters', 'aria-label': 'Messenger contacts and failed deliveries' },
    keyF, userF, whatF, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));
  const results = h('div', { class: 'results' });
  view('Messenger', form, results);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    messengerKey = key.value.trim();
    const target = `messenger?${new URLSearchParams({ user_name: user.value.trim(), what: what.value })}`;
    if (location.hash === `#${target}`) render(); else location.hash = target;
  });
  if (!messengerKey || !p.get('user_name')) {
    results.replaceChildren(h('p', { class: 'muted' }, 'Enter a tenant’s API key and a user name to see its contacts or the deliveries that failed.'));
    return;
  }
  busy(results);
  const failed = p.get('what') === 'failed';
  let data;
  try {
    data = await api('GET', failed ? '/api/get_failed_mess' : '/api/contacts', { query: { user_name: p.get('user_name') }, apiKey: messengerKey });
  } catch (err) {
    if (err.status === 404 && !(err.body && err.body.error)) {
      results.replaceChildren(h('p', { class: 'error' }, `${failed ? 'GET /api/get_failed_mess' : 'GET /api/contacts'} answered 404 without Lookout’s JSON error: the API this console calls has no such route. Is the console served by the same stack as the API?`));
      return;
    }
    results.replaceChildren(h('p', { class: 'error' }, err.status === 401 ? 'The API key was not accepted (401).' : err.message));
    return;
  }
  if (failed) {
    const rows = data.data || [];
    results.replaceChildren(rows.length
      ? table(`Failed deliveries of ${p.get('user_name')}, newest first`, ['Failed at', 'Contact', 'Messenger', 'Message', 'Error', 'Attempts'],
        rows.map((f) => [when(f.failedAt), f.contact, f.messenger || '–', f.message, f.error || '–', String(f.attempts ?? '–')]))
      : h('p', { class: 'muted' }, 'No failed deliveries.'));
    say(`${rows.length} failed deliver${rows.length === 1 ? 'y' : 'ies'} shown${data.next_token ? '; more remain' : ''}.`);
  } else {
    const contacts = Object.entries(data.contacts || {});
    results.replaceChildren(contacts.length
      ? table(`Contacts of ${p.get('user_name')}`, ['Name', 'Telegram', 'WhatsApp', 'Viber'],
        contacts.map(([name, m]) => [name, m.telegram || '–', m.whatsApp || '–', m.viber || '–']))
      : h('p', { class: 'muted' }, 'No contacts.'));
    say(`${contacts.length} contact${contacts.length === 1 ? '' : 's'} shown.`);
  }
}

// ------------------------------------------------------------------ start

signoutBtn.addEventListener('click', () => { signOut(''); say('Signed out.'); });
$('#skip').addEventListener('click', () => (main.querySelector('h1') || main).focus());
window.addEventListener('hashchange', render);
render();
