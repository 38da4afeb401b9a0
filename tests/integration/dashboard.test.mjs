// The dashboard at / of `--http`, in a real browser (Debian's headless Chromium over the DevTools
// protocol): it signs in with a token, sees an agent appear and finish, accepts an approval with
// its button and sees the command run, kills an agent, and takes the screenshot the README shows.
// Then its defences, without a browser: 401 without a token, 403 for a cross-site or token-less
// action.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createContext, gatedScript, holdScript, waitFor, REPO_ROOT, TEST_TIMEOUT } from './lib/harness.mjs';
import { startHttpServer, connectLegacyHttp } from './lib/http.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { fakeCodex, procStatusBytes, mib, MiB, SANITIZED } from './lib/fault.mjs';

/** One request on a connection of its own: { status, headers, text, json }. */
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A server behind a token file, and its tokens. */
async function serverWithToken(ctx, args = [], opts = {}) {
  const token = crypto.randomBytes(24).toString('hex');
  const other = crypto.randomBytes(24).toString('hex');
  const file = path.join(ctx.root, 'tokens');
  fs.writeFileSync(file, `${token}\n${other}\n`);
  const srv = await startHttpServer(ctx, { args: ['--http-token-file', file, ...args], ...opts });
  return { srv, token, other, base: srv.url.replace(/\/mcp$/, '') };
}

const row = (id) => `document.querySelector('#agents tbody tr[data-id="${id}"]')`;
const rowStatus = (id) => `${row(id)}?.dataset.status`;

test('the dashboard in a browser: agents live, an approval accepted, a kill, a screenshot', { timeout: 4 * TEST_TIMEOUT }, async (t) => {
  const gate = gatedScript(holdScript);
  const ctx = await createContext(t, { script: gate.script });
  // Approvals are the app-server backend's: pinned, as in approvals.test.mjs.
  const { srv, token, base } = await serverWithToken(ctx, ['--backend', 'app-server', '--max-agents', '4', '--stall-seconds', '2']);
  // An MCP client that can be asked, but never answers: the page answers instead.
  const asked = [];
  const client = await connectLegacyHttp(srv.url, {
    capabilities: { elicitation: { form: {} } },
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  t.after(() => client.close());
  client.client.setRequestHandler(ElicitRequestSchema, (req) => { asked.push(req.params); return new Promise(() => {}); });
  const call = (name, args) => client.client.callTool({ name, arguments: args }, undefined, { timeout: 3 * TEST_TIMEOUT });

  const browser = await launchBrowser(t);
  const page = await browser.newPage();

  await t.test('without the cookie the page is the login form; the token opens it', async () => {
    await page.goto(`${base}/`);
    assert.equal(await page.eval('document.querySelector("form")?.getAttribute("action")'), '/dashboard/login');
    await page.eval(`document.getElementById('token').value = ${JSON.stringify(token)}; document.querySelector('form').submit(); true`);
    await page.waitFor('document.getElementById("conn")?.textContent === "live"', { what: 'the dashboard to connect' });
    // The cookie is the browser's alone: the page's scripts cannot read it.
    assert.equal(await page.eval('document.cookie'), '');
  });

  let first;
  await t.test('an agent appears running, and finishes', async () => {
    const started = await call('spawn_agent_async', { prompt: 'RUN printf dashboard GATE', cwd: ctx.workspace });
    first = started.structuredContent.task_id;
    await page.waitFor(`${rowStatus(first)} === 'running'`, { what: 'the agent running on the page' });
    await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the model to be asked' });
    gate.release();
    await page.waitFor(`${rowStatus(first)} === 'completed'`, { what: 'the agent completed on the page' });
    // Its report, as get_agent_status has it: the command it ran.
    await page.eval(`${row(first)}.click(); true`);
    await page.waitFor(`document.getElementById('d-id').textContent === '${first}' && document.getElementById('d-commands').textContent.includes('printf dashboard')`,
      { what: 'the report with its command' });
    assert.match(await page.eval('document.getElementById("d-log").textContent'), /ended: completed/);
  });

  let held;
  await t.test('a kill button is there while an agent runs; a quiet one is marked stalled', async () => {
    held = (await call('spawn_agent_async', { prompt: 'HOLD sleep 600', cwd: ctx.workspace })).structuredContent.task_id;
    await page.waitFor(`${rowStatus(held)} === 'running' && ${row(held)}.querySelector('[data-action=kill]') !== null`,
      { what: 'the held agent with its kill button' });
    // Quiet past --stall-seconds: the runner says so, and the row shows it.
    await page.waitFor(`${row(held)}.classList.contains('is-stalled') && ${row(held)}.querySelector('.stalled') !== null`,
      { what: 'the held agent marked stalled' });
  });

  const target = path.join(ctx.root, 'approved-on-the-page.txt');
  let pending;
  await t.test('an approval waits on the page with its buttons', async () => {
    pending = call('codex', { prompt: `ESCALATE ${target} from the dashboard`, cwd: ctx.workspace, 'approval-policy': 'on-request' });
    pending.catch(() => {});
    await waitFor(() => asked.length === 1, { timeoutMs: 45_000, what: 'the client to be asked' });
    await page.waitFor(`document.querySelectorAll('#approvals li').length === 1 && document.querySelector('#approvals li').textContent.includes(${JSON.stringify(target)})`,
      { what: 'the approval on the page' });
    assert.ok(!fs.existsSync(target), 'the command ran before anyone answered');
  });

  await t.test('the screenshot, with an approval waiting, agents running and a report open', async () => {
    const png = await page.screenshot();
    assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
    assert.equal(png.readUInt32BE(16), 1360);
    const out = path.join(ctx.root, 'dashboard.png');
    fs.writeFileSync(out, png);
    // DASHBOARD_SCREENSHOT=docs/dashboard.png regenerates the README's picture.
    if (process.env.DASHBOARD_SCREENSHOT) fs.copyFileSync(out, path.resolve(REPO_ROOT, process.env.DASHBOARD_SCREENSHOT));
  });

  await t.test('Accept on the page runs the command; the client is told it need not answer', async () => {
    await page.eval(`document.querySelector('#approvals li [data-action=accept]').click(); true`);
    const res = await pending;
    assert.equal(res.content[0].text, `wrote ${target}`);
    assert.equal(fs.readFileSync(target, 'utf8'), 'from the dashboard');
    await page.waitFor(`document.querySelectorAll('#approvals li').length === 0`, { what: 'the approval to go from the page' });
    const elicit = client.received.find((m) => m.method === 'elicitation/create');
    await waitFor(() => client.received.some((m) => m.method === 'notifications/cancelled' && m.params.requestId === elicit.id),
      { timeoutMs: 10_000, what: 'the elicitation to be withdrawn' });
  });

  await t.test('Kill on the page stops the agent', async () => {
    await page.eval(`${row(held)}.querySelector('[data-action=kill]').click(); true`);
    await page.waitFor(`${rowStatus(held)} === 'killed'`, { what: 'the agent killed on the page' });
    const st = await call('get_agent_status', { task_id: held });
    assert.equal(st.structuredContent.status, 'killed');
    assert.equal(st.structuredContent.error, 'killed by kill_agent');
  });

  assert.deepEqual(page.console.filter((l) => l.startsWith('exception')), []);
});

test('the dashboard needs the token, and refuses cross-site and token-less actions', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const { token, base } = await serverWithToken(ctx);
  const auth = { authorization: `Bearer ${token}` };

  for (const p of ['/', '/dashboard/events', '/dashboard/api/overview', '/dashboard/api/session']) {
    const res = await request(`${base}${p}`);
    assert.equal(res.status, 401, p);
    assert.match(res.headers['www-authenticate'], /^Bearer/, p);
    const wrong = await request(`${base}${p}`, { headers: { cookie: `codex_mcp_token=${Buffer.from('wrong').toString('base64url')}` } });
    assert.equal(wrong.status, 401, `${p} with a wrong cookie`);
  }
  // The same as /mcp: the page's own answer to a browser is the login form.
  assert.match((await request(`${base}/`)).text, /<form method="post" action="\/dashboard\/login">/);

  // A bad token at the form is refused; a good one comes back as a cookie scripts cannot read.
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  assert.equal((await request(`${base}/dashboard/login`, { method: 'POST', headers: form, body: 'token=nope' })).status, 401);
  const login = await request(`${base}/dashboard/login`, { method: 'POST', headers: form, body: `token=${token}` });
  assert.equal(login.status, 303);
  const cookie = login.headers['set-cookie'][0];
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const session = await request(`${base}/dashboard/api/session`, { headers: { cookie: cookie.split(';')[0] } });
  assert.equal(session.status, 200);
  const csrf = session.json.csrf;
  assert.match(csrf, /^[0-9a-f]{32}$/);

  const kill = (headers) => request(`${base}/dashboard/api/agents/0123456789abcdef/kill`,
    { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookie.split(';')[0], ...headers }, body: '{}' });
  // Cross-site: refused before anything else, even with the token and the CSRF header.
  const cross = await kill({ origin: 'http://evil.example', 'x-csrf-token': csrf, ...auth });
  assert.equal(cross.status, 403);
  assert.match(cross.text, /Origin is not allowed/);
  // Same site, but without (or with a wrong) CSRF header: what a forged form would send.
  assert.equal((await kill({ origin: base })).status, 403);
  assert.equal((await kill({ origin: base, 'x-csrf-token': '0'.repeat(32) })).status, 403);
  // With it, the action goes through (to an agent there is not).
  const ok = await kill({ origin: base, 'x-csrf-token': csrf });
  assert.equal(ok.status, 404);
  assert.equal(ok.json.error, 'no such agent');
  // /mcp takes no cookie: only the Authorization header.
  const mcp = await request(`${base}/mcp`, { method: 'POST', headers: { cookie: cookie.split(';')[0], 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
  assert.equal(mcp.status, 401);
});

test("each token's dashboard shows only its own agents, as /mcp does", { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const { srv, token, other, base } = await serverWithToken(ctx);
  const mine = { authorization: `Bearer ${token}` }, theirs = { authorization: `Bearer ${other}` };
  const client = await connectLegacyHttp(srv.url, { requestInit: { headers: mine } });
  t.after(() => client.close());
  const res = await client.client.callTool({ name: 'spawn_agent', arguments: { prompt: 'hello', cwd: ctx.workspace } });
  const id = res.structuredContent.task_id;

  const overview = async (headers) => (await request(`${base}/dashboard/api/overview`, { headers })).json;
  assert.deepEqual((await overview(mine)).agents.tasks.map((a) => a.task_id), [id]);
  assert.deepEqual((await overview(theirs)).agents.tasks, []);
  const report = await request(`${base}/dashboard/api/agents/${id}`, { headers: mine });
  assert.equal(report.status, 200);
  assert.equal(report.json.report.status, 'completed');
  assert.match(report.json.log_tail, /ended: completed/);
  assert.equal((await request(`${base}/dashboard/api/agents/${id}`, { headers: theirs })).status, 404);
  const csrf = (await request(`${base}/dashboard/api/session`, { headers: theirs })).json.csrf;
  const kill = await request(`${base}/dashboard/api/agents/${id}/kill`,
    { method: 'POST', headers: { ...theirs, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' });
  assert.equal(kill.status, 404);
  // A CSRF token is the subject's own: another's does not do.
  const mineCsrf = (await request(`${base}/dashboard/api/session`, { headers: mine })).json.csrf;
  assert.notEqual(mineCsrf, csrf);
  const crossed = await request(`${base}/dashboard/api/agents/${id}/kill`,
    { method: 'POST', headers: { ...mine, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' });
  assert.equal(crossed.status, 403);
});

test('a page that stops reading its event stream is cut off, and costs the server no more', { timeout: 3 * TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  // The fake Codex floods: 64 MiB of messages, each one a log line on every page's stream.
  const { srv, token, base } = await serverWithToken(ctx, ['--http-max-backlog', String(MiB)], { codexBin: fakeCodex() });
  const url = new URL(srv.url);
  const sock = net.connect(Number(url.port), '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let closed = false;
  sock.on('close', () => { closed = true; });
  sock.on('error', () => {});
  // Read nothing, ever: the server must give up on this page rather than hold the flood for it.
  sock.write(`GET /dashboard/events HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  sock.pause();
  const client = await connectLegacyHttp(srv.url, { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  t.after(() => client.close());
  const id = (await client.client.callTool({ name: 'spawn_agent_async', arguments: { prompt: 'flood 64M 1K', cwd: ctx.workspace } })).structuredContent.task_id;
  await waitFor(() => /dashboard: an event stream stopped reading; cut off/.test(srv.stderr),
    { timeoutMs: 60_000, what: srv.diag('the page to be cut off') });
  // The run goes on to its end, and other pages are served meanwhile.
  const overview = await request(`${base}/dashboard/api/overview`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(overview.status, 200);
  await waitFor(async () => (await client.client.callTool({ name: 'get_agent_status', arguments: { task_id: id } })).structuredContent.status === 'completed',
    { timeoutMs: 120_000, intervalMs: 500, what: srv.diag('the flood to complete') });
  const rss = procStatusBytes(srv.pid, 'VmRSS');
  assert.ok(rss < (SANITIZED ? 512 : 64) * MiB, `server RSS ${mib(rss)}`);
  sock.resume();
  await waitFor(() => closed, { timeoutMs: 30_000, what: 'the cut connection to close' });
});
