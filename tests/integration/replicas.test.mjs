// Replicas: several codex-mcp --http servers sharing one real PostgreSQL (and the Codex sessions
// directory), driven by the official SDK client. Any replica answers for any task, a run is
// stopped where it lives, and a replica that dies is noticed by the others through its lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createContext, holdScript, listProcesses, resultText, structured, waitFor } from './lib/harness.mjs';
import { startHttpServer, connectLegacyHttp } from './lib/http.mjs';
import { startPostgres } from './lib/pg.mjs';

const TIMEOUT = 120_000;
const LEASE_S = 3;

/** n replicas on one database, each with its own state and log directory. */
async function startReplicas(t, n, { script = holdScript, args = [] } = {}) {
  const ctx = await createContext(t, { script });
  const pg = await startPostgres(t);
  const store = pg.database('codex');
  const replicas = [];
  for (let i = 0; i < n; i++) {
    const srv = await startHttpServer(ctx, {
      args: ['--store', store, '--lease', String(LEASE_S), '--state-dir', path.join(ctx.root, `state-${i}`), ...args],
    });
    srv.mcp = await connectLegacyHttp(srv.url);
    srv.call = async (name, args) => srv.mcp.client.callTool({ name, arguments: args }, undefined, { timeout: TIMEOUT });
    replicas.push(srv);
  }
  return { ctx, pg, store, replicas };
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
});
