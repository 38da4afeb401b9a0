// MCP Tasks: tasks/cancel stops the run behind a task and leaves no Codex process; cancelling an
// ended, unknown or made-up task is -32602.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, gatedScript, waitFor, resultText, structured } from './lib/harness.mjs';
import {
  taskCall, getTask, taskResult, cancelTask, assertRpcError, assertTask, assertRelated,
  statusNotifications, waitTerminalNotification, track,
} from './lib/tasks.mjs';

const TIMEOUT = 120_000;

test('tasks/cancel on a running codex task kills its Codex; the task reads cancelled', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer();
  const created = await taskCall(srv, 'codex', { prompt: 'GATE cancel me', cwd: ctx.workspace });
  const id = created.task.taskId;
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the run to reach the model' });
  assert.ok(ctx.turnRunning(), 'no running turn seen while the run is held (process detection broken?)');
  // Someone is waiting for the result when the cancel comes.
  const pending = track(taskResult(srv, id));
  await srv.client.ping();
  assert.equal(pending.settled, false);

  const cancelled = await cancelTask(srv, id);
  assertTask(cancelled, { id, status: 'cancelled' });
  await ctx.assertNoCodexProcesses(10_000, srv.diag('after tasks/cancel:'));
  await waitFor(() => ctx.model.active === 0, { timeoutMs: 10_000, what: 'the held model response to be dropped' });
  assert.equal(gate.held(), 0);

  const got = await getTask(srv, id);
  assertTask(got, { id, status: 'cancelled' });
  const note = await waitTerminalNotification(srv, id);
  assert.equal(note.params.status, 'cancelled');
  assert.equal(statusNotifications(srv, id).length, 1);

  // The waiting tasks/result is answered: the run did not complete.
  const result = await pending.promise;
  assertRelated(result, id);
  assert.equal(result.isError, true, `a cancelled run's result: ${JSON.stringify(result)}`);
  assert.deepEqual(await taskResult(srv, id), result, 'tasks/result after the end says the same');

  // Already cancelled: -32602, and it stays cancelled.
  await assertRpcError(cancelTask(srv, id), -32602, undefined, 'cancel twice');
  assert.equal((await getTask(srv, id)).status, 'cancelled');

  // The server keeps serving.
  const after = await srv.call('codex', { prompt: 'after the cancel', cwd: ctx.workspace });
  assert.equal(resultText(after), 'echo: after the cancel [user messages: 1]');
  await ctx.assertNoCodexProcesses(10_000);
});

test('tasks/cancel on a task-augmented spawn_agent kills the agent; get_agent_status says cancelled', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer();
  const { task: { taskId: id } } = await taskCall(srv, 'spawn_agent', { prompt: 'GATE agent to cancel', cwd: ctx.workspace });
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the agent to reach the model' });
  assert.ok(ctx.turnRunning(), 'no running turn seen while the agent is held');
  const cancelled = await cancelTask(srv, id);
  assertTask(cancelled, { id, status: 'cancelled' });
  await ctx.assertNoCodexProcesses(10_000, srv.diag('after tasks/cancel:'));
  const st = structured(srv, await srv.call('get_agent_status', { task_id: id }), 'get_agent_status');
  assert.equal(st.status, 'cancelled', JSON.stringify(st));
  assert.equal(st.pid, undefined);
  assert.equal((await getTask(srv, id)).status, 'cancelled');
  await assertRpcError(cancelTask(srv, id), -32602, undefined, 'cancel twice');
});

test('unknown task ids: tasks/get, tasks/result and tasks/cancel are -32602', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  for (const id of ['0123456789abcdef0123456789abcdef', 'nope', '']) {
    await assertRpcError(getTask(srv, id), -32602, undefined, `tasks/get ${JSON.stringify(id)}`);
    await assertRpcError(taskResult(srv, id), -32602, undefined, `tasks/result ${JSON.stringify(id)}`);
    await assertRpcError(cancelTask(srv, id), -32602, undefined, `tasks/cancel ${JSON.stringify(id)}`);
  }
  // A finished task cannot be cancelled either.
  const { task: { taskId: id } } = await taskCall(srv, 'codex', { prompt: 'quick', cwd: ctx.workspace });
  const result = await taskResult(srv, id);
  assert.equal(resultText(result), 'echo: quick [user messages: 1]');
  await assertRpcError(cancelTask(srv, id), -32602, undefined, 'cancel a completed task');
  assert.equal((await getTask(srv, id)).status, 'completed', 'a refused cancel changes nothing');
});
