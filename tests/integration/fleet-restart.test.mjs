// Tasks live in the state dir: a restarted server still knows the finished ones, and reads a
// task cut off by the server's death as failed, "server stopped".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BACKEND, createContext, structured, pollAgent, waitFor, resultText, listProcesses, holdScript } from './lib/harness.mjs';

const TIMEOUT = 120_000;

test('finished tasks are readable after a restart (get_agent_status, list_agent_tasks)', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv1 = await ctx.startServer();
  const ok = structured(srv1, await srv1.call('spawn_agent', { prompt: 'before the restart', cwd: ctx.workspace }), 'spawn_agent');
  assert.equal(ok.status, 'completed');
  const failed = await srv1.call('spawn_agent', { prompt: 'FAIL 503', cwd: ctx.workspace });
  assert.equal(failed.isError, true);
  const failedId = failed.structuredContent.task_id;
  const before = structured(srv1, await srv1.call('get_agent_status', { task_id: ok.task_id }), 'status before');
  await srv1.close();

  const srv2 = await ctx.startServer();
  const after = structured(srv2, await srv2.call('get_agent_status', { task_id: ok.task_id }), 'status after restart');
  assert.equal(after.status, 'completed');
  assert.equal(after.output, 'echo: before the restart [user messages: 1]');
  for (const k of ['task_id', 'tool', 'created_at', 'started_at', 'completed_at', 'log_file', 'thread_id', 'cwd', 'report', 'output_chars']) {
    assert.deepEqual(after[k], before[k], `${k} changed across the restart`);
  }
  assert.equal(after.pid, undefined);
  const f = structured(srv2, await srv2.call('get_agent_status', { task_id: failedId }), 'failed after restart');
  assert.equal(f.status, 'failed');
  assert.equal(f.error, failed.structuredContent.error);

  const list = structured(srv2, await srv2.call('list_agent_tasks', {}), 'list_agent_tasks');
  assert.equal(list.total, 2);
  assert.equal(list.completed, 1);
  assert.equal(list.failed, 1);
  assert.deepEqual(list.tasks.map((x) => x.task_id).sort(), [ok.task_id, failedId].sort());
  const onlyDone = structured(srv2, await srv2.call('list_agent_tasks', { status: 'completed' }), 'list completed');
  assert.deepEqual(onlyDone.tasks.map((x) => x.task_id), [ok.task_id]);
  // kill_agent knows it too: it had already ended.
  const k = structured(srv2, await srv2.call('kill_agent', { task_id: ok.task_id }), 'kill_agent after restart');
  assert.equal(k.killed, false);
});

test('a task running when the server is SIGKILLed reads failed, "server stopped", after a restart; its processes are gone', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t, { script: holdScript });
  const srv1 = await ctx.startServer({ args: ['--max-agents', '2'] });
  // One agent waits on the model, one on a command with two sleep grandchildren.
  const marker = `${500 + Math.floor(Math.random() * 400)}.${Math.floor(Math.random() * 1e6)}`;
  // One after the other: two Codex processes setting up a fresh CODEX_HOME at once is not
  // what this test is about.
  let id2;
  const { task_id: id } = structured(srv1, await srv1.call('spawn_agent_async', { prompt: 'SLEEP 60000 cut off', cwd: ctx.workspace }), 'spawn');
  const statusOf = async () => JSON.stringify(await Promise.all([id, id2].filter(Boolean).map(async (x) =>
    structured(srv1, await srv1.call('get_agent_status', { task_id: x }), 'status'))));
  await waitFor(() => ctx.model.requests.some((b) => JSON.stringify(b.input).includes('SLEEP 60000 cut off')),
    { timeoutMs: 30_000, what: 'the first agent to reach the model' }).catch(async (e) => { throw new Error(srv1.diag(`${e.message}\n${await statusOf()}`)); });
  ({ task_id: id2 } = structured(srv1, await srv1.call('spawn_agent_async', { prompt: `HOLD sleep ${marker} & sleep ${marker}`, cwd: ctx.workspace }), 'spawn 2'));
  const sleepers = () => listProcesses().filter((p) => p.comm === 'sleep' && p.cmdline[1] === marker && p.state !== 'Z' && p.state !== 'X');
  await waitFor(() => sleepers().length === 2, { timeoutMs: 45_000, what: `the two sleep ${marker} processes` })
    .catch(async (e) => { throw new Error(srv1.diag(`${e.message}\n${await statusOf()}`)); });
  // Over app-server the turns have no process of their own: the one app-server is theirs.
  const warm = BACKEND === 'app-server';
  const running = await pollAgent(srv1, id, (s) => s.status === 'running' && (warm || s.pid));
  const running2 = await pollAgent(srv1, id2, (s) => s.status === 'running' && (warm || s.pid));
  const codexPids = warm ? ctx.appServers().map((p) => p.pid) : [running.pid, running2.pid];
  assert.ok(codexPids.length > 0, 'no Codex process of the runs seen');
  if (!warm) for (const pid of codexPids) assert.ok(ctx.codexProcesses().some((p) => p.pid === pid), `Codex ${pid} is not seen`);

  process.kill(srv1.pid, 'SIGKILL');
  await waitFor(() => srv1.exited, { timeoutMs: 10_000, what: 'the server to die' });
  assert.equal(srv1.exited.signal, 'SIGKILL');
  // Codex, and what it started, must not outlive the server.
  await waitFor(() => !listProcesses().some((p) => codexPids.includes(p.pid) && p.state !== 'Z' && p.state !== 'X'),
    { timeoutMs: 10_000, what: `Codex ${codexPids} to die with its server` });
  await waitFor(() => sleepers().length === 0, { timeoutMs: 10_000, what: 'the sleep grandchildren to die with the server' });
  await ctx.assertNoCodexProcesses(10_000, 'after SIGKILL of the server:');

  const srv2 = await ctx.startServer();
  for (const x of [id, id2]) {
    const st = structured(srv2, await srv2.call('get_agent_status', { task_id: x }), 'status after restart');
    assert.equal(st.status, 'failed', JSON.stringify(st));
    assert.equal(st.error, 'server stopped');
    assert.equal(st.pid, undefined);
    assert.equal(typeof st.completed_at, 'string');
  }
  const list = structured(srv2, await srv2.call('list_agent_tasks', {}), 'list_agent_tasks');
  assert.equal(list.running, 0);
  assert.equal(list.queued, 0);
  assert.equal(list.failed, 2);
  const live = structured(srv2, await srv2.call('list_running_agents', {}), 'list_running_agents');
  assert.equal(live.count, 0);
  const k = structured(srv2, await srv2.call('kill_agent', { task_id: id }), 'kill_agent after restart');
  assert.equal(k.killed, false);
  assert.equal(k.status, 'failed');

  // The new server works.
  const again = structured(srv2, await srv2.call('spawn_agent', { prompt: 'after the crash', cwd: ctx.workspace }), 'spawn after restart');
  assert.equal(again.output, 'echo: after the crash [user messages: 1]');
});

test('tasks running or queued when the server shuts down read failed, "server stopped"', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv1 = await ctx.startServer({ args: ['--max-agents', '1'] });
  const a = structured(srv1, await srv1.call('spawn_agent_async', { prompt: 'SLEEP 60000 running at shutdown', cwd: ctx.workspace }), 'spawn a');
  const b = structured(srv1, await srv1.call('spawn_agent_async', { prompt: 'queued at shutdown', cwd: ctx.workspace }), 'spawn b');
  assert.equal(b.status, 'queued');
  await ctx.model.waitForRequests(1, 30_000);
  await srv1.close(); // stdin closed: the server stops every run and exits
  assert.equal(srv1.exited?.code, 0, `exit ${JSON.stringify(srv1.exited)}`);
  await ctx.assertNoCodexProcesses(10_000, 'after shutdown:');

  const srv2 = await ctx.startServer();
  for (const x of [a, b]) {
    const st = structured(srv2, await srv2.call('get_agent_status', { task_id: x.task_id }), `status of ${x.task_id}`);
    assert.equal(st.status, 'failed', JSON.stringify(st));
    assert.equal(st.error, 'server stopped');
  }
  assert.match(fs.readFileSync(a.log_file, 'utf8'), /ended: failed/);
  assert.equal(ctx.model.requests.length, 1, 'the queued task must never have run');
  assert.ok(!resultText(await srv2.call('list_running_agents', {})).includes(a.task_id));
});
