// The official clients over Streamable HTTP, against real Codex and the scripted model: SDK 1.32.2
// (2025-11-25 sessions) and client 2.4.0 pinned to 2026-07-28 (stateless requests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, waitFor, TEST_TIMEOUT } from './lib/harness.mjs';
import { startHttpServer, connectLegacyHttp } from './lib/http.mjs';
import { connectModern, callAsTask, waitTask } from './lib/modern-client.mjs';
import { taskCall, pollTask, taskResult } from './lib/tasks.mjs';

test('2025 session over HTTP: a codex call with progress, then codex-reply on its thread', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { args: ['--progress-interval-ms', '200'] });
  const c = await connectLegacyHttp(srv.url);
  const progress = [];
  const res = await c.client.callTool(
    { name: 'codex', arguments: { prompt: 'WRITE out.txt over http', cwd: ctx.workspace, sandbox: 'workspace-write' } },
    undefined, { onprogress: (p) => progress.push(p), timeout: TEST_TIMEOUT });
  assert.ok(!res.isError, srv.diag(`codex failed: ${resultText(res)}`));
  assert.equal(fs.readFileSync(path.join(ctx.workspace, 'out.txt'), 'utf8'), 'over http');
  assert.equal(res.content[0].text, 'wrote out.txt');
  assert.ok(progress.length > 0, 'no progress reached the client over its SSE stream');
  assert.ok(progress.every((p, i) => i === 0 || p.progress > progress[i - 1].progress), 'progress must increase');

  const reply = await c.client.callTool({ name: 'codex-reply', arguments: { threadId: res.structuredContent.threadId, prompt: 'and again' } },
    undefined, { timeout: TEST_TIMEOUT });
  assert.ok(!reply.isError, srv.diag(`codex-reply failed: ${resultText(reply)}`));
  assert.equal(reply.content[0].text, 'echo: and again [user messages: 2]');
  await c.close();
});

test('2026-07-28 over HTTP: codex with progress, then codex-reply from another connection', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { args: ['--progress-interval-ms', '200'] });
  const a = await connectModern('codex-mcp', [], {}, { url: srv.url, mode: 'pin', ctx });
  assert.equal(a.era, 'modern');
  assert.equal(a.version, '2026-07-28');
  const progress = [];
  const res = await a.client.callTool({ name: 'codex', arguments: { prompt: 'WRITE m.txt modern', cwd: ctx.workspace, sandbox: 'workspace-write' } },
    { onprogress: (p) => progress.push(p), timeout: TEST_TIMEOUT });
  assert.ok(!res.isError, srv.diag(`codex failed: ${resultText(res)}`));
  assert.equal(fs.readFileSync(path.join(ctx.workspace, 'm.txt'), 'utf8'), 'modern');
  assert.ok(progress.length > 0, 'no progress on the request\'s SSE stream');
  // Stateless: a second client, knowing only the thread id, continues it.
  const b = await connectModern('codex-mcp', [], {}, { url: srv.url, mode: 'pin', ctx });
  const reply = await b.client.callTool({ name: 'codex-reply', arguments: { threadId: res.structuredContent.threadId, prompt: 'more' } },
    { timeout: TEST_TIMEOUT });
  assert.equal(reply.content[0].text, 'echo: more [user messages: 2]');
  // No session header is ever sent or needed.
  assert.ok(!a.wire.sent.some((m) => m.method === 'initialize'), 'a modern client must not initialize');
});

test('a task in each era over HTTP', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx);
  // 2025: task-augmented tools/call, polled with tasks/get, result with tasks/result.
  const c = await connectLegacyHttp(srv.url);
  const created = await taskCall({ client: c.client }, 'codex', { prompt: 'legacy task', cwd: ctx.workspace });
  const id = created.task.taskId;
  await pollTask({ client: c.client }, id, (task) => task.status === 'completed');
  const result = await taskResult({ client: c.client }, id);
  assert.equal(result.content[0].text, 'echo: legacy task [user messages: 1]');
  // 2026: the tasks extension, read back through a fresh connection (tasks are the process's).
  const m = await connectModern('codex-mcp', [], {}, { url: srv.url, mode: 'pin', ctx });
  const made = await callAsTask(m, 'codex', { prompt: 'modern task', cwd: ctx.workspace });
  assert.equal(made.resultType, 'task');
  const other = await connectModern('codex-mcp', [], {}, { url: srv.url, mode: 'pin', ctx });
  const done = await waitTask(other, made.taskId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.result.content[0].text, 'echo: modern task [user messages: 1]');
  await c.close();
});

test('closing the response stream of a modern tools/call cancels it; a task lives on', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx);
  const m = await connectModern('codex-mcp', [], {}, { url: srv.url, mode: 'pin', ctx });
  const ac = new AbortController();
  const pending = m.client.callTool({ name: 'codex', arguments: { prompt: 'SLEEP 60000 held', cwd: ctx.workspace } },
    { signal: ac.signal, timeout: TEST_TIMEOUT });
  pending.catch(() => {});
  await ctx.model.waitForRequests(1, 30_000);
  assert.ok(ctx.turnRunning(), 'no running turn seen');
  ac.abort('the client closes the stream');
  await assert.rejects(pending);
  await ctx.assertNoCodexProcesses(5000, srv.diag('after closing the stream:'));
  await waitFor(() => ctx.model.active === 0, { timeoutMs: 5000, what: 'the held model response to be dropped' });

  // The same, as a task: closing the connection that created it changes nothing.
  const made = await callAsTask(m, 'codex', { prompt: 'SLEEP 1500 task turn', cwd: ctx.workspace });
  await ctx.model.waitForRequests(2, 30_000);
  const done = await waitTask(m, made.taskId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  // And the server still serves.
  const res = await m.client.callTool({ name: 'codex', arguments: { prompt: 'after', cwd: ctx.workspace } });
  assert.equal(res.content[0].text, 'echo: after [user messages: 1]');
});
