// The dashboard's page: an overview, then events as they happen, over one EventSource.
// Plain DOM, no framework; every value from the server goes in as text, never as markup.
'use strict';

const TERMINAL = new Set(['completed', 'failed', 'killed', 'timed_out', 'cancelled']);
const SPARK_N = 30;

const state = {
  csrf: null,
  agents: new Map(),    // task_id -> the server's view of it, plus spark {counts, newest}
  approvals: new Map(), // "task/id" -> view
  sparkMs: 10000,
  skewMs: 0,            // the server's clock minus ours
  selected: null,
};

const $ = (id) => document.getElementById(id);
const now = () => Date.now() + state.skewMs;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function notice(text) {
  const n = $('notice');
  n.textContent = text || '';
  n.hidden = !text;
}

// ---- time ----

function duration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

function ago(iso) {
  if (!iso) return '–';
  return `${duration((now() - Date.parse(iso)) / 1000)} ago`;
}

function elapsed(a) {
  if (!TERMINAL.has(a.status)) {
    const since = a.started_at || a.created_at;
    if (since) return (now() - Date.parse(since)) / 1000;
  }
  return a.elapsed_seconds;
}

// ---- activity ----

function bucket(ms) { return Math.floor(ms / state.sparkMs); }

function sparkOf(a) {
  if (!a.spark) a.spark = { counts: new Array(SPARK_N).fill(0), newest: bucket(now()) };
  const s = a.spark, b = bucket(now()), by = b - s.newest;
  if (by > 0) {
    s.counts = by >= SPARK_N ? new Array(SPARK_N).fill(0) : s.counts.slice(by).concat(new Array(by).fill(0));
    s.newest = b;
  }
  return s.counts;
}

function takeActivity(a, counts) {
  if (Array.isArray(counts) && counts.length === SPARK_N) a.spark = { counts: counts.slice(), newest: bucket(now()) };
}

const SVG = 'http://www.w3.org/2000/svg';
function drawSpark(svg, counts, w, h) {
  // One bar per bucket, over a baseline: sparse activity still reads at a glance.
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const max = Math.max(1, ...counts);
  const step = w / counts.length;
  const base = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({ x1: 0, x2: w, y1: h - 0.5, y2: h - 0.5, class: 'base' })) base.setAttribute(k, v);
  svg.append(base);
  counts.forEach((c, i) => {
    if (!c) return;
    const bh = Math.max(2, (c / max) * (h - 2));
    const bar = document.createElementNS(SVG, 'rect');
    for (const [k, v] of Object.entries({ x: (i * step + 0.5).toFixed(1), y: (h - bh).toFixed(1), width: Math.max(1, step - 1).toFixed(1), height: bh.toFixed(1) })) bar.setAttribute(k, v);
    svg.append(bar);
  });
}

function sparkSvg(counts) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('preserveAspectRatio', 'none');
  drawSpark(svg, counts, 120, 22);
  return svg;
}

// ---- rendering ----

function sortedAgents() {
  const live = (a) => (TERMINAL.has(a.status) ? 1 : 0);
  return [...state.agents.values()].sort((x, y) =>
    live(x) - live(y) || Date.parse(y.created_at || 0) - Date.parse(x.created_at || 0));
}

function isStalled(a) { return !TERMINAL.has(a.status) && a.stalled === true; }

function row(a) {
  const status = el('td', {}, el('span', { class: `status ${a.status}`, text: a.status.replace('_', ' ') }));
  if (isStalled(a)) status.append(el('span', { class: 'stalled', text: 'stalled', title: a.stall ? `quiet for ${a.stall.quiet_seconds}s` : '' }));
  if (a.waiting > 0) status.append(el('span', { class: 'waiting', text: 'needs approval' }));
  const stop = !TERMINAL.has(a.status)
    ? el('button', { class: 'danger', type: 'button', 'data-action': 'kill', text: 'Kill', onclick: (ev) => { ev.stopPropagation(); kill(a.task_id, ev.target); } })
    : null;
  const tr = el('tr', { 'data-id': a.task_id, 'data-status': a.status, onclick: () => select(a.task_id) },
    el('td', { class: 'id' }, el('code', { text: a.task_id.slice(0, 8) }), el('span', { class: 'sub', text: `${a.tool || ''} · ${a.cwd || ''}`, title: a.cwd || '' })),
    status,
    el('td', {}, TERMINAL.has(a.status) && !a.spark ? null : sparkSvg(sparkOf(a))),
    el('td', { class: 'num', 'data-duration': '' }, duration(elapsed(a))),
    el('td', { class: 'num', 'data-ago': '' }, ago(a.last_activity)),
    el('td', { class: 'latest', text: a.message || a.error || a.output || '', title: a.message || a.error || a.output || '' }),
    el('td', {}, stop));
  if (isStalled(a)) tr.classList.add('is-stalled');
  if (a.task_id === state.selected) tr.classList.add('selected');
  return tr;
}

function renderAgents() {
  const list = sortedAgents();
  document.querySelector('#agents tbody').replaceChildren(...list.map(row));
  $('no-agents').hidden = list.length > 0;
  const counts = {};
  for (const a of list) counts[a.status] = (counts[a.status] || 0) + 1;
  const stalled = list.filter(isStalled).length;
  const parts = ['running', 'queued', 'completed', 'failed', 'killed']
    .filter((s) => counts[s] || s === 'running')
    .map((s) => el('span', {}, el('b', { text: String(counts[s] || 0) }), ` ${s}`));
  if (stalled) parts.push(el('span', {}, el('b', { text: String(stalled) }), ' stalled'));
  $('counts').replaceChildren(...parts);
  const fleet = new Array(SPARK_N).fill(0);
  for (const a of list) if (a.spark) sparkOf(a).forEach((c, i) => { fleet[i] += c; });
  drawSpark($('fleet-spark'), fleet, 150, 28);
}

function renderApprovals() {
  const items = [...state.approvals.values()].map((q) => el('li', { 'data-task': q.task_id, 'data-question': String(q.id) },
    el('div', { class: 'what' }, el('span', { text: q.message }),
      el('small', { text: `agent ${q.task_id.slice(0, 8)} · asked ${ago(q.asked_at)}` })),
    el('button', { class: 'accept', type: 'button', 'data-action': 'accept', text: 'Accept', onclick: (ev) => answer(q, 'accept', ev.target) }),
    el('button', { class: 'danger', type: 'button', 'data-action': 'decline', text: 'Decline', onclick: (ev) => answer(q, 'decline', ev.target) })));
  $('approvals').replaceChildren(...items);
  $('no-approvals').hidden = items.length > 0;
  const count = $('approvals-count');
  count.textContent = String(items.length);
  count.classList.toggle('hot', items.length > 0);
}

function tick() {
  for (const tr of document.querySelectorAll('#agents tbody tr')) {
    const a = state.agents.get(tr.dataset.id);
    if (!a) continue;
    tr.querySelector('[data-duration]').textContent = duration(elapsed(a));
    tr.querySelector('[data-ago]').textContent = ago(a.last_activity);
  }
}

// ---- one agent ----

function fact(name, value) {
  return el('div', {}, el('dt', { text: name }), el('dd', { text: value == null ? '–' : String(value) }));
}

async function select(id) {
  state.selected = id;
  renderAgents();
  const res = await fetch(`/dashboard/api/agents/${encodeURIComponent(id)}`, { credentials: 'same-origin' });
  const a = await res.json();
  if (state.selected !== id) return;
  if (!res.ok || a.error) { notice(a.error || `HTTP ${res.status}`); return; }
  const r = a.report || {};
  const usage = r.usage || {};
  $('detail').hidden = false;
  $('d-id').textContent = a.task_id;
  $('d-status').className = `status ${a.status}`;
  $('d-status').textContent = a.status;
  $('d-facts').replaceChildren(
    fact('tool', a.tool), fact('started', a.started_at ? new Date(a.started_at).toLocaleTimeString() : null),
    fact('duration', duration(r.duration_seconds ?? elapsed(a))), fact('thread', a.thread_id && a.thread_id.slice(0, 13)),
    fact('input tokens', usage.input_tokens), fact('cached', usage.cached_input_tokens),
    fact('output tokens', usage.output_tokens), fact('reasoning', usage.reasoning_output_tokens),
    fact('exit code', r.exit_code), fact('approvals', r.approvals ? `${r.approvals.approved}/${r.approvals.asked} approved` : null),
    fact('cwd', a.cwd));
  const cmds = (r.commands || []).map((c) => el('li', {}, c.command, ' ',
    el('span', { class: `code${c.exit_code ? ' bad' : ''}`, text: c.exit_code == null ? '' : `→ ${c.exit_code}` })));
  $('d-commands').replaceChildren(...(cmds.length ? cmds : [el('li', { class: 'code', text: TERMINAL.has(a.status) ? 'none' : 'in the report once it ends' })]));
  const files = (r.files_changed || []).map((f) => el('li', { text: f }));
  $('d-files').replaceChildren(...(files.length ? files : [el('li', { class: 'code', text: 'none' })]));
  $('d-output').textContent = a.error ? `${a.error}\n\n${a.output || ''}` : (a.output || '');
  const log = $('d-log');
  log.textContent = a.log_tail || '';
  log.scrollTop = log.scrollHeight;
}

function appendLog(line, at) {
  const log = $('d-log');
  const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(`${at} ${line}\n`);
  if (stick) log.scrollTop = log.scrollHeight;
}

// ---- actions ----

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.csrf },
    body: JSON.stringify(body || {}),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error || `HTTP ${res.status}`);
  return json;
}

async function kill(id, button) {
  button.disabled = true;
  try { await post(`/dashboard/api/agents/${encodeURIComponent(id)}/kill`); notice(''); }
  catch (e) { notice(`Kill: ${e.message}`); button.disabled = false; }
}

async function answer(q, decision, button) {
  for (const b of button.parentElement.querySelectorAll('button')) b.disabled = true;
  try { await post(`/dashboard/api/approvals/${encodeURIComponent(q.task_id)}/${q.id}`, { decision }); notice(''); }
  catch (e) { notice(`Approval: ${e.message}`); }
}

// ---- events ----

function takeAgent(view) {
  const before = state.agents.get(view.task_id);
  const a = Object.assign(before || {}, view);
  if (view.activity) takeActivity(a, view.activity);
  state.agents.set(a.task_id, a);
  return { a, ended: before && !TERMINAL.has(before.status) && TERMINAL.has(a.status) };
}

const handlers = {
  overview(d) {
    state.skewMs = Date.parse(d.now) - Date.now();
    state.sparkMs = (d.spark_seconds || 10) * 1000;
    state.agents.clear();
    for (const t of d.agents.tasks) takeAgent(t);
    state.approvals.clear();
    for (const q of d.approvals) state.approvals.set(`${q.task_id}/${q.id}`, q);
    renderAgents();
    renderApprovals();
  },
  agent(d) {
    const { ended } = takeAgent(d);
    renderAgents();
    if (d.task_id === state.selected && ended) select(d.task_id);
  },
  log(d) {
    const a = state.agents.get(d.task_id);
    if (!a) return;
    sparkOf(a)[SPARK_N - 1] += 1;
    a.last_activity = d.at;
    a.message = d.line;
    if (d.task_id === state.selected) appendLog(d.line, d.at.slice(11, 23));
    renderAgents();
  },
  approval(d) { state.approvals.set(`${d.task_id}/${d.id}`, d); renderApprovals(); },
  settled(d) { state.approvals.delete(`${d.task_id}/${d.id}`); renderApprovals(); },
};

function connect() {
  const conn = $('conn');
  const es = new EventSource('/dashboard/events');
  for (const [name, fn] of Object.entries(handlers)) {
    es.addEventListener(name, (ev) => {
      conn.textContent = 'live';
      conn.className = 'conn live';
      fn(JSON.parse(ev.data));
    });
  }
  es.onerror = () => {
    conn.textContent = 'reconnecting…';
    conn.className = 'conn down';
    // Signed out, or the token was withdrawn: the page itself shows the login form.
    if (es.readyState === EventSource.CLOSED) fetch('/dashboard/api/session').then((r) => { if (r.status === 401) location.reload(); });
  };
}

async function start() {
  const res = await fetch('/dashboard/api/session', { credentials: 'same-origin' });
  if (res.status === 401) { location.reload(); return; }
  const s = await res.json();
  state.csrf = s.csrf;
  if (s.auth) {
    const out = $('logout');
    out.hidden = false;
    out.addEventListener('click', async () => { await post('/dashboard/logout'); location.reload(); });
  }
  $('d-close').addEventListener('click', () => { state.selected = null; $('detail').hidden = true; renderAgents(); });
  connect();
  setInterval(tick, 1000);
}

start();
