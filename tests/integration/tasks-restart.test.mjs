// MCP Tasks live in the state dir: a restarted server still answers tasks/get, tasks/result and
// tasks/list for finished tasks; a task cut off by the server's death reads failed, "server
// stopped". Finished tasks go away once their ttl has passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, waitFor, resultText, gatedScript } from './lib/harness.mjs';
import {
  taskCall, getTask, taskResult, listTasks, cancelTask, assertRpcError, assertTask, assertRelated,
  waitTerminalNotification,
} from './lib/tasks.mjs';

const TIMEOUT = 120_000;

/** Every task tasks/list gives, following nextCursor. */
async function listAll(srv) {
  const all = [];
  let cursor;
  for (let i = 0; i < 20; i++) {
    const page = await listTasks(srv, cursor);
    all.push(...page.tasks);
    if (page.nextCursor === undefined) return all;
    cursor = page.nextCursor;
  }
  throw new Error('tasks/list paging does not end');
}

test('finished tasks are answered after a restart on the same state dir', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv1 = await ctx.startServer();
  const ok = (await taskCall(srv1, 'codex', { prompt: 'before the restart', cwd: ctx.workspace })).task.taskId;
  const bad = (await taskCall(srv1, 'codex', { prompt: 'FAIL 503', cwd: ctx.workspace })).task.taskId;
  const agent = (await taskCall(srv1, 'spawn_agent', { prompt: 'an agent before the restart', cwd: ctx.workspace })).task.taskId;
  const before = {};
  for (const id of [ok, bad, agent]) {
    const result = await taskResult(srv1, id);
    await waitTerminalNotification(srv1, id);
    before[id] = { result, task: await getTask(srv1, id) };
  }
  assert.equal(before[ok].task.status, 'completed');
  assert.equal(resultText(before[ok].result), 'echo: before the restart [user messages: 1]');
  assert.equal(before[bad].task.status, 'failed');
  assert.equal(before[bad].result.isError, true);
  assert.equal(before[agent].task.status, 'completed');
  const listedBefore = await listAll(srv1);
  await srv1.close();
  assert.equal(srv1.exited?.code, 0, `exit ${JSON.stringify(srv1.exited)}`);

  const srv2 = await ctx.startServer();
  for (const id of [ok, bad, agent]) {
    assert.deepEqual(await getTask(srv2, id), before[id].task, `tasks/get ${id} after the restart`);
    const result = await taskResult(srv2, id);
    assertRelated(result, id);
    assert.deepEqual(result, before[id].result, `tasks/result ${id} after the restart`);
  }
  const listedAfter = await listAll(srv2);
  assert.deepEqual(listedAfter.map((x) => x.taskId).sort(), [ok, bad, agent].sort());
  assert.deepEqual(listedAfter, listedBefore, 'tasks/list is the same after the restart');
  // Ended before the restart: cannot be cancelled now.
  await assertRpcError(cancelTask(srv2, ok), -32602, undefined, 'cancel after restart');
});

test('a task running when the server is SIGKILLed reads failed, "server stopped", after a restart', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv1 = await ctx.startServer();
  // The mock holds the turn for a minute: the run is in progress when the server dies.
  const created = await taskCall(srv1, 'codex', { prompt: 'SLEEP 60000 cut off', cwd: ctx.workspace });
  const id = created.task.taskId;
  await ctx.model.waitForRequests(1, 30_000);
  assert.equal((await getTask(srv1, id)).status, 'working');
  assert.ok(ctx.turnRunning(), 'no running turn seen while the run is held');

  process.kill(srv1.pid, 'SIGKILL');
  await waitFor(() => srv1.exited, { timeoutMs: 10_000, what: 'the server to die' });
  assert.equal(srv1.exited.signal, 'SIGKILL');
  await ctx.assertNoCodexProcesses(10_000, 'after SIGKILL of the server:');

  const srv2 = await ctx.startServer();
  const task = await getTask(srv2, id);
  assertTask(task, { id, status: 'failed', ttl: created.task.ttl });
  assert.match(task.statusMessage ?? '', /server stopped/, JSON.stringify(task));
  const result = await taskResult(srv2, id);
  assertRelated(result, id);
  assert.equal(result.isError, true, JSON.stringify(result));
  assert.match(resultText(result), /server stopped/);
  const listed = await listAll(srv2);
  assert.deepEqual(listed.map((x) => [x.taskId, x.status]), [[id, 'failed']]);
  await assertRpcError(cancelTask(srv2, id), -32602, undefined, 'cancel a task the crash ended');

  // The new server runs tasks.
  const again = await taskCall(srv2, 'codex', { prompt: 'after the crash', cwd: ctx.workspace });
  assert.equal(resultText(await taskResult(srv2, again.task.taskId)), 'echo: after the crash [user messages: 1]');
});

test('--task-ttl-max 1: a finished task is gone (-32602) once its ttl has passed, and not before', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--task-ttl-max', '1'] });
  const created = await taskCall(srv, 'codex-reply', { prompt: 'x', threadId: 'no-such-thread' }, { ttl: 60_000 });
  const id = created.task.taskId;
  assert.equal(created.task.ttl, 1000, 'ttl capped to 1 s');
  const expires = Date.parse(created.task.createdAt) + created.task.ttl;

  // Poll tasks/get until it is -32602. The server saw each request before its answer arrived:
  // an answer "gone" that arrives before createdAt + ttl would mean it expired early.
  let seen = 0;
  await waitFor(async () => {
    try {
      const task = await getTask(srv, id);
      assert.equal(task.status, 'failed');
      seen++;
      return false;
    } catch (e) {
      if (e.code !== -32602) throw e;
      const answered = Date.now();
      assert.ok(answered >= expires, `gone at ${new Date(answered).toISOString()}, before createdAt + ttl = ${new Date(expires).toISOString()}`);
      return true;
    }
  }, { timeoutMs: 15_000, intervalMs: 100, what: `task ${id} to expire` });
  await assertRpcError(taskResult(srv, id), -32602, undefined, 'tasks/result after expiry');
  await assertRpcError(cancelTask(srv, id), -32602, undefined, 'tasks/cancel after expiry');
  assert.ok(!(await listAll(srv)).some((x) => x.taskId === id), 'tasks/list no longer has it');
  t.diagnostic(`tasks/get answered ${seen} time(s) before the task expired`);
});

test('--task-ttl-max 1: a running task outlives its ttl; it goes away once it has ended', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: ['--task-ttl-max', '1'] });
  const created = await taskCall(srv, 'codex', { prompt: 'GATE outlive the ttl', cwd: ctx.workspace });
  const id = created.task.taskId;
  assert.equal(created.task.ttl, 1000);
  const expires = Date.parse(created.task.createdAt) + created.task.ttl;
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the run to reach the model' });
  await waitFor(() => Date.now() > expires + 100, { timeoutMs: 10_000, what: 'the ttl to pass' });
  // Past its ttl and still running: still there.
  assertTask(await getTask(srv, id), { id, status: 'working' });
  gate.release();
  const note = await waitTerminalNotification(srv, id);
  assert.equal(note.params.status, 'completed');
  await waitFor(async () => {
    try {
      await getTask(srv, id);
      return false;
    } catch (e) {
      if (e.code !== -32602) throw e;
      return true;
    }
  }, { timeoutMs: 15_000, intervalMs: 100, what: `task ${id} to expire after it ended` });
  await ctx.assertNoCodexProcesses(10_000);
});

test('tasks/result on a run of another server on the same state dir waits for it, and is its answer', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const { fakeCodex } = await import('./lib/fault.mjs');
  const { structured, pollAgent } = await import('./lib/harness.mjs');
  const first = await ctx.startServer({ codexBin: fakeCodex() });
  const { task_id: id } = structured(first, await first.call('spawn_agent_async', { prompt: 'delay 2500 ok', cwd: ctx.workspace }), 'spawn');
  await pollAgent(first, id, (s) => s.status === 'running' && s.pid);
  // The second server knows the run only from the records, and reads them again until it ends.
  const second = await ctx.startServer({ codexBin: fakeCodex() });
  const res = await taskResult(second, id);
  assert.ok(!res.isError, resultText(res));
  assert.match(resultText(res), /ok/);
  assertRelated(res, id);
  // Both servers are still serving.
  assert.equal((await getTask(first, id)).status, 'completed');
  assert.equal((await getTask(second, id)).status, 'completed');
});
