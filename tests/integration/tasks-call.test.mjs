// MCP Tasks (2025-11-25): a task-augmented tools/call answers at once with a working task; its
// result comes later through tasks/result, exactly as a plain call would have returned it;
// status and progress notifications; requests the server must refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, gatedScript, waitFor, resultText, protocolErrors } from './lib/harness.mjs';
import {
  taskCall, getTask, taskResult, cancelTask, assertRpcError, assertTask, withoutMeta, assertRelated,
  statusNotifications, waitTerminalNotification, track,
} from './lib/tasks.mjs';

const TIMEOUT = 120_000;

test('capability and tool declarations', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  assert.deepEqual(srv.client.getServerCapabilities().tasks,
    { list: {}, cancel: {}, requests: { tools: { call: {} } } });
  const { tools } = await srv.client.listTools();
  const support = Object.fromEntries(tools.map((x) => [x.name, x.execution?.taskSupport]));
  for (const name of ['codex', 'codex-reply', 'spawn_agent', 'spawn_agents_parallel']) {
    assert.equal(support[name], 'optional', `${name} execution.taskSupport`);
  }
  for (const name of ['list_agent_logs', 'get_agent_status', 'spawn_agent_async']) {
    assert.ok(name in support, `tool ${name} is listed`);
    assert.notEqual(support[name], 'optional', `${name} must not declare task support`);
    assert.notEqual(support[name], 'required', `${name} must not declare task support`);
  }
});

test('a task-augmented codex call answers at once; tasks/result waits for the run and returns the plain result', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: ['--task-ttl-max', '60'] });
  const prompt = 'GATE task call';

  // The model holds the turn until release(): this answer cannot have waited for the run.
  const created = await taskCall(srv, 'codex', { prompt, cwd: ctx.workspace }, { ttl: 5000 });
  assert.deepEqual(Object.keys(created), ['task'], `CreateTaskResult: ${JSON.stringify(created)}`);
  const id = created.task.taskId;
  assertTask(created.task, { status: 'working', ttl: 5000 });
  assert.equal(created.task.statusMessage, undefined);
  assert.ok(Math.abs(Date.parse(created.task.createdAt) - Date.now()) < 60_000, `createdAt ${created.task.createdAt} is not now`);
  // The raw answer is exactly { task }: nothing of a CallToolResult.
  const rawCreate = srv.received.find((m) => 'result' in m && m.result?.task?.taskId === id);
  assert.deepEqual(Object.keys(rawCreate.result), ['task']);

  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the run to reach the model' });
  const working = await getTask(srv, id);
  assertTask(working, { id, status: 'working', ttl: 5000 });

  // tasks/result while the run is held: it waits; ping and tasks/get are answered meanwhile.
  const pending = track(taskResult(srv, id));
  await srv.client.ping();
  const stillWorking = await getTask(srv, id);
  assert.equal(stillWorking.status, 'working');
  await srv.client.ping();
  assert.equal(pending.settled, false, 'tasks/result answered before the run ended');
  assert.equal(gate.held(), 1, 'the model is still held');

  gate.release();
  const result = await pending.promise;
  assertRelated(result, id);
  assert.ok(!result.isError, srv.diag(`isError: ${resultText(result)}`));
  assert.equal(result.content[0].text, `echo: ${prompt} [user messages: 1]`);
  const done = await getTask(srv, id);
  assertTask(done, { id, status: 'completed', ttl: 5000 });

  // The same prompt as a plain call: the same CallToolResult but for the thread id.
  const plain = await srv.call('codex', { prompt, cwd: ctx.workspace });
  assert.ok(!plain.isError, srv.diag(`plain isError: ${resultText(plain)}`));
  assert.equal(typeof result.structuredContent?.threadId, 'string');
  assert.ok(result.structuredContent.threadId.length > 0);
  assert.notEqual(result.structuredContent.threadId, plain.structuredContent.threadId, 'two runs, two threads');
  const norm = (r) => ({ ...withoutMeta(r), structuredContent: { ...r.structuredContent, threadId: '<thread>' } });
  assert.deepEqual(norm(result), norm(plain));
  assert.equal(plain._meta?.['io.modelcontextprotocol/related-task'], undefined, 'a plain call has no related-task');

  // tasks/result again after the end: the same answer at once.
  assert.deepEqual(await taskResult(srv, id), result);

  // ttl over the cap (--task-ttl-max 60) is capped to 60 s; no ttl asked: at most the cap.
  const capped = await taskCall(srv, 'codex', { prompt: 'capped ttl', cwd: ctx.workspace }, { ttl: 1e9 });
  assertTask(capped.task, { status: 'working', ttl: 60_000 });
  const dflt = await taskCall(srv, 'codex', { prompt: 'default ttl', cwd: ctx.workspace }, {});
  assertTask(dflt.task, { status: 'working' });
  assert.ok(Number.isInteger(dflt.task.ttl) && dflt.task.ttl > 0 && dflt.task.ttl <= 60_000, `default ttl ${dflt.task.ttl}`);
  for (const [x, text] of [[capped, 'echo: capped ttl [user messages: 1]'], [dflt, 'echo: default ttl [user messages: 1]']]) {
    const r = await taskResult(srv, x.task.taskId);
    assertRelated(r, x.task.taskId);
    assert.equal(resultText(r), text);
    assert.equal((await getTask(srv, x.task.taskId)).ttl, x.task.ttl, 'ttl is kept');
  }
  assert.deepEqual(protocolErrors(srv), []);
  await ctx.assertNoCodexProcesses(10_000);
});

test('notifications/tasks/status on the terminal status; progress for the call\'s token after the CreateTaskResult', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer();
  const seen = [];
  const created = await taskCall(srv, 'codex', { prompt: 'GATE with progress', cwd: ctx.workspace }, {},
    { onprogress: (p) => seen.push(p) });
  const id = created.task.taskId;
  const req = srv.sent.find((m) => m.method === 'tools/call' && m.params?.task);
  const token = req.params._meta?.progressToken;
  assert.notEqual(token, undefined, 'the SDK put a progress token in the request');
  const createIdx = srv.received.findIndex((m) => m.id === req.id && 'result' in m);
  assert.ok(createIdx >= 0);

  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the run to reach the model' });
  assert.deepEqual(statusNotifications(srv, id), [], 'no terminal status while the run is held');
  gate.release();

  const note = await waitTerminalNotification(srv, id);
  assertTask(note.params, { id, status: 'completed' });
  // What tasks/get says now is what the notification said.
  const task = await getTask(srv, id);
  assert.equal(task.status, 'completed');
  assert.equal(task.lastUpdatedAt, note.params.lastUpdatedAt);
  assert.equal(task.createdAt, note.params.createdAt);
  assert.equal(statusNotifications(srv, id).length, 1, 'one terminal status notification');
  await srv.client.ping();

  const progress = srv.received.filter((m) => m.method === 'notifications/progress');
  assert.ok(progress.length >= 2, srv.diag(`want progress notifications, got ${progress.length}`));
  for (const p of progress) {
    assert.equal(p.params.progressToken, token, 'progress for another token');
    assert.ok(srv.received.indexOf(p) > createIdx, 'progress before the CreateTaskResult');
    assert.ok(srv.received.indexOf(p) < srv.received.indexOf(note), 'progress after the terminal status');
    assert.equal(typeof p.params.message, 'string');
  }
  assert.ok(progress.some((p) => /turn completed/.test(p.params.message)),
    `the run's end is reported: ${progress.map((p) => p.params.message).join(' | ')}`);
  // The SDK kept the progress handler alive past the CreateTaskResult and saw every one.
  assert.equal(seen.length, progress.length);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress, 'progress increases');
  assert.deepEqual(protocolErrors(srv), [], 'the SDK reported protocol errors (progress for an unknown token?)');

  const result = await taskResult(srv, id);
  assert.equal(resultText(result), 'echo: GATE with progress [user messages: 1]');
});

test('refused task requests: a tool without task support, a malformed task, a negative ttl', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  await assertRpcError(taskCall(srv, 'list_agent_logs', {}), -32601, /task/, 'list_agent_logs as a task');
  await assertRpcError(taskCall(srv, 'get_agent_status', { task_id: 'x' }), -32601, undefined, 'get_agent_status as a task');
  await assertRpcError(taskCall(srv, 'codex', { prompt: 'x', cwd: ctx.workspace }, 'x'), -32602, undefined, 'task: "x"');
  await assertRpcError(taskCall(srv, 'codex', { prompt: 'x', cwd: ctx.workspace }, { ttl: -1 }), -32602, undefined, 'ttl -1');
  await assertRpcError(taskCall(srv, 'codex', { prompt: 'x', cwd: ctx.workspace }, { ttl: 'soon' }), -32602, undefined, 'ttl "soon"');
  await assertRpcError(taskCall(srv, 'no_such_tool', {}), -32602, undefined, 'unknown tool as a task');
  // None of these made a task or ran anything.
  assert.deepEqual((await srv.client.experimental.tasks.listTasks()).tasks, []);
  assert.equal(ctx.model.requests.length, 0);
  assert.deepEqual(srv.notifications.filter((n) => n.method === 'notifications/tasks/status'), []);
});

test('an isError tool result makes the task failed; tasks/result returns that result', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const cases = [
    { what: 'a nonexistent cwd', args: { prompt: 'x', cwd: `${ctx.root}/no/such/dir` } },
    { what: 'a failing model', args: { prompt: 'FAIL 503', cwd: ctx.workspace } },
  ];
  for (const c of cases) {
    const created = await taskCall(srv, 'codex', c.args);
    const id = created.task.taskId;
    assertTask(created.task, { status: 'working' });
    const result = await taskResult(srv, id);
    assertRelated(result, id);
    assert.equal(result.isError, true, `${c.what}: ${JSON.stringify(result)}`);
    const task = await getTask(srv, id);
    assertTask(task, { id, status: 'failed' });
    assert.equal(typeof task.statusMessage, 'string', `${c.what}: a failed task says why`);
    assert.ok(task.statusMessage.length > 0);
    const note = await waitTerminalNotification(srv, id);
    assert.equal(note.params.status, 'failed');

    // The same call made plainly gives the same isError result (thread ids aside).
    const plain = await srv.call('codex', c.args);
    assert.equal(plain.isError, true, `${c.what}: the plain call`);
    const norm = (r) => {
      const x = withoutMeta(r);
      if (x.structuredContent?.threadId) x.structuredContent = { ...x.structuredContent, threadId: '<thread>' };
      return x;
    };
    assert.deepEqual(norm(result), norm(plain), c.what);
  }
  assert.match(resultText(await taskResult(srv, (await taskCall(srv, 'codex', cases[0].args)).task.taskId)), /no\/such\/dir/);
  assert.ok(ctx.model.requests.length >= 1, 'the failing model was asked');
  await ctx.assertNoCodexProcesses(10_000);
});

test('a task keeps the createdAt its CreateTaskResult gave (queued and running alike)', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  // One agent at a time: the first holds the slot, the others wait queued (no Codex for them).
  const srv = await ctx.startServer({ args: ['--max-agents', '1'] });
  const first = await taskCall(srv, 'spawn_agent', { prompt: 'GATE holds the only slot', cwd: ctx.workspace });
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the first agent to reach the model' });
  const queued = await Promise.all(Array.from({ length: 100 }, (_, i) =>
    taskCall(srv, 'spawn_agent', { prompt: `queued ${i}`, cwd: ctx.workspace })));
  const all = [first, ...queued];
  const moved = [];
  for (const c of all) {
    const now = await getTask(srv, c.task.taskId);
    assertTask(now, { id: c.task.taskId, status: 'working' });
    if (now.createdAt !== c.task.createdAt) moved.push(`${c.task.taskId}: ${c.task.createdAt} -> ${now.createdAt}`);
  }
  // Clean up before asserting: cancel the queued ones, let the first finish.
  for (const c of queued) assertTask(await cancelTask(srv, c.task.taskId), { status: 'cancelled' });
  gate.release();
  assert.equal((await taskResult(srv, first.task.taskId)).structuredContent?.output, 'echo: GATE holds the only slot [user messages: 1]');
  assert.equal(ctx.model.requests.length, 1, 'no queued agent ran');
  assert.deepEqual(moved, [], `createdAt changed after the CreateTaskResult for ${moved.length} of ${all.length} tasks, e.g.\n${moved.slice(0, 3).join('\n')}`);
});
