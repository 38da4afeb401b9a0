// MCP tasks and fleet tasks are the same records: a spawn_agent_async run is read with
// tasks/get and tasks/result; a task-augmented spawn_agent with get_agent_status; a
// task-augmented spawn_agents_parallel returns its results array through tasks/result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND, createContext, gatedScript, waitFor, structured, pollAgent, waitAgentEnded, resultText } from './lib/harness.mjs';
import { taskCall, getTask, taskResult, assertTask, assertRelated, track, waitTerminalNotification } from './lib/tasks.mjs';

const TIMEOUT = 120_000;

test('spawn_agent_async: tasks/get follows the run, tasks/result waits for it and gives its outcome', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer();
  const { task_id: id } = structured(srv, await srv.call('spawn_agent_async', { prompt: 'GATE async agent', cwd: ctx.workspace }), 'spawn_agent_async');
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the agent to reach the model' });
  assertTask(await getTask(srv, id), { id, status: 'working' });

  const pending = track(taskResult(srv, id));
  await srv.client.ping();
  assert.equal(pending.settled, false, 'tasks/result answered while the agent runs');
  gate.release();
  const result = await pending.promise;
  assertRelated(result, id);
  const st = await waitAgentEnded(srv, id);
  assert.equal(st.status, 'completed');
  assertTask(await getTask(srv, id), { id, status: 'completed' });
  // A completed task's result is no error, and it carries what the agent answered.
  assert.ok(!result.isError, `tasks/result of a completed spawn_agent_async task is isError: ${JSON.stringify(result)}`);
  assert.ok(JSON.stringify(result).includes('echo: GATE async agent [user messages: 1]'),
    `tasks/result does not carry the agent's output: ${JSON.stringify(result)}`);
});

test('spawn_agent_async that fails: tasks/get failed, tasks/result isError', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const { task_id: id } = structured(srv, await srv.call('spawn_agent_async', { prompt: 'FAIL 503', cwd: ctx.workspace }), 'spawn_agent_async');
  const result = await taskResult(srv, id);
  assertRelated(result, id);
  assert.equal(result.isError, true, JSON.stringify(result));
  const st = await waitAgentEnded(srv, id);
  assert.equal(st.status, 'failed');
  const task = await getTask(srv, id);
  assertTask(task, { id, status: 'failed' });
  assert.equal(task.statusMessage, st.error);
});

test('a task-augmented spawn_agent is an agent: get_agent_status with the taskId', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer();
  const created = await taskCall(srv, 'spawn_agent', { prompt: 'GATE agent as a task', cwd: ctx.workspace });
  const id = created.task.taskId;
  assertTask(created.task, { status: 'working' });
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the agent to reach the model' });
  const warm = BACKEND === 'app-server'; // its turns have no process of their own
  const running = await pollAgent(srv, id, (s) => s.status === 'running' && (warm || s.pid));
  assert.equal(running.task_id, id);
  assert.equal(running.tool, 'spawn_agent');
  if (warm) assert.ok(running.pid === undefined && ctx.turnRunning(), `no running turn, or a pid: ${JSON.stringify(running)}`);
  else assert.ok(ctx.codexProcesses().some((p) => p.pid === running.pid), `pid ${running.pid} is not a Codex process of this test`);
  const listed = structured(srv, await srv.call('list_running_agents', {}), 'list_running_agents');
  assert.ok(listed.agents.some((a) => a.task_id === id), `list_running_agents lacks ${id}: ${JSON.stringify(listed)}`);

  gate.release();
  const result = await taskResult(srv, id);
  assertRelated(result, id);
  assert.ok(!result.isError, resultText(result));
  const st = await waitAgentEnded(srv, id);
  assert.equal(st.status, 'completed');
  assert.equal(st.output, 'echo: GATE agent as a task [user messages: 1]');
  // tasks/result is what the plain spawn_agent call returns: the agent's final status.
  assert.equal(result.structuredContent.task_id, id);
  assert.equal(result.structuredContent.status, 'completed');
  assert.equal(result.structuredContent.output, st.output);
  assertTask(await getTask(srv, id), { id, status: 'completed' });
  await waitTerminalNotification(srv, id);
  await ctx.assertNoCodexProcesses(10_000);
});

test('a task-augmented spawn_agents_parallel of two: tasks/result returns the results array', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const prompts = ['parallel task 0', 'parallel task 1'];
  const created = await taskCall(srv, 'spawn_agents_parallel', {
    agents: prompts.map((prompt) => ({ prompt, cwd: ctx.workspace })),
  });
  const id = created.task.taskId;
  assertTask(created.task, { status: 'working' });
  const result = await taskResult(srv, id);
  assertRelated(result, id);
  assert.ok(!result.isError, resultText(result));
  const { results } = result.structuredContent;
  assert.ok(Array.isArray(results) && results.length === 2, JSON.stringify(result));
  results.forEach((r, i) => {
    assert.equal(r.index, i);
    assert.equal(r.status, 'completed', JSON.stringify(r));
    assert.equal(r.output, `echo: ${prompts[i]} [user messages: 1]`);
  });
  assert.deepEqual(JSON.parse(result.content[0].text), results, 'the text is the JSON of the results');
  assertTask(await getTask(srv, id), { id, status: 'completed' });
  // Each agent of the batch is a task too.
  for (const r of results) {
    assertTask(await getTask(srv, r.task_id), { id: r.task_id, status: 'completed' });
    const st = structured(srv, await srv.call('get_agent_status', { task_id: r.task_id }), 'get_agent_status');
    assert.equal(st.output, r.output);
  }
  assert.equal(ctx.model.requests.length, 2);
  await ctx.assertNoCodexProcesses(10_000);
});
