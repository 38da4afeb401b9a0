// kill_agent stops a running agent and everything it started (Codex, its sandbox, the command's
// own children), and says so; on a finished task it says it had already ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BACKEND, createContext, structured, resultText, waitFor, listProcesses, holdScript, gatedScript, waitAgentEnded } from './lib/harness.mjs';

const TIMEOUT = 120_000;

const alive = (p) => p.state !== 'Z' && p.state !== 'X';

/** Alive `sleep <marker>` processes. */
function sleepers(marker) {
  return listProcesses().filter((p) => alive(p) && p.comm === 'sleep' && p.cmdline[1] === marker);
}

/** Start an agent whose command leaves two sleep grandchildren; wait until both exist. */
async function startSleepyAgent(ctx, srv) {
  const tag = `${300 + Math.floor(Math.random() * 600)}.${process.pid % 1000}${Math.floor(Math.random() * 1000)}`;
  const [m1, m2] = [`${tag}1`, `${tag}2`];
  const spawned = structured(srv, await srv.call('spawn_agent_async', { prompt: `HOLD sleep ${m1} & sleep ${m2}`, cwd: ctx.workspace }), 'spawn');
  await waitFor(() => sleepers(m1).length === 1 && sleepers(m2).length === 1,
    { timeoutMs: 45_000, what: `the agent's sleep ${m1} / ${m2} processes` });
  const status = structured(srv, await srv.call('get_agent_status', { task_id: spawned.task_id }), 'status');
  assert.equal(status.status, 'running');
  // Everything of this run: Codex and all it started (the sandbox helpers, bash, the sleeps).
  const procs = ctx.codexProcesses();
  const pids = new Set(procs.map((p) => p.pid));
  // A turn in app-server has no process of its own; what it started is still the run's.
  if (BACKEND === 'app-server') assert.equal(status.pid, undefined, 'an app-server turn reports no pid');
  else assert.ok(pids.has(status.pid), `the reported pid ${status.pid} is not among the run's processes`);
  for (const s of [...sleepers(m1), ...sleepers(m2)]) {
    assert.ok(pids.has(s.pid), `sleep ${s.pid} is not seen as a process of this run`);
    assert.notEqual(s.ppid, status.pid, 'the sleeps should be grandchildren, not children, of Codex');
  }
  return { id: spawned.task_id, pid: status.pid, procs, markers: [m1, m2] };
}

function stillAlive(procs) {
  const now = new Map(listProcesses().filter(alive).map((p) => [p.pid, p]));
  return procs.filter((p) => now.has(p.pid) && now.get(p.pid).cmdline.join(' ') === p.cmdline.join(' '));
}

async function assertRunGone(ctx, run, label) {
  try {
    await waitFor(() => stillAlive(run.procs).length === 0 && run.markers.every((m) => sleepers(m).length === 0),
      { timeoutMs: 10_000, what: 'every process of the run to exit' });
  } catch {
    const left = stillAlive(run.procs).map((p) => `${p.pid} ${p.comm} ${p.cmdline.join(' ')}`);
    assert.fail(`${label}: still alive after kill_agent: ${left.join('; ')}`);
  }
  await ctx.assertNoCodexProcesses(10_000, label);
}

for (const force of [false, true]) {
  const signal = force ? 'SIGKILL' : 'SIGTERM';
  test(`kill_agent${force ? ' with force' : ''} stops the run and all its processes (${signal})`, { timeout: TIMEOUT }, async (t) => {
    const ctx = await createContext(t, { script: holdScript });
    const srv = await ctx.startServer();
    const run = await startSleepyAgent(ctx, srv);

    const res = await srv.call('kill_agent', force ? { task_id: run.id, force: true } : { task_id: run.id });
    const k = structured(srv, res, 'kill_agent');
    assert.equal(k.task_id, run.id);
    assert.equal(k.killed, true, JSON.stringify(k));
    assert.equal(k.signal_used, signal);
    assert.equal(k.status, 'killed');
    assert.equal(typeof k.message, 'string');
    assert.deepEqual(JSON.parse(res.content[0].text), k);
    // It answers once Codex's process group is gone.
    assert.equal(listProcesses().filter((p) => p.pid === run.pid && alive(p)).length, 0,
      `Codex ${run.pid} is still alive when kill_agent answers`);
    await assertRunGone(ctx, run, `kill_agent ${signal}`);

    const st = structured(srv, await srv.call('get_agent_status', { task_id: run.id }), 'status after kill');
    assert.equal(st.status, 'killed');
    assert.equal(st.pid, undefined);
    assert.equal(typeof st.error, 'string');
    assert.equal(st.report.status, 'killed');
    const log = fs.readFileSync(st.log_file, 'utf8');
    assert.match(log, new RegExp(`stopping with ${signal}`));
    assert.match(log, /ended: killed/);
    const running = structured(srv, await srv.call('list_running_agents', {}), 'list_running_agents');
    assert.equal(running.count, 0);

    // Killing it again: it had already ended.
    const again = structured(srv, await srv.call('kill_agent', { task_id: run.id }), 'kill_agent again');
    assert.equal(again.killed, false);
    assert.equal(again.status, 'killed');

    // The server goes on serving.
    const after = structured(srv, await srv.call('spawn_agent', { prompt: 'after the kill', cwd: ctx.workspace }), 'spawn after kill');
    assert.equal(after.output, 'echo: after the kill [user messages: 1]');
  });
}

test('kill_agent on a finished task says it had already ended; on an unknown task isError', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const done = structured(srv, await srv.call('spawn_agent', { prompt: 'quick one', cwd: ctx.workspace }), 'spawn_agent');
  assert.equal(done.status, 'completed');

  const res = await srv.call('kill_agent', { task_id: done.task_id });
  const k = structured(srv, res, 'kill_agent finished');
  assert.equal(k.task_id, done.task_id);
  assert.equal(k.killed, false);
  assert.equal(k.signal_used, null);
  assert.equal(k.status, 'completed');
  assert.match(k.message, /already ended/);
  // Still completed, output intact.
  const st = structured(srv, await srv.call('get_agent_status', { task_id: done.task_id }), 'status');
  assert.equal(st.status, 'completed');
  assert.equal(st.output, 'echo: quick one [user messages: 1]');

  const unknown = await srv.call('kill_agent', { task_id: 'ffffffffffffffffffffffffffffffff' });
  assert.equal(unknown.isError, true, JSON.stringify(unknown));
  assert.match(resultText(unknown), /no task/);
});

test('kill_agent on a queued task removes it from the queue: killed, no signal, never run', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: ['--max-agents', '1'] });
  const first = structured(srv, await srv.call('spawn_agent_async', { prompt: 'GATE holds the only slot', cwd: ctx.workspace }), 'first');
  const queued = structured(srv, await srv.call('spawn_agent_async', { prompt: 'never runs', cwd: ctx.workspace }), 'second');
  assert.equal(queued.status, 'queued');

  const k = structured(srv, await srv.call('kill_agent', { task_id: queued.task_id }), 'kill queued');
  assert.equal(k.killed, true);
  assert.equal(k.signal_used, null);
  assert.equal(k.status, 'killed');
  const st = structured(srv, await srv.call('get_agent_status', { task_id: queued.task_id }), 'status');
  assert.equal(st.status, 'killed');
  assert.equal(st.started_at, null, 'it never started');

  gate.release();
  const done = await waitAgentEnded(srv, first.task_id);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  const list = structured(srv, await srv.call('list_running_agents', {}), 'list_running_agents');
  assert.equal(list.count, 0);
  assert.equal(ctx.model.requests.length, 1, 'the killed queued task reached the model');
  assert.ok(!ctx.model.requests.some((b) => JSON.stringify(b.input).includes('never runs')));
});
