// The tasks extension (io.modelcontextprotocol/tasks, SEP-2663) through @modelcontextprotocol/ext-tasks
// 0.2.2 on the 2.4.0 client, against the real Codex: tasks that complete, are cancelled, and are
// read after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, gatedScript, waitFor, resultText } from './lib/harness.mjs';
import { connectModern, callAsTask, getTask, cancelTask, updateTask, waitTask } from './lib/modern-client.mjs';
import { ISO } from './lib/tasks.mjs';
import { fakeCodex } from './lib/fault.mjs';

const TIMEOUT = 120_000;

function connect(ctx, opts = {}) {
  const spec = ctx.serverCommand();
  return connectModern(spec.command, spec.args, spec.env, { ctx, cwd: ctx.root, mode: 'pin', ...opts });
}

function assertCreated(created) {
  assert.equal(created.resultType, 'task');
  assert.match(created.taskId, /^[0-9a-f]{32}$/);
  assert.equal(created.status, 'working');
  assert.match(created.createdAt, ISO);
  assert.ok(Number.isInteger(created.ttlMs) && Number.isInteger(created.pollIntervalMs));
  for (const gone of ['task', 'ttl', 'pollInterval', 'result', 'requestState']) assert.equal(created[gone], undefined, gone);
}

test('codex and codex-reply as tasks: created at once, completed with the result inlined', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const conn = await connect(ctx);
  const created = await callAsTask(conn, 'codex', { prompt: 'as a task', cwd: ctx.workspace });
  assertCreated(created);
  const done = await waitTask(conn, created.taskId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.resultType, 'complete');
  assert.equal(resultText(done.result), 'echo: as a task [user messages: 1]');
  const threadId = done.result.structuredContent.threadId;

  const reply = await callAsTask(conn, 'codex-reply', { threadId, prompt: 'task reply' });
  assertCreated(reply);
  const replied = await waitTask(conn, reply.taskId);
  assert.equal(resultText(replied.result), 'echo: task reply [user messages: 2]');

  // tasks/update is acknowledged with an empty result; nothing is asked of the client yet.
  const ack = await updateTask(conn, reply.taskId, { nothing: { action: 'accept' } });
  assert.equal(ack.resultType, 'complete');
  assert.equal(ack.status, undefined);
  // A tool that is not a run answers at once, even to a client that takes tasks.
  const listing = await conn.rawRequest('tools/call', { name: 'list_agent_tasks', arguments: {} });
  assert.equal(listing.result.resultType, 'complete');
  assert.ok(listing.result.structuredContent.total >= 2);
});

test('an isError tool result is a completed task; unknown tasks are -32602', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const conn = await connect(ctx);
  const created = await callAsTask(conn, 'codex', { prompt: 'FAIL 500', cwd: ctx.workspace });
  const done = await waitTask(conn, created.taskId, { timeoutMs: 60_000 });
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.result.isError, true);
  await assert.rejects(getTask(conn, 'f'.repeat(32)), (e) => e.code === -32602);
});

test('tasks/cancel stops the run: the task reads cancelled and no Codex is left', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const conn = await connect(ctx);
  const created = await callAsTask(conn, 'codex', { prompt: 'GATE cancel me', cwd: ctx.workspace });
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the run to reach the model' });
  assert.ok(ctx.turnRunning(), 'no running turn seen while the run is held');
  // Acknowledged as soon as the run is told to stop, not once it is gone.
  const ack = await cancelTask(conn, created.taskId);
  assert.equal(ack.resultType, 'complete');
  assert.equal(ack.status, undefined, 'an ack, not a task');
  const got = await waitTask(conn, created.taskId, { timeoutMs: 30_000 });
  assert.equal(got.status, 'cancelled');
  await ctx.assertNoCodexProcesses(10_000);
  // Cancelling an ended task is acknowledged again.
  assert.equal((await cancelTask(conn, created.taskId)).resultType, 'complete');
});

test('a task is read after a restart of the server', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const first = await connect(ctx);
  const created = await callAsTask(first, 'spawn_agent', { prompt: 'survive a restart', cwd: ctx.workspace });
  assertCreated(created);
  const done = await waitTask(first, created.taskId);
  await first.close();

  const second = await connect(ctx);
  const again = await getTask(second, created.taskId);
  assert.equal(again.status, 'completed');
  assert.deepEqual(again.result, done.result);
  assert.match(resultText(again.result), /survive a restart/);
});

test('tasks/cancel is acknowledged before a run that ignores SIGTERM is killed', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  // A fake Codex that ignores SIGTERM: only the SIGKILL after --kill-grace-ms ends it.
  const spec = ctx.serverCommand({ codexBin: fakeCodex(), args: ['--kill-grace-ms', '60000'] });
  const conn = await connectModern(spec.command, spec.args, spec.env, { ctx, cwd: ctx.root, mode: 'pin' });
  const created = await callAsTask(conn, 'codex', { prompt: 'stubborn hang', cwd: ctx.workspace });
  // It ignores SIGTERM from before it says its thread started: wait for that, not just the process.
  await waitFor(async () => {
    const status = await conn.rawRequest('tools/call', { name: 'get_agent_status', arguments: { task_id: created.taskId } });
    return typeof status.result?.structuredContent?.thread_id === 'string';
  }, { timeoutMs: 30_000, what: 'the fake Codex to start its thread' });
  const ack = await cancelTask(conn, created.taskId);
  assert.equal(ack.resultType, 'complete');
  // The grace is a minute: the ack came without waiting for it, and the task still runs.
  assert.equal((await getTask(conn, created.taskId)).status, 'working');
  assert.ok(ctx.codexProcesses().length > 0, 'the stubborn run is still there during its grace');
});
