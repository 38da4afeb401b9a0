// The warm app-server backend: one `codex app-server` for every turn, started on first use,
// started again after a crash, and never left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, resultText, waitFor, gatedScript, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';

const SKIP = PEER_MODE && 'codex-mcp backends';
const ARGS = ['--backend', 'app-server'];

test('one app-server serves every turn, started on the first', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ARGS });
  assert.equal(ctx.appServers().length, 0, 'started before anything needed it');
  const a = await srv.call('codex', { prompt: 'first', cwd: ctx.workspace });
  const b = await srv.call('codex', { prompt: 'second', cwd: ctx.workspace });
  assert.equal(resultText(a), 'echo: first [user messages: 1]');
  assert.equal(resultText(b), 'echo: second [user messages: 1]');
  const warm = ctx.appServers();
  assert.equal(warm.length, 1, `app-servers: ${warm.map((p) => p.pid)}`);
  const reply = await srv.call('codex-reply', { threadId: a.structuredContent.threadId, prompt: 'again' });
  assert.equal(resultText(reply), 'echo: again [user messages: 2]');
  assert.deepEqual(ctx.appServers().map((p) => p.pid), warm.map((p) => p.pid), 'a turn started another app-server');
  await srv.close();
  await ctx.assertNoCodexLeft(5000, 'after the server closed:');
});

test('the app-server killed mid-turn: the call answers with the reason, the next call works, the thread resumes', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: ARGS });
  const first = await srv.call('codex', { prompt: 'before the crash', cwd: ctx.workspace });
  const threadId = first.structuredContent.threadId;
  const pending = srv.call('codex-reply', { threadId, prompt: 'GATE cut off' });
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the turn to reach the model' });
  const [warm] = ctx.appServers();
  process.kill(warm.pid, 'SIGKILL');
  const res = await pending;
  gate.release();
  assert.equal(res.isError, true, resultText(res));
  assert.match(resultText(res), /codex app-server was killed by signal 9; the thread can be continued/);
  assert.equal(res.structuredContent?.threadId, threadId, 'the failed call names its thread');

  const next = await srv.call('codex', { prompt: 'after the crash', cwd: ctx.workspace });
  assert.equal(resultText(next), 'echo: after the crash [user messages: 1]', srv.diag());
  const again = await srv.call('codex-reply', { threadId, prompt: 'resumed' });
  assert.ok(!again.isError, srv.diag(resultText(again)));
  assert.match(resultText(again), /^echo: resumed \[user messages: \d\]$/);
  assert.equal(ctx.appServers().length, 1);
});

test('turns of different threads run at once in the one app-server', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: [...ARGS, '--max-agents', '3'] });
  const calls = ['one', 'two', 'three'].map((w) => srv.call('codex', { prompt: `GATE ${w}`, cwd: ctx.workspace }));
  await waitFor(() => gate.held() === 3, { timeoutMs: 30_000, what: 'three turns at the model at once' });
  gate.release();
  const texts = (await Promise.all(calls)).map(resultText).sort();
  assert.deepEqual(texts, ['echo: GATE one [user messages: 1]', 'echo: GATE three [user messages: 1]', 'echo: GATE two [user messages: 1]']);
  assert.equal(ctx.appServers().length, 1);
});
