// The dashboard: reads the admin API every two seconds, follows its event stream, draws the last
// five minutes of each server's traffic with uPlot, and sends an operator's drain / disable /
// enable, weight changes and session ends. The token is asked once and kept in sessionStorage (this tab only), or taken from the
// URL's fragment (#token=…, which a browser never sends to the server) and wiped from the address
// bar. Every value from the API is written with textContent, never as HTML.
'use strict';

const TOKEN_KEY = 'mooring.adminToken';
const REFRESH_MS = 2000;
const HISTORY = 150; // points per chart: five minutes at one every two seconds
const STATES = [
  ['enabled', 'Enable'],
  ['draining', 'Drain'],
  ['disabled', 'Disable'],
];

const $ = (id) => document.getElementById(id);

/** A token in the fragment (a screenshot tool, a bookmark on the operator's own machine) wins, then leaves the address bar. */
function tokenFromFragment() {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  window.history.replaceState(null, '', location.pathname + location.search);
  const given = decodeURIComponent(match[1]).trim();
  if (given) sessionStorage.setItem(TOKEN_KEY, given);
  return given || null;
}

let token = tokenFromFragment() ?? sessionStorage.getItem(TOKEN_KEY);

class Unauthorized extends Error {}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized('the token was refused');
  const json = await res.json();
  if (!res.ok) throw new Error(json.error ? json.error.message : `HTTP ${res.status}`);
  return json;
}

// ---- Login ----------------------------------------------------------------------------------

function askToken(message) {
  $('login-error').textContent = message || '';
  if (!$('login').open) $('login').showModal();
  $('token').focus();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  try {
    await api('GET', '/api/v1/status');
  } catch (err) {
    askToken(err instanceof Unauthorized ? 'That token was refused.' : `Could not reach Mooring: ${err.message}`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  $('login').close();
  start();
});

$('forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

// ---- Tables ---------------------------------------------------------------------------------

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function pill(row, text, kind) {
  const span = document.createElement('span');
  span.className = `pill ${kind || text}`;
  span.textContent = text;
  row.insertCell().append(span);
}

const num = (n, digits = 0) => (n === null || n === undefined ? '–' : Number(n).toFixed(digits));

function fill(tableId, items, draw) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  for (const item of items) draw(body.insertRow(), item);
}

function drawServices(services) {
  fill('services', services, (row, s) => {
    row.dataset.service = s.name;
    cell(row, s.name);
    pill(row, s.state);
    cell(row, s.algorithm || '–');
    cell(row, s.persistence || '–');
    cell(row, `${s.eligible} of ${s.servers}`, 'num');
    cell(row, num(s.sessions), 'num');
    cell(row, num(s.inflight), 'num');
    cell(row, num(s.requestsPerSecond, 1), 'num');
  });
}

const clock = (iso) => new Date(iso).toLocaleTimeString();

function failbackText(dc) {
  if (!dc.waitingForFailbackSince) return '';
  const since = `UP since ${clock(dc.waitingForFailbackSince)}`;
  return dc.failbackAt ? `${since}, back at ${clock(dc.failbackAt)}` : `${since}, waiting for an operator`;
}

function drawDatacenters(datacenters) {
  fill('datacenters', datacenters, (row, dc) => {
    row.dataset.datacenter = dc.name;
    cell(row, dc.service);
    cell(row, dc.name);
    pill(row, dc.state);
    cell(row, dc.role);
    // A standby idles until a failover: serving says where new sessions go now.
    pill(row, dc.serving ? 'serving' : 'idle', dc.serving ? 'up' : undefined);
    cell(row, `${dc.eligible} of ${dc.servers}`, 'num');
    cell(row, dc.connectionTimeMs === null ? '–' : `${num(dc.connectionTimeMs, 1)} ms${dc.fastest ? ' ★' : ''}`, 'num');
    cell(row, failbackText(dc));
    cell(row, dc.failovers.slice(0, 3).map((h) => `${h.kind} ${clock(h.at)}`).join(', '));
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Fail back';
    button.dataset.action = 'failback';
    button.disabled = !dc.waitingForFailbackSince;
    button.title = 'Send new sessions to this data center now';
    button.addEventListener('click', () => failBack(dc, button));
    row.insertCell().append(button);
  });
}

async function failBack(dc, button) {
  button.disabled = true;
  $('action-error').textContent = '';
  try {
    await api('POST', `/api/v1/datacenters/${encodeURIComponent(dc.name)}/failback`, {});
  } catch (err) {
    $('action-error').textContent = `${dc.name}: ${err.message}`;
  }
  await refresh();
}

function drainText(s) {
  if (!s.drain) return '';
  return s.drain.done ? 'done' : `${s.drain.remaining} left`;
}

/** How long ago `iso` was, short: 45 s, 12 min, 3 h, 2 d. */
function age(iso) {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

function bytes(n) {
  if (n >= 1048576) return `${(n / 1048576).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

function healthCell(row, s) {
  const td = row.insertCell();
  const span = document.createElement('span');
  const shown = s.ejectedUntil ? 'ejected' : s.health;
  span.className = `pill ${shown}`;
  span.textContent = shown;
  const since = document.createElement('span');
  since.className = 'muted since';
  since.textContent = s.healthSince ? ` for ${age(s.healthSince)}` : '';
  td.append(span, since);
}

function checkCell(row, s) {
  const check = s.lastCheck;
  if (!check) return cell(row, '–', 'muted');
  const td = cell(row, `${check.ok ? 'passed' : 'failed'} · ${num(check.durationMs, 1)} ms · ${age(check.at)} ago`, check.ok ? 'check' : 'check failed');
  td.title = `${check.monitor}: ${check.detail} (${clock(check.at)})`;
  return td;
}

/** A button in a cell: the value it shows, what clicking it does. */
function buttonCell(row, text, action, title, onClick) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'value';
  button.textContent = text;
  button.dataset.action = action;
  button.title = title;
  button.addEventListener('click', onClick);
  row.insertCell().append(button);
}

function drawServers(servers) {
  fill('servers', servers, (row, s) => {
    row.dataset.server = s.id;
    row.dataset.state = s.state;
    cell(row, `${s.service} / ${s.id}`);
    healthCell(row, s);
    checkCell(row, s);
    pill(row, s.state);
    buttonCell(row, String(s.weight), 'weight', 'Change the weight', () => changeWeight(s));
    buttonCell(row, num(s.sessions), 'sessions', 'List its sessions', () => showSessions(s));
    cell(row, num(s.inflight), 'num');
    cell(row, num(s.queued), 'num');
    cell(row, num(s.requestsPerSecond, 1), 'num');
    cell(row, s.p50Ms === null ? '–' : `${num(s.p50Ms, 1)} ms`, 'num');
    cell(row, s.p99Ms === null ? '–' : `${num(s.p99Ms, 1)} ms`, 'num');
    cell(row, `${num(s.errorRate * 100, 1)} %`, 'num');
    cell(row, `${bytes(s.bytesInPerSecond)} / ${bytes(s.bytesOutPerSecond)}`, 'num');
    cell(row, drainText(s));
    const actions = document.createElement('div');
    actions.className = 'actions';
    row.insertCell().append(actions);
    for (const [state, label] of STATES) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = label;
      button.dataset.action = state;
      button.disabled = s.state === state;
      button.addEventListener('click', () => {
        // Disabling moves every session of the server at once: asked first.
        if (state === 'disabled' && !confirm(`Disable ${s.service} / ${s.id}? Its ${s.sessions} session(s) move to other servers at once.`)) return;
        setState(s.id, state, button);
      });
      actions.append(button);
    }
  });
}

async function patchServer(id, body) {
  $('action-error').textContent = '';
  try {
    await api('PATCH', `/api/v1/servers/${encodeURIComponent(id)}`, body);
  } catch (err) {
    $('action-error').textContent = `${id}: ${err.message}`;
  }
  await refresh();
}

async function setState(id, state, button) {
  button.disabled = true;
  await patchServer(id, { state });
}

async function changeWeight(s) {
  const given = prompt(`Weight of ${s.service} / ${s.id} (a whole number from 1 to 10000; it holds until the config changes this server's weight):`, String(s.weight));
  if (given === null) return;
  const weight = Number(given.trim());
  if (!Number.isInteger(weight) || weight < 1 || weight > 10000) {
    $('action-error').textContent = `${s.id}: weight must be a whole number from 1 to 10000, not ${JSON.stringify(given)}`;
    return;
  }
  await patchServer(s.id, { weight });
}

// ---- Sessions of one server -----------------------------------------------------------------

let sessionsOf;

async function showSessions(s) {
  sessionsOf = s;
  $('sessions-title').textContent = `Sessions on ${s.service} / ${s.id}`;
  if (!$('sessions').open) $('sessions').showModal();
  await listSessions();
}

async function listSessions() {
  const s = sessionsOf;
  $('sessions-error').textContent = '';
  let listed;
  try {
    listed = await api('GET', `/api/v1/sessions?server=${encodeURIComponent(s.id)}&limit=100`);
  } catch (err) {
    $('sessions-error').textContent = err.message;
    return;
  }
  const service = listed.services.find((x) => x.service === s.service) || { count: 0, sample: [] };
  $('sessions-count').textContent = service.count > service.sample.length ? `${service.count} sessions; the ${service.sample.length} least recently seen:` : `${service.count} session(s)`;
  fill('sessions-table', service.sample, (row, session) => {
    row.dataset.session = session.key;
    cell(row, session.key, 'key');
    cell(row, `${age(session.lastSeen)} ago`);
    cell(row, session.expires ? clock(session.expires) : '–');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'End';
    button.dataset.action = 'end-session';
    button.title = 'End it: its next request is placed as a new session';
    button.addEventListener('click', () => endSession(session.key, button));
    row.insertCell().append(button);
  });
}

async function endSession(key, button) {
  button.disabled = true;
  try {
    await api('DELETE', `/api/v1/sessions/${encodeURIComponent(key)}`);
  } catch (err) {
    $('sessions-error').textContent = err.message;
  }
  await listSessions();
  await refresh();
}

$('sessions-close').addEventListener('click', () => $('sessions').close());

// ---- Charts ---------------------------------------------------------------------------------

const COLOURS = ['#2f6fdf', '#d9822b', '#1f8a4c', '#c8372d', '#7c4dcc', '#0e9aa7', '#b5478a', '#6b7385'];

const charts = {
  rps: { el: 'chart-rps', value: (s) => s.requestsPerSecond },
  p99: { el: 'chart-p99', value: (s) => s.p99Ms },
  errors: { el: 'chart-errors', value: (s) => s.errorRate * 100 },
};
const history = { times: [], keys: [], values: { rps: [], p99: [], errors: [] } };

function record(servers) {
  const keys = servers.map((s) => `${s.service}/${s.id}`);
  if (keys.join('\n') !== history.keys.join('\n')) {
    // The set of servers changed (a reload): start the charts afresh.
    history.times = [];
    history.keys = keys;
    for (const name of Object.keys(charts)) history.values[name] = keys.map(() => []);
    for (const chart of Object.values(charts)) {
      if (chart.plot) chart.plot.destroy();
      chart.plot = undefined;
    }
  }
  history.times.push(Date.now() / 1000);
  for (const [name, chart] of Object.entries(charts)) servers.forEach((s, i) => history.values[name][i].push(chart.value(s)));
  if (history.times.length > HISTORY) {
    history.times.shift();
    for (const name of Object.keys(charts)) for (const list of history.values[name]) list.shift();
  }
  for (const [name, chart] of Object.entries(charts)) draw(chart, [history.times, ...history.values[name]]);
}

const clockLabels = (u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false }));

function draw(chart, data) {
  const el = $(chart.el);
  const width = Math.max(300, el.clientWidth);
  if (!chart.plot) {
    const series = [{}, ...history.keys.map((key, i) => ({ label: key, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }))];
    // Always the last five minutes, so a fresh chart does not stretch one point over years.
    const x = { time: true, range: (u, min, max) => [max - (HISTORY * REFRESH_MS) / 1000, max + REFRESH_MS / 1000] };
    const y = { range: (u, min, max) => [0, Math.max(1, max * 1.1)] };
    chart.plot = new uPlot({ width, height: 200, series, scales: { x, y }, axes: [{ values: clockLabels }, { size: 50 }], legend: { live: false } }, data, el);
  } else {
    if (chart.plot.width !== width) chart.plot.setSize({ width, height: 200 });
    chart.plot.setData(data);
  }
}

// ---- Refresh and events ---------------------------------------------------------------------

let timer;

async function refresh() {
  try {
    const [status, services, datacenters, servers] = await Promise.all([
      api('GET', '/api/v1/status'),
      api('GET', '/api/v1/services'),
      api('GET', '/api/v1/datacenters'),
      api('GET', '/api/v1/servers'),
    ]);
    $('process').textContent = `v${status.version} · pid ${status.pid} · up ${status.uptimeSeconds} s · ${status.requests} requests in flight`;
    drawServices(services.services);
    drawDatacenters(datacenters.datacenters);
    drawServers(servers.servers);
    record(servers.servers);
  } catch (err) {
    if (err instanceof Unauthorized) {
      stop();
      askToken('The token was refused; it may have changed with a reload.');
    } else setConnection('lost');
  }
}

function setConnection(state) {
  const el = $('connection');
  el.className = `pill ${state}`;
  el.textContent = state === 'live' ? 'live' : 'reconnecting';
}

function addEvent(e) {
  const li = document.createElement('li');
  const time = document.createElement('time');
  time.dateTime = e.at;
  time.textContent = new Date(e.at).toLocaleTimeString();
  const where = e.server !== undefined ? `/${e.server}` : e.datacenter !== undefined ? `@${e.datacenter}` : '';
  const subject = e.service === undefined ? 'mooring' : `${e.service}${where}`;
  li.append(time, `${e.type} ${subject}: ${e.from} → ${e.to} (${e.reason})`);
  li.dataset.type = e.type;
  const list = $('events');
  list.prepend(li);
  while (list.children.length > 200) list.lastElementChild.remove();
}

let stream;

/** EventSource cannot send the token, so the stream is read through fetch. */
async function follow() {
  stream = new AbortController();
  let wait = 1000;
  while (!stream.signal.aborted) {
    try {
      const res = await fetch('/api/v1/events', { headers: { authorization: `Bearer ${token}` }, signal: stream.signal });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      setConnection('live');
      wait = 1000;
      $('events').replaceChildren();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) addEvent(JSON.parse(data));
        }
      }
    } catch (err) {
      if (stream.signal.aborted) return;
    }
    setConnection('lost');
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 15000);
  }
}

function stop() {
  clearInterval(timer);
  if (stream) stream.abort();
}

function start() {
  $('forget').hidden = false;
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
  follow();
}

if (token) start();
else askToken();
