// Replicas: several codex-mcp --http servers sharing one real PostgreSQL (and the Codex sessions
// directory), driven by the official SDK client. Any replica answers for any task, a run is
// stopped where it lives, and a replica that dies is noticed by the others through its lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT, createContext, holdScript, listProcesses, resultText, waitFor } from './lib/harness.mjs';
import { startHttpServer, connectLegacyHttp } from './lib/http.mjs';
import { connectModern } from './lib/modern-client.mjs';
import { startPostgres } from './lib/pg.mjs';
import { startRaw } from './lib/raw-client.mjs';

const TIMEOUT = 120_000;
const LEASE_S = 3;

/** n replicas on one database, each with its own state and log directory. */
async function startReplicas(t, n, { script = holdScript, args = [], each = [] } = {}) {
  const ctx = await createContext(t, { script });
  const pg = await startPostgres(t);
  const store = pg.database('codex');
  const replicas = [];
  for (let i = 0; i < n; i++) {
    const srv = await startHttpServer(ctx, {
      args: ['--store', store, '--lease', String(LEASE_S), '--state-dir', path.join(ctx.root, `state-${i}`), ...args, ...(each[i] ?? [])],
    });
    srv.mcp = await connectLegacyHttp(srv.url);
    srv.call = async (name, args) => srv.mcp.client.callTool({ name, arguments: args }, undefined, { timeout: TIMEOUT });
    replicas.push(srv);
  }
  return { ctx, pg, store, replicas };
}

/**
 * Another client holds table locked for seconds (every read and write of it waits); resolves
 * once the lock is held. lock.released() says whether it has gone; await lock.unlocked for it.
 */
async function lockTable(t, pg, table, seconds) {
  const locker = spawn('psql', ['-XAtq', pg.urlOf('codex'), '-c', `BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${seconds}); COMMIT;`], { stdio: 'ignore' });
  const unlocked = new Promise((r) => locker.once('exit', r));
  let released = false;
  unlocked.then(() => { released = true; });
  t.after(() => { locker.kill(); return unlocked; });
  await waitFor(() => pg.sql(`SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = '${table}' AND l.mode = 'AccessExclusiveLock' AND l.granted`, 'codex') === '1',
    { what: `the lock on the ${table} table` });
  return { unlocked, released: () => released };
}

const json = (srv, res, what) => {
  assert.ok(!res.isError, srv.diag(`${what}: ${resultText(res)}`));
  return res.structuredContent;
};

/** The live processes below pid. */
function descendants(pid) {
  const procs = listProcesses().filter((p) => p.state !== 'Z' && p.state !== 'X');
  const below = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (below.has(p.ppid) && !below.has(p.pid)) { below.add(p.pid); grew = true; }
  }
  below.delete(pid);
  return procs.filter((p) => below.has(p.pid));
}

const sleepers = (marker) => listProcesses().filter((p) => p.state !== 'Z' && p.comm === 'sleep' && p.cmdline[1] === marker);

async function holdingAgent(ctx, srv) {
  const marker = `${400 + Math.floor(Math.random() * 500)}.${process.pid % 1000}${Math.floor(Math.random() * 1000)}`;
  const spawned = json(srv, await srv.call('spawn_agent_async', { prompt: `HOLD sleep ${marker}`, cwd: ctx.workspace }), 'spawn');
  await waitFor(() => sleepers(marker).length === 1, { timeoutMs: 45_000, what: `the agent's sleep ${marker}` });
  return { id: spawned.task_id, marker };
}

/** Whether the sleep of marker runs below replica srv. */
const runsOn = (srv, marker) => descendants(srv.pid).some((p) => p.comm === 'sleep' && p.cmdline[1] === marker);

test('an agent started on replica A is read and killed through replica B, and nothing of it is left on A', { timeout: TIMEOUT }, async (t) => {
  const { ctx, replicas: [a, b] } = await startReplicas(t, 2);
  const run = await holdingAgent(ctx, a);
  assert.ok(descendants(a.pid).some((p) => p.comm === 'sleep'), 'the run is A\'s');
  assert.ok(!descendants(b.pid).some((p) => p.comm === 'sleep'), 'B runs nothing of it');

  // B answers for it from the shared store: status, last activity.
  const st = json(b, await b.call('get_agent_status', { task_id: run.id }), 'status on B');
  assert.equal(st.status, 'running');
  assert.equal(st.task_id, run.id);
  assert.ok(Date.parse(st.last_activity) > 0, 'a last activity');
  const listed = json(b, await b.call('list_agent_tasks', {}), 'list on B');
  assert.ok(JSON.stringify(listed).includes(run.id), 'B lists the task A runs');

  // kill_agent through B answers once the run is gone from A.
  const k = json(b, await b.call('kill_agent', { task_id: run.id }), 'kill on B');
  assert.equal(k.killed, true, JSON.stringify(k));
  assert.equal(k.status, 'killed');
  assert.match(k.message, /stopped by replica/);
  assert.equal(sleepers(run.marker).length, 0, 'the run\'s command is gone when kill_agent answers');
  await waitFor(() => !descendants(a.pid).some((p) => p.comm === 'sleep' || (p.comm !== 'codex' && p.cmdline.includes('exec'))),
    { timeoutMs: 10_000, what: 'A to have nothing of the run left' });
  // Both replicas say the same.
  for (const srv of [a, b]) {
    const after = json(srv, await srv.call('get_agent_status', { task_id: run.id }), 'status after kill');
    assert.equal(after.status, 'killed');
  }
});

test('codex on replica A, codex-reply on replica B', { timeout: TIMEOUT }, async (t) => {
  const { ctx, replicas: [a, b] } = await startReplicas(t, 2);
  const first = await a.call('codex', { prompt: 'hello from A', cwd: ctx.workspace });
  assert.ok(!first.isError, a.diag(resultText(first)));
  const threadId = first.structuredContent.threadId;
  const reply = await b.call('codex-reply', { threadId, prompt: 'and B' });
  assert.ok(!reply.isError, b.diag(resultText(reply)));
  assert.equal(reply.content[0].text, 'echo: and B [user messages: 2]');
});

test('SIGKILL of replica A mid-run: B reports its run failed within the lease, and B\'s own run goes on', { timeout: TIMEOUT }, async (t) => {
  const { ctx, replicas: [a, b] } = await startReplicas(t, 2);
  const onA = await holdingAgent(ctx, a);
  const onB = await holdingAgent(ctx, b);
  await a.stop('SIGKILL');
  const killedAt = Date.now();
  let st;
  await waitFor(async () => {
    st = json(b, await b.call('get_agent_status', { task_id: onA.id }), 'status of A\'s run');
    return st.status === 'failed';
  }, { timeoutMs: 4 * LEASE_S * 1000, intervalMs: 100, what: 'B to see A\'s run failed' });
  const took = Date.now() - killedAt;
  assert.equal(st.error, 'server stopped');
  // Within the lease, and the half-lease sweep that notices it.
  assert.ok(took <= (LEASE_S * 1.5 + 1) * 1000, `took ${took} ms, lease ${LEASE_S} s`);
  const mine = json(b, await b.call('get_agent_status', { task_id: onB.id }), 'status of B\'s run');
  assert.equal(mine.status, 'running');
  assert.equal(sleepers(onB.marker).length, 1, 'B\'s run is untouched');
  // A's Codex went with it: nothing is left orphaned.
  await waitFor(() => sleepers(onA.marker).length === 0, { timeoutMs: 10_000, what: 'A\'s run to go with A' });
});

test('a PostgreSQL restart mid-run: the replicas reconnect and nothing acknowledged is lost', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a, b] } = await startReplicas(t, 2, { script: undefined });
  // Each replica LISTENs on a connection of its own, for wake-ups.
  const listening = () => Number(pg.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'codex-mcp-watch' AND query LIKE 'LISTEN%'", 'codex'));
  await waitFor(() => listening() === 2, { what: 'both replicas to LISTEN' });
  const spawned = json(a, await a.call('spawn_agent_async', { prompt: 'SLEEP 1500 after the restart', cwd: ctx.workspace }), 'spawn');
  pg.restart();
  let st;
  await waitFor(async () => {
    const res = await b.call('get_agent_status', { task_id: spawned.task_id });
    if (res.isError) return false;
    st = res.structuredContent;
    return st.status === 'completed';
  }, { timeoutMs: 30_000, intervalMs: 200, what: 'the run, recorded as completed' });
  assert.match(st.output, /after the restart/);
  // Writes after the restart land too.
  const again = json(b, await b.call('spawn_agent', { prompt: 'after', cwd: ctx.workspace }), 'spawn after restart');
  assert.equal(again.status, 'completed');
  // And each replica LISTENs again, connected without holding its loop.
  await waitFor(() => listening() === 2, { timeoutMs: 15_000, what: 'both replicas to LISTEN again' });
});

/** contrib/haproxy.cfg in front of the replicas, on a free port; its URL. */
async function startHaproxy(t, replicas) {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const hostport = (srv) => new URL(srv.url).host;
  const proxy = spawn('haproxy', ['-db', '-f', path.join(REPO_ROOT, 'contrib', 'haproxy.cfg')], {
    env: { ...process.env, CODEX_MCP_LISTEN: `127.0.0.1:${port}`, CODEX_MCP_A: hostport(replicas[0]), CODEX_MCP_B: hostport(replicas[1]) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proxy.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proxy.once('exit', r));
  t.after(async () => { proxy.kill('SIGTERM'); await exited; });
  await waitFor(() => new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
    c.on('error', () => resolve(false));
  }), { what: `haproxy to listen (${stderr})` });
  return `http://127.0.0.1:${port}/mcp`;
}

test('through haproxy: 2025 sessions stay on their replica, and 2026 requests go to either', { timeout: TIMEOUT }, async (t) => {
  const { ctx, replicas } = await startReplicas(t, 2);
  const url = await startHaproxy(t, replicas);
  // Round robin spreads the sessions; each then works through the balancer alone.
  const sessions = [];
  for (let i = 0; i < 4; i++) sessions.push(await connectLegacyHttp(url));
  const homes = [];
  for (const s of sessions) {
    const on = [];
    for (const r of replicas) on.push(await sessionOn(r, s.transport.sessionId));
    assert.equal(on.filter(Boolean).length, 1, 'a session lives on one replica');
    homes.push(on.indexOf(true));
  }
  for (const [i, s] of sessions.entries()) {
    const progress = [];
    const res = await s.client.callTool({ name: 'codex', arguments: { prompt: `session ${i}`, cwd: ctx.workspace } },
      undefined, { onprogress: (p) => progress.push(p), timeout: TIMEOUT });
    assert.ok(!res.isError, resultText(res));
    assert.equal(res.content[0].text, `echo: session ${i} [user messages: 1]`);
    const listed = await s.client.listTools();
    assert.ok(listed.tools.some((tool) => tool.name === 'codex-reply'));
  }
  assert.equal(new Set(homes).size, 2, 'the sessions are spread over both replicas');
  for (const s of sessions) await s.close();

  // Stateless 2026 requests: a codex call and its reply, wherever the balancer sends each.
  const a = await connectModern('codex-mcp', [], {}, { url, mode: 'pin', ctx });
  for (let i = 0; i < 3; i++) {
    const first = await a.client.callTool({ name: 'codex', arguments: { prompt: `modern ${i}`, cwd: ctx.workspace } }, { timeout: TIMEOUT });
    assert.ok(!first.isError, resultText(first));
    const reply = await a.client.callTool({ name: 'codex-reply', arguments: { threadId: first.structuredContent.threadId, prompt: 'again' } }, { timeout: TIMEOUT });
    assert.ok(!reply.isError, resultText(reply));
    assert.equal(reply.content[0].text, 'echo: again [user messages: 2]');
  }
});

/** Whether replica srv knows the 2025 session sid: it answers a ping on it (another says 404). */
async function sessionOn(srv, sid) {
  const res = await fetch(srv.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  await res.text();
  return res.status === 200;
}

test('a database that cannot be reached at start: a clear error, and never its password', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const spec = ctx.serverCommand({ args: ['--http', '127.0.0.1:0', '--store', 'postgresql://codex:sekrit-pw@127.0.0.1:1/codex'] });
  const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'ignore', 'pipe'] });
  ctx.serverPids.add(child.pid);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((r) => child.once('exit', r));
  assert.notEqual(code, 0);
  assert.match(stderr, /--store: cannot connect to the PostgreSQL store: .*127\.0\.0\.1/s);
  assert.doesNotMatch(stderr, /sekrit/);
  assert.doesNotMatch(stderr, /listening on/);
});

test('the database down during a run: the run goes on, the caller is told its record waits, and it is written once the database is back', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a, b] } = await startReplicas(t, 2);
  const call = a.call('spawn_agent', { prompt: 'SLEEP 1500 finished while the database was down', cwd: ctx.workspace });
  await waitFor(() => ctx.model.active > 0, { what: 'the run to reach the model' });
  pg.down();
  const res = await call;
  assert.ok(!res.isError, a.diag(resultText(res)));
  assert.match(res.content[0].text, /finished while the database was down/);
  const note = res.content.map((c) => c.text).join('\n');
  assert.match(note, /record could not be saved/);
  const id = res.structuredContent.task_id;
  // Meanwhile A answers from what it keeps; B cannot read the records, and says so.
  const kept = await a.call('get_agent_status', { task_id: id });
  assert.equal(kept.structuredContent.status, 'completed');
  const unread = await b.call('get_agent_status', { task_id: id });
  assert.ok(unread.isError);
  assert.match(resultText(unread), /cannot read task .*the database/);

  pg.up();
  await waitFor(async () => {
    const st = await b.call('get_agent_status', { task_id: id });
    return !st.isError && st.structuredContent.status === 'completed';
  }, { timeoutMs: 20_000, intervalMs: 200, what: 'the kept record to reach the database' });
  assert.match(a.stderr, new RegExp(`task ${id} recorded at last`));
});

test('a thread whose replica stopped: continued from the shared sessions directory, or an answer that says where it lives', { timeout: TIMEOUT }, async (t) => {
  const { ctx, store, replicas: [a, b] } = await startReplicas(t, 2);
  const first = await a.call('codex', { prompt: 'started on A', cwd: ctx.workspace });
  assert.ok(!first.isError, a.diag(resultText(first)));
  const threadId = first.structuredContent.threadId;
  await a.stop(); // gives its lease up: B need not wait for it to run out

  const reply = await b.call('codex-reply', { threadId, prompt: 'on B' });
  assert.ok(!reply.isError, b.diag(resultText(reply)));
  assert.equal(reply.content[0].text, 'echo: on B [user messages: 2]');

  // A replica whose Codex keeps its sessions elsewhere cannot continue it, and says why.
  const elsewhere = path.join(ctx.root, 'other-codex-home');
  fs.mkdirSync(elsewhere);
  fs.copyFileSync(path.join(ctx.codexHome, 'config.toml'), path.join(elsewhere, 'config.toml'));
  const c = await startHttpServer(ctx, {
    args: ['--store', store, '--lease', String(LEASE_S), '--state-dir', path.join(ctx.root, 'state-c')],
    env: { CODEX_HOME: elsewhere },
  });
  await b.stop();
  const mcp = await connectLegacyHttp(c.url);
  const refused = await mcp.client.callTool({ name: 'codex-reply', arguments: { threadId, prompt: 'on C' } }, undefined, { timeout: TIMEOUT });
  assert.ok(refused.isError, resultText(refused));
  assert.match(resultText(refused), /lives on replica .*which is gone.*CODEX_HOME\/sessions/s);
  await mcp.close();
});

test('a database that hangs does not hold the protocol up: writes wait on the store\'s thread, and the call is answered', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a] } = await startReplicas(t, 1);
  const call = a.call('spawn_agent', { prompt: 'SLEEP 1200 done under a locked table', cwd: ctx.workspace });
  await waitFor(() => ctx.model.active > 0, { what: 'the run to reach the model' });
  // Another client holds the tasks table locked: every write of a task waits for it.
  const lock = await lockTable(t, pg, 'tasks', 8);

  const listed = await a.mcp.client.listTools();
  assert.ok(listed.tools.length > 0);
  assert.equal(lock.released(), false, 'tools/list was answered while the table was locked');
  const res = await call;
  assert.ok(!res.isError, a.diag(resultText(res)));
  assert.match(res.content[0].text, /done under a locked table/);
  assert.equal(lock.released(), false, 'the run was answered while its record waited for the lock');

  await lock.unlocked;
  await waitFor(() => pg.sql(`SELECT status FROM tasks WHERE id = '${res.structuredContent.task_id}'`, 'codex') === 'completed',
    { what: 'the record written once the lock went' });
});

test('tasks/get and tasks/list wait for a hung database off the loop, and answer once it is back', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a, b] } = await startReplicas(t, 2);
  // Recorded by B: A knows it only from the store.
  const done = await b.call('spawn_agent', { prompt: 'recorded on B', cwd: ctx.workspace });
  assert.ok(!done.isError, b.diag(resultText(done)));
  const id = done.structuredContent.task_id;
  const lock = await lockTable(t, pg, 'tasks', 8);

  const got = a.mcp.client.experimental.tasks.getTask(id, { timeout: TIMEOUT });
  const listed = a.mcp.client.experimental.tasks.listTasks(undefined, { timeout: TIMEOUT });
  let answered = false;
  Promise.allSettled([got, listed]).then(() => { answered = true; });
  const tools = await a.mcp.client.listTools();
  assert.ok(tools.tools.length > 0);
  assert.equal(lock.released(), false, 'tools/list was answered while the table was locked');
  assert.equal(answered, false, 'the task reads cannot have been answered from a locked table');

  await lock.unlocked;
  const task = await got;
  assert.equal(task.taskId, id);
  assert.equal(task.status, 'completed');
  assert.ok((await listed).tasks.some((x) => x.taskId === id), 'tasks/list shows the task B recorded');
});

test('a replica that stops while its call waits on another replica\'s run: the call is told, and the run goes on', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a, b] } = await startReplicas(t, 2);
  const first = await a.call('codex', { prompt: 'held on A', cwd: ctx.workspace });
  assert.ok(!first.isError, a.diag(resultText(first)));
  const marker = `${500 + Math.floor(Math.random() * 400)}.${process.pid % 1000}${Math.floor(Math.random() * 1000)}`;
  // The reply is handed to A, which holds the thread; B's call waits on it.
  const waiting = b.call('codex-reply', { threadId: first.structuredContent.threadId, prompt: `HOLD sleep ${marker}` });
  await waitFor(() => sleepers(marker).length === 1, { timeoutMs: 45_000, what: 'the handed-over run on A' });
  assert.ok(descendants(a.pid).some((p) => p.comm === 'sleep'), 'the run is A\'s');
  const stopping = b.stop();
  const res = await waiting;
  await stopping;
  assert.ok(res.isError);
  assert.match(resultText(res), /server is stopping; task \w+ goes on on replica/);
  // No cancel was asked of A. B gave its lease up: A's is the one left, and once A has renewed
  // it, A has also taken whatever was asked of it by then.
  const lease = () => pg.sql('SELECT lease_until FROM replicas', 'codex');
  const before = lease();
  await waitFor(() => lease() !== before, { what: 'a round of A after B stopped' });
  assert.equal(sleepers(marker).length, 1, 'the run goes on on A');
  assert.doesNotMatch(a.stderr, /as another replica asked/);
});

test('SIGTERM while a task call waits on a locked table: the call is answered, and the server exits 0', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t, { script: holdScript });
  const pg = await startPostgres(t);
  const srv = startRaw(t, ctx, { args: ['--store', pg.database('codex')] });
  srv.send({ id: 'init', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { tasks: {} }, clientInfo: { name: 'raw', version: '0' } } });
  await srv.response('init');
  srv.send({ method: 'notifications/initialized' });
  const lock = await lockTable(t, pg, 'threads', 4);
  // A task whose call reads its thread from the locked table when the server is told to stop.
  srv.send({ id: 2, method: 'tools/call', params: { name: 'codex-reply', arguments: { prompt: 'x', threadId: 'no-such-thread' }, task: { ttl: 60000 } } });
  const created = await srv.response(2);
  assert.ok(created.result?.task?.taskId, JSON.stringify(created));
  srv.child.kill('SIGTERM');
  const exit = await srv.exited;
  assert.equal(exit.signal, null, srv.diag(`killed by ${exit.signal}`));
  assert.equal(exit.code, 0, srv.diag(`exit code ${exit.code}`));
  await lock.unlocked;
  // The task's answer was recorded once the read came back: any replica reads it.
  const rec = await waitFor(() => pg.sql(`SELECT status FROM tasks WHERE id = '${created.result.task.taskId}'`, 'codex'), { what: 'the task record' });
  assert.equal(rec, 'failed');
});

test('--fleet-max-agents 1: a run on B waits, queued, while A runs one, and starts once that ends', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a, b] } = await startReplicas(t, 2, { args: ['--fleet-max-agents', '1'] });
  const run = await holdingAgent(ctx, a);
  const messages = [];
  const call = b.mcp.client.callTool({ name: 'spawn_agent', arguments: { prompt: 'after the fleet had room', cwd: ctx.workspace } }, undefined,
    { timeout: TIMEOUT, onprogress: (p) => messages.push(p.message) });
  await waitFor(() => messages.some((m) => /the fleet runs as many agents/.test(m)), { what: 'B to say its run waits for the fleet' });
  assert.equal(pg.sql(`SELECT count(*) FROM tasks WHERE status = 'running'`, 'codex'), '1', 'one run in the whole fleet');
  const queued = json(b, await b.call('list_agent_tasks', { status: 'queued' }), 'B\'s queue');
  assert.equal(queued.queued, 1, JSON.stringify(queued));

  // A's run ends: the fleet has room, and B's run starts there and completes.
  json(a, await a.call('kill_agent', { task_id: run.id }), 'kill on A');
  const res = await call;
  assert.ok(!res.isError, b.diag(resultText(res)));
  assert.match(resultText(res), /after the fleet had room/);
  assert.ok(messages.indexOf(messages.find((m) => /fleet/.test(m))) < messages.length - 1, 'it ran after waiting');
});

test('--fleet-max-agents needs a store the replicas share', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx, { args: ['--fleet-max-agents', '2'] });
  const exit = await srv.exited;
  assert.equal(exit.code, 1);
  assert.match(srv.stderr, /--fleet-max-agents: the limit is counted in a store the replicas share/);
});

test('--fleet-max-agents: work queued on a full replica is taken by one with room, and answered and killed through the first', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a, b] } = await startReplicas(t, 2, { args: ['--fleet-max-agents', '4'], each: [['--max-agents', '1'], ['--max-agents', '2']] });
  const first = await holdingAgent(ctx, a);
  const ownerOf = (id) => pg.sql(`SELECT owner FROM tasks WHERE id = '${id}'`, 'codex');
  const ownerA = ownerOf(first.id);

  // A runs as many as it may: a codex call made there waits in its queue, and B, which has
  // room, takes it. The call is answered through A, with B's run.
  const messages = [];
  const res = await a.mcp.client.callTool({ name: 'codex', arguments: { prompt: 'run where there is room', cwd: ctx.workspace } }, undefined,
    { timeout: TIMEOUT, onprogress: (p) => messages.push(p.message) });
  assert.ok(!res.isError, a.diag(resultText(res)));
  assert.match(resultText(res), /run where there is room/);
  assert.ok(messages.some((m) => /taken by replica .* which has room/.test(m)), messages.join('\n'));
  const threadOwner = pg.sql(`SELECT owner FROM tasks WHERE thread_id = '${res.structuredContent.threadId}'`, 'codex');
  assert.notEqual(threadOwner, ownerA, 'B ran it');
  assert.ok(runsOn(a, first.marker), 'A\'s own run goes on');

  // An async agent queued on A runs on B; A answers for it, and kill_agent through A stops it there.
  const marker = `${400 + Math.floor(Math.random() * 500)}.${process.pid % 1000}7`;
  const spawned = json(a, await a.call('spawn_agent_async', { prompt: `HOLD sleep ${marker}`, cwd: ctx.workspace }), 'spawn on a full A');
  await waitFor(() => sleepers(marker).length === 1, { timeoutMs: 45_000, what: `the agent's sleep ${marker}` });
  assert.ok(runsOn(b, marker) && !runsOn(a, marker), 'B runs it');
  assert.notEqual(ownerOf(spawned.task_id), ownerA);
  const st = json(a, await a.call('get_agent_status', { task_id: spawned.task_id }), 'status through A');
  assert.equal(st.status, 'running');
  const k = json(a, await a.call('kill_agent', { task_id: spawned.task_id }), 'kill through A');
  assert.equal(k.status, 'killed', JSON.stringify(k));
  assert.equal(sleepers(marker).length, 0, 'the run is gone from B when kill_agent answers');
  assert.ok(runsOn(a, first.marker), 'A\'s own run is untouched');
  assert.equal(pg.sql(`SELECT count(*) FROM asked WHERE kind = 'offer'`, 'codex'), '0', 'no offer is left');
});

test('--fleet-max-agents: work offered while the fleet is full is killed where it waits, and no replica can take it', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a, b] } = await startReplicas(t, 2, { args: ['--fleet-max-agents', '2', '--max-agents', '1'] });
  await holdingAgent(ctx, a);
  const onB = await holdingAgent(ctx, b);
  const spawned = json(a, await a.call('spawn_agent_async', { prompt: 'never to run', cwd: ctx.workspace }), 'spawn on a full A');
  await waitFor(() => pg.sql(`SELECT count(*) FROM asked WHERE kind = 'offer' AND task_id = '${spawned.task_id}'`, 'codex') === '1',
    { what: 'A to offer its queued run' });
  const k = json(a, await a.call('kill_agent', { task_id: spawned.task_id }), 'kill through A');
  assert.equal(k.status, 'killed', JSON.stringify(k));
  // The offer and the queued status went in one transaction: nothing is left to take.
  assert.equal(pg.sql(`SELECT count(*) FROM asked WHERE kind = 'offer'`, 'codex'), '0', 'its offer went with it');
  assert.equal(pg.sql(`SELECT status FROM tasks WHERE id = '${spawned.task_id}'`, 'codex'), 'killed');

  json(b, await b.call('kill_agent', { task_id: onB.id }), 'kill on B');
  for (const srv of [a, b]) {
    const st = json(srv, await srv.call('get_agent_status', { task_id: spawned.task_id }), 'status after kill');
    assert.equal(st.status, 'killed');
  }
});

test('--fleet-max-agents: a run killed while the database refuses its withdrawal is stopped where it was taken', { timeout: TIMEOUT }, async (t) => {
  const { ctx, pg, replicas: [a, b] } = await startReplicas(t, 2, { args: ['--fleet-max-agents', '2'], each: [['--max-agents', '1'], ['--max-agents', '2']] });
  const holdA = await holdingAgent(ctx, a);
  const holdB = await holdingAgent(ctx, b);
  const ownerA = pg.sql(`SELECT owner FROM tasks WHERE id = '${holdA.id}'`, 'codex');
  const marker = `${400 + Math.floor(Math.random() * 500)}.${process.pid % 1000}3`;
  const spawned = json(a, await a.call('spawn_agent_async', { prompt: `HOLD sleep ${marker}`, cwd: ctx.workspace }), 'spawn on a full A');
  await waitFor(() => pg.sql(`SELECT count(*) FROM asked WHERE kind = 'offer' AND task_id = '${spawned.task_id}'`, 'codex') === '1',
    { what: 'A to offer its queued run' });
  // Every write of A's that would end the run is refused, as a failing database would.
  pg.sql(`CREATE FUNCTION refuse_a() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN
    IF NEW.id = '${spawned.task_id}' AND NEW.owner = '${ownerA}' AND NEW.status <> 'queued' THEN RAISE EXCEPTION 'refused for the test'; END IF;
    RETURN NEW; END $f$; CREATE TRIGGER refuse_a BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION refuse_a();`, 'codex');
  const kill = a.call('kill_agent', { task_id: spawned.task_id });
  // The fleet gets room, and B takes the run A could not withdraw.
  json(b, await b.call('kill_agent', { task_id: holdB.id }), 'kill on B');
  const k = json(a, await kill, 'kill through A');
  assert.equal(k.status, 'killed', JSON.stringify(k));
  await waitFor(() => pg.sql(`SELECT owner FROM tasks WHERE id = '${spawned.task_id}'`, 'codex') !== ownerA, { what: 'B to have taken the run' });
  // Taken, it is stopped there: its record ends, and nothing of it runs.
  await waitFor(() => ['killed', 'cancelled'].includes(pg.sql(`SELECT status FROM tasks WHERE id = '${spawned.task_id}'`, 'codex')),
    { what: 'the run to be stopped where it was taken' });
  assert.equal(sleepers(marker).length, 0, 'nothing of the killed run is left');
  pg.sql('DROP TRIGGER refuse_a ON tasks', 'codex');
});
