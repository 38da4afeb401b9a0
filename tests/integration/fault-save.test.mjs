// Writes the database refuses for a while (another process holds a lock on it) are kept and
// written later; a later state is never overwritten by an older one kept for later, and what is
// kept is what the server answers with meanwhile. The lock is held by db-locker
// (tests/fake-codex/db_locker.c); the fake Codex's `wait PATH` says when each step happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, structured, resultText, waitFor, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, startLocker } from './lib/fault.mjs';
import { taskCall, getTask, taskResult, assertRelated, pollTask, isTerminal, track } from './lib/tasks.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'needs --state-dir and the fake Codex';


/** The server's stderr, from `mark` on. */
const since = (srv, mark) => srv.stderr.slice(mark);

test('a save refused mid-run is not written over the task\'s end once the database is free', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const db = path.join(ctx.stateDir, 'codex-mcp.db');
  const go1 = path.join(ctx.root, 'go1');
  const go2 = path.join(ctx.root, 'go2');
  let srv = await ctx.startServer({ codexBin: fakeCodex() });
  const { task_id: id } = structured(srv, await srv.call('spawn_agent_async',
    { prompt: `wait ${go1} start wait ${go2} ok`, cwd: ctx.workspace }), 'spawn');
  await waitFor(async () => structured(srv, await srv.call('get_agent_status', { task_id: id })).status === 'running',
    { what: 'the run to start' });

  // thread.started comes while the database is locked: the "running" record with the thread
  // cannot be written and is kept for later.
  const locker = startLocker(t, db);
  await locker.locked;
  const mark = srv.stderr.length;
  fs.writeFileSync(go1, '');
  await waitFor(() => since(srv, mark).includes(`could not record task ${id}`), { timeoutMs: 30_000, what: 'the refused save' });
  await locker.release();

  // The run ends with the database free: its end is written at once.
  fs.writeFileSync(go2, '');
  const ended = await waitFor(async () => {
    const st = structured(srv, await srv.call('get_agent_status', { task_id: id }));
    return st.status !== 'running' && st;
  }, { timeoutMs: 30_000, what: 'the task to end' });
  assert.equal(ended.status, 'completed', srv.diag(JSON.stringify(ended)));
  assert.equal(ended.output, 'fake ok');
  const task = await getTask(srv, id);
  assert.equal(task.status, 'completed', srv.diag(JSON.stringify(task)));
  const killed = structured(srv, await srv.call('kill_agent', { task_id: id }), 'kill_agent');
  assert.equal(killed.killed, false);
  assert.equal(killed.status, 'completed', JSON.stringify(killed));
  assert.ok(!since(srv, mark).includes(`task ${id} recorded at last`),
    srv.diag('the state kept from before the end was written after it'));

  // What the database holds, after the server is gone, is the end, not the state kept from before.
  await srv.close();
  srv = await ctx.startServer({ codexBin: fakeCodex() });
  const after = structured(srv, await srv.call('get_agent_status', { task_id: id }), 'after restart');
  assert.equal(after.status, 'completed', srv.diag(`after a restart: ${JSON.stringify(after)}`));
  assert.equal(after.output, 'fake ok');
  assert.ok(after.thread_id, JSON.stringify(after));
});

test('a thread whose record was refused is recorded once the database is free: codex-reply finds it', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const db = path.join(ctx.stateDir, 'codex-mcp.db');
  const go = path.join(ctx.root, 'go');
  const srv = await ctx.startServer({ codexBin: fakeCodex() });
  const { task_id: id } = structured(srv, await srv.call('spawn_agent_async',
    { prompt: `wait ${go} ok`, cwd: ctx.workspace }), 'spawn');
  await waitFor(async () => structured(srv, await srv.call('get_agent_status', { task_id: id })).status === 'running',
    { what: 'the run to start' });

  // The whole run, thread.started to its end, happens while the database is locked.
  const locker = startLocker(t, db);
  await locker.locked;
  const mark = srv.stderr.length;
  fs.writeFileSync(go, '');
  await waitFor(() => since(srv, mark).includes(`task ${id} completed`), { timeoutMs: 30_000, what: 'the run to end' });
  // Writes go to the store on its thread: the refusal is said once the store has answered.
  await waitFor(() => /could not record thread/.test(since(srv, mark)), { timeoutMs: 10_000, what: srv.diag('the thread write to fail') });
  const { thread_id: thread } = structured(srv, await srv.call('get_agent_status', { task_id: id }));
  assert.ok(thread, 'no thread id');
  await locker.release();

  // Written at the next retry (each second): then a reply finds the thread and its options.
  let last;
  const reply = await waitFor(async () => {
    last = await srv.call('codex-reply', { prompt: 'ok', threadId: thread });
    return !(last.isError && /no thread/.test(resultText(last))) && last;
  }, { timeoutMs: 15_000, intervalMs: 200, what: 'codex-reply to find the thread' }).catch((e) => {
    throw new Error(srv.diag(`${e.message}: ${resultText(last)}`));
  });
  assert.ok(!reply.isError, srv.diag(`codex-reply: ${resultText(reply)}`));
  assert.equal(reply.structuredContent?.threadId, thread);
});

test('the answer of a task-augmented spawn_agents_parallel is kept while the database is locked, and written after', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const db = path.join(ctx.stateDir, 'codex-mcp.db');
  const go = path.join(ctx.root, 'go');
  let srv = await ctx.startServer({ codexBin: fakeCodex() });
  const created = await taskCall(srv, 'spawn_agents_parallel', { agents: [{ prompt: `wait ${go} ok`, cwd: ctx.workspace }] });
  const id = created.task.taskId;
  const running = await waitFor(async () => {
    const live = structured(srv, await srv.call('list_running_agents', {}));
    return live.agents.find((a) => a.status === 'running');
  }, { what: 'the agent to start' });

  const locker = startLocker(t, db);
  await locker.locked;
  const mark = srv.stderr.length;
  fs.writeFileSync(go, '');
  await waitFor(() => since(srv, mark).includes(`task ${running.task_id} completed`), { timeoutMs: 30_000, what: 'the agent to end' });
  // Refused by the database, the answer is still what the server gives.
  const during = await pollTask(srv, id, (task) => isTerminal(task.status), { timeoutMs: 10_000, what: 'the task to end while locked' });
  assert.equal(during.status, 'completed', srv.diag(`tasks/get while locked: ${JSON.stringify(during)}`));
  await waitFor(() => since(srv, mark).includes(`could not record task ${id}`), { timeoutMs: 10_000, what: srv.diag('the answer to be refused') });
  const result = await taskResult(srv, id);
  assertRelated(result, id);
  assert.ok(!result.isError, srv.diag(`tasks/result while locked: ${JSON.stringify(result)}`));
  assert.equal(result.structuredContent?.results?.[0]?.status, 'completed', JSON.stringify(result));

  await locker.release();
  await waitFor(() => since(srv, mark).includes(`task ${id} recorded at last`), { timeoutMs: 15_000, what: srv.diag('the answer to be written') });
  await srv.close();
  srv = await ctx.startServer({ codexBin: fakeCodex() });
  const after = await getTask(srv, id);
  assert.equal(after.status, 'completed', srv.diag(`tasks/get after a restart: ${JSON.stringify(after)}`));
  const again = await taskResult(srv, id);
  assert.equal(again.structuredContent?.results?.[0]?.status, 'completed', JSON.stringify(again));
});

test('tasks/result for a task another server runs waits for its end instead of making up an answer', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const go = path.join(ctx.root, 'go');
  // Two servers on one state dir: the task is recorded by the first and read by the second.
  const runs = await ctx.startServer({ codexBin: fakeCodex() });
  const reads = await ctx.startServer({ codexBin: fakeCodex() });
  const created = await taskCall(runs, 'codex', { prompt: `wait ${go} ok`, cwd: ctx.workspace });
  const id = created.task.taskId;
  await waitFor(async () => structured(runs, await runs.call('get_agent_status', { task_id: id })).status === 'running',
    { what: 'the run to start' });
  assert.equal((await getTask(reads, id)).status, 'working');

  const pending = track(taskResult(reads, id));
  await reads.client.ping();
  await runs.client.ping();
  if (pending.settled) assert.fail(`tasks/result answered while the task runs: ${JSON.stringify(await pending.promise)}`);
  fs.writeFileSync(go, '');
  const result = await pending.promise;
  assertRelated(result, id);
  assert.ok(!result.isError, reads.diag(`tasks/result: ${JSON.stringify(result)}`));
  assert.equal(result.structuredContent?.content, 'fake ok', JSON.stringify(result));
});

test('tasks/result waiting on a task another server runs is answered when this server stops', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const go = path.join(ctx.root, 'go');
  const runs = await ctx.startServer({ codexBin: fakeCodex() });
  const reads = await ctx.startServer({ codexBin: fakeCodex() });
  const created = await taskCall(runs, 'codex', { prompt: `wait ${go} ok`, cwd: ctx.workspace });
  const id = created.task.taskId;
  await waitFor(async () => structured(runs, await runs.call('get_agent_status', { task_id: id })).status === 'running',
    { what: 'the run to start' });
  const pending = track(taskResult(reads, id));
  await reads.client.ping();
  assert.equal(pending.settled, false, 'tasks/result answered while the task runs');
  process.kill(reads.pid, 'SIGTERM');
  const outcome = await pending.promise.then((r) => ({ r }), (e) => ({ e }));
  assert.ok(outcome.e, `tasks/result got a result from a stopping server: ${JSON.stringify(outcome.r)}`);
  assert.equal(outcome.e.code, -32603, String(outcome.e));
  assert.match(String(outcome.e.message), /server is stopping/);
  await waitFor(() => reads.exited, { what: 'the stopping server to exit' });
  assert.deepEqual(reads.exited, { code: 0, signal: null }, reads.diag('exit'));
  // The other server's run is not disturbed.
  fs.writeFileSync(go, '');
  const result = await taskResult(runs, id);
  assert.equal(result.structuredContent?.content, 'fake ok', JSON.stringify(result));
});
