// Over HTTP with --http-token-file, each token's subject has its own tasks and threads: a client
// with another token cannot read, list, cancel, kill or continue them, in either era, and is
// answered exactly as for an id that does not exist. Requests without a good token get 401.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, gatedScript, resultText, waitFor } from './lib/harness.mjs';
import { startHttpServer, connectLegacyHttp, post } from './lib/http.mjs';
import { connectModern, callAsTask, waitTask } from './lib/modern-client.mjs';
import { taskCall, getTask, taskResult, listTasks, cancelTask } from './lib/tasks.mjs';

const TIMEOUT = 180_000;
const CALL = { timeout: 60_000 };

const INIT = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

const bearer = (token) => ({ headers: { Authorization: `Bearer ${token}` } });

/** A server with two tokens in its token file; the tokens, and who holds them. */
async function serve(t, script) {
  const ctx = await createContext(t, { script });
  const tokens = { a: crypto.randomBytes(16).toString('hex'), b: crypto.randomBytes(16).toString('hex') };
  const file = path.join(ctx.root, 'tokens');
  fs.writeFileSync(file, `# two clients\n${tokens.a}\n${tokens.b}\n`, { mode: 0o600 });
  // Enough runs at once that the held ones queue nothing behind them.
  const srv = await startHttpServer(ctx, { args: ['--http-token-file', file, '--max-agents', '8'] });
  return { ctx, srv, tokens };
}

/** A legacy (2025-11-25) client with a token: { client } as the task helpers take it. */
async function legacy(srv, token) {
  const conn = await connectLegacyHttp(srv.url, { requestInit: bearer(token) });
  await conn.client.listTools();
  return conn;
}

const call = (conn, name, args) => conn.client.callTool({ name, arguments: args }, undefined, CALL);
const modernCall = (conn, name, args) => conn.client.callTool({ name, arguments: args }, CALL);

/** What a promise came to: { result } or { error: { code, message } }. */
async function outcome(promise) {
  try {
    return { result: await promise };
  } catch (e) {
    return { error: { code: e.code, message: e.message } };
  }
}

/** The same answer, but for the id in it: what another subject's record must look like. */
function assertSameAnswer(mine, unknown, id, unknownId, what) {
  const norm = (x, i) => JSON.stringify(x).replaceAll(i, '<id>');
  assert.equal(norm(mine, id), norm(unknown, unknownId), `${what}: not answered as an unknown id`);
}

function structured(res, what) {
  assert.ok(res && !res.isError, `${what}: ${resultText(res)}`);
  return res.structuredContent;
}

async function waitEnded(conn, id) {
  return waitFor(async () => {
    const s = structured(await call(conn, 'get_agent_status', { task_id: id }), 'get_agent_status');
    return s.status !== 'queued' && s.status !== 'running' ? s : null;
  }, { timeoutMs: 60_000, intervalMs: 100, what: `agent ${id} to end` });
}

test('without a good token: 401 with a Bearer challenge', { timeout: TIMEOUT }, async (t) => {
  const { srv, tokens } = await serve(t);
  const missing = await post(srv.url, INIT);
  assert.equal(missing.status, 401, missing.text);
  assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer\b/);
  const wrong = await post(srv.url, INIT, { headers: { authorization: `Bearer ${'0'.repeat(32)}` } });
  assert.equal(wrong.status, 401, wrong.text);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer\b/);
  const good = await post(srv.url, INIT, { headers: { authorization: `Bearer ${tokens.a}` } });
  assert.equal(good.status, 200, good.text);
});

test('2025-11-25: one subject\'s tasks, threads and logs are not there for another', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const { ctx, srv, tokens } = await serve(t, gate.script);
  const a = await legacy(srv, tokens.a);
  const b = await legacy(srv, tokens.b);
  const unknownTask = crypto.randomBytes(16).toString('hex');
  const unknownThread = crypto.randomUUID();

  // A: a background agent and a task-augmented call, both held running; a codex call that ended.
  const started = structured(await call(a, 'spawn_agent_async', { prompt: 'GATE a background', cwd: ctx.workspace }), 'spawn_agent_async');
  const asyncId = started.task_id;
  const created = await taskCall(a, 'codex', { prompt: 'GATE a task', cwd: ctx.workspace });
  const taskId = created.task.taskId;
  const codex = await call(a, 'codex', { prompt: 'a thread', cwd: ctx.workspace });
  const threadId = structured(codex, 'codex').threadId;
  await waitFor(() => gate.held() === 2, { timeoutMs: 30_000, what: 'A\'s two runs to reach the model' });

  // B has one task of its own.
  const bStarted = structured(await call(b, 'spawn_agent_async', { prompt: 'b background', cwd: ctx.workspace }), 'B spawn_agent_async');
  const bDone = await waitEnded(b, bStarted.task_id);
  assert.equal(bDone.status, 'completed', JSON.stringify(bDone));

  // B cannot read, kill or cancel A's tasks: each answer is the one for an id never made.
  for (const id of [asyncId, taskId]) {
    for (const [tool, args] of [['get_agent_status', {}], ['kill_agent', { force: true }]]) {
      const mine = await call(b, tool, { task_id: id, ...args });
      const none = await call(b, tool, { task_id: unknownTask, ...args });
      assert.equal(none.isError, true, JSON.stringify(none));
      assertSameAnswer(mine, none, id, unknownTask, `B ${tool} on A's ${id}`);
    }
    for (const [what, fn] of [['tasks/get', getTask], ['tasks/result', taskResult], ['tasks/cancel', cancelTask]]) {
      const mine = await outcome(fn(b, id));
      const none = await outcome(fn(b, unknownTask));
      assert.equal(none.error?.code, -32602, JSON.stringify(none));
      assertSameAnswer(mine, none, id, unknownTask, `B ${what} on A's ${id}`);
    }
  }
  // Nor continue A's thread.
  const reply = await call(b, 'codex-reply', { threadId, prompt: 'hijack' });
  const noThread = await call(b, 'codex-reply', { threadId: unknownThread, prompt: 'hijack' });
  assert.equal(noThread.isError, true);
  assertSameAnswer(reply, noThread, threadId, unknownThread, 'B codex-reply on A\'s thread');

  // B's listings hold its own task alone.
  const bList = structured(await call(b, 'list_agent_tasks', {}), 'B list_agent_tasks');
  assert.deepEqual(bList.tasks.map((x) => x.task_id), [bStarted.task_id]);
  assert.equal(bList.total, 1);
  assert.equal(bList.running, 0);
  const bRunning = structured(await call(b, 'list_running_agents', {}), 'B list_running_agents');
  assert.deepEqual(bRunning, { count: 0, agents: [] });
  const bTasks = await listTasks(b);
  assert.deepEqual(bTasks.tasks.map((x) => x.taskId), [bStarted.task_id]);
  const bLogs = structured(await call(b, 'list_agent_logs', {}), 'B list_agent_logs');
  assert.deepEqual(bLogs.logs.map((l) => l.path), [bStarted.log_file]);
  assert.equal(bLogs.total, 1);

  // A sees its own, and none of B's, from this connection and from another with its token.
  const a2 = await legacy(srv, tokens.a);
  for (const conn of [a, a2]) {
    const aList = structured(await call(conn, 'list_agent_tasks', {}), 'A list_agent_tasks');
    const ids = aList.tasks.map((x) => x.task_id);
    assert.equal(aList.total, 3, JSON.stringify(aList));
    assert.ok(ids.includes(asyncId) && ids.includes(taskId), JSON.stringify(ids));
    assert.ok(!ids.includes(bStarted.task_id));
    const running = structured(await call(conn, 'list_running_agents', {}), 'A list_running_agents');
    assert.deepEqual(running.agents.map((x) => x.task_id).sort(), [asyncId, taskId].sort());
    assert.equal(structured(await call(conn, 'get_agent_status', { task_id: asyncId }), 'A get_agent_status').status, 'running');
    assert.equal((await getTask(conn, taskId)).status, 'working');
    const listed = (await listTasks(conn)).tasks.map((x) => x.taskId);
    assert.equal(listed.length, 3);
    assert.ok(!listed.includes(bStarted.task_id));
    const aLogs = structured(await call(conn, 'list_agent_logs', {}), 'A list_agent_logs').logs.map((l) => l.path);
    assert.equal(aLogs.length, 3, JSON.stringify(aLogs));
    assert.ok(!aLogs.includes(bStarted.log_file));
  }

  // cleanup_old_logs: each deletes only its own old logs.
  const aLogFile = structured(await call(a, 'list_agent_tasks', {}), 'A list_agent_tasks').tasks
    .find((x) => x.tool === 'codex').log_file;
  const old = new Date(Date.now() - 10 * 86400_000);
  fs.utimesSync(aLogFile, old, old);
  fs.utimesSync(bStarted.log_file, old, old);
  const bDry = structured(await call(b, 'cleanup_old_logs', { days: 1 }), 'B cleanup dry run');
  assert.deepEqual(bDry.files, [bStarted.log_file]);
  const bClean = structured(await call(b, 'cleanup_old_logs', { days: 1, dry_run: false }), 'B cleanup');
  assert.deepEqual(bClean.files, [bStarted.log_file]);
  assert.ok(!fs.existsSync(bStarted.log_file));
  assert.ok(fs.existsSync(aLogFile), 'B deleted A\'s log');
  const aDry = structured(await call(a, 'cleanup_old_logs', { days: 1 }), 'A cleanup dry run');
  assert.deepEqual(aDry.files, [aLogFile]);

  // A continues its thread, and stops its runs.
  const aReply = await call(a, 'codex-reply', { threadId, prompt: 'more' });
  assert.equal(resultText(aReply), 'echo: more [user messages: 2]');
  const killed = structured(await call(a2, 'kill_agent', { task_id: asyncId, force: true }), 'A kill_agent');
  assert.equal(killed.killed, true);
  assert.equal(killed.status, 'killed');
  const cancelled = await cancelTask(a, taskId);
  assert.equal(cancelled.taskId, taskId);
  await waitFor(async () => (await getTask(a, taskId)).status === 'cancelled', { timeoutMs: 30_000, what: 'A\'s task to be cancelled' });
  gate.release();
  await a.close();
  await a2.close();
  await b.close();
  await ctx.assertNoCodexProcesses(10_000);
});

test('2026-07-28: another subject\'s tasks and threads are unknown to tasks/get, update, cancel and the tools', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const { ctx, srv, tokens } = await serve(t, gate.script);
  const ma = await connectModern('codex-mcp', [], {}, { url: srv.url, mode: 'pin', ctx, requestInit: bearer(tokens.a) });
  const mb = await connectModern('codex-mcp', [], {}, { url: srv.url, mode: 'pin', ctx, requestInit: bearer(tokens.b) });
  assert.equal(ma.era, 'modern');
  assert.equal(mb.era, 'modern');
  // The token reaches the server on every request: without it, this one would be a 401.
  const without = await connectModern('codex-mcp', [], {}, { url: srv.url, mode: 'pin', ctx }).then(() => null, (e) => e);
  assert.ok(without, 'a client without a token connected');
  const unknownTask = crypto.randomBytes(16).toString('hex');
  const unknownThread = crypto.randomUUID();

  // A: a task held running, and a thread.
  const held = await callAsTask(ma, 'codex', { prompt: 'GATE modern held', cwd: ctx.workspace });
  const done = await waitTask(ma, (await callAsTask(ma, 'codex', { prompt: 'modern thread', cwd: ctx.workspace })).taskId, { timeoutMs: 60_000 });
  assert.equal(done.status, 'completed', JSON.stringify(done));
  const threadId = done.result.structuredContent.threadId;
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'A\'s run to reach the model' });
  // And a 2025 task over a session with the same token: the subject, not the era, owns it.
  const a25 = await legacy(srv, tokens.a);
  const legacyTask = (await taskCall(a25, 'codex', { prompt: 'legacy of a', cwd: ctx.workspace })).task.taskId;

  const strip = (msg) => {
    const { id, ...rest } = msg;
    if (rest.result?._meta) delete rest.result._meta;
    return rest;
  };
  for (const id of [held.taskId, done.taskId, legacyTask]) {
    for (const [method, extra] of [['tasks/get', {}], ['tasks/update', { inputResponses: {} }], ['tasks/cancel', {}]]) {
      const mine = strip(await mb.rawRequest(method, { taskId: id, ...extra }));
      const none = strip(await mb.rawRequest(method, { taskId: unknownTask, ...extra }));
      assert.equal(none.error?.code, -32602, JSON.stringify(none));
      assertSameAnswer(mine, none, id, unknownTask, `B ${method} on A's ${id}`);
    }
    for (const tool of ['get_agent_status', 'kill_agent']) {
      const mine = await modernCall(mb, tool, { task_id: id });
      const none = await modernCall(mb, tool, { task_id: unknownTask });
      assert.equal(none.isError, true);
      assertSameAnswer(mine, none, id, unknownTask, `B ${tool} on A's ${id}`);
    }
  }
  const reply = await modernCall(mb, 'codex-reply', { threadId, prompt: 'hijack' });
  const noThread = await modernCall(mb, 'codex-reply', { threadId: unknownThread, prompt: 'hijack' });
  assert.equal(noThread.isError, true);
  assertSameAnswer(reply, noThread, threadId, unknownThread, 'B codex-reply on A\'s thread');
  assert.deepEqual(structured(await modernCall(mb, 'list_agent_tasks', {}), 'B list_agent_tasks').tasks, []);
  assert.equal(structured(await modernCall(mb, 'list_running_agents', {}), 'B list_running_agents').count, 0);

  // A reads, continues and cancels its own.
  const mine = await ma.rawRequest('tasks/get', { taskId: held.taskId });
  assert.equal(mine.result?.status, 'working', JSON.stringify(mine));
  const ids = structured(await modernCall(ma, 'list_agent_tasks', {}), 'A list_agent_tasks').tasks.map((x) => x.task_id);
  assert.deepEqual(ids.sort(), [held.taskId, done.taskId, legacyTask].sort());
  const replied = await waitTask(ma, (await callAsTask(ma, 'codex-reply', { threadId, prompt: 'again' })).taskId, { timeoutMs: 60_000 });
  assert.equal(resultText(replied.result), 'echo: again [user messages: 2]');
  const ack = await ma.rawRequest('tasks/cancel', { taskId: held.taskId });
  assert.equal(ack.result?.resultType, 'complete', JSON.stringify(ack));
  assert.equal((await waitTask(ma, held.taskId, { timeoutMs: 30_000 })).status, 'cancelled');
  gate.release();
  await a25.close();
  await ctx.assertNoCodexProcesses(10_000);
});
