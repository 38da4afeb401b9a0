// Failures come back as tool results with isError and a useful text, quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createContext, resultText, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';

test('missing Codex binary gives an isError result naming it', { timeout: TEST_TIMEOUT, skip: PEER_MODE && 'needs --codex-bin' }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ codexBin: '/nonexistent/codex' });
  const res = await srv.call('codex', { prompt: 'hello', cwd: ctx.workspace });
  const text = resultText(res);
  assert.equal(res.isError, true, srv.diag(`expected isError, got: ${text}`));
  assert.ok(text.includes('/nonexistent/codex'), `error should name the missing binary: ${text}`);
  assert.equal(ctx.model.requests.length, 0);
  await srv.client.ping();
});

test('a failing model (HTTP 500) gives isError with Codex\'s error', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const t0 = Date.now();
  const res = await srv.call('codex', { prompt: 'FAIL', cwd: ctx.workspace });
  const text = resultText(res);
  assert.equal(res.isError, true, srv.diag(`expected isError, got: ${text}`));
  // Codex 0.169 turns a 500 into this fixed text (turn.failed error.message).
  assert.match(text, /high demand/, `error text should carry Codex's error: ${text}`);
  assert.equal(ctx.model.requests.length, 1, 'Codex retried although retries are 0');
  assert.ok(Date.now() - t0 < 20_000, `failing turn took ${Date.now() - t0} ms`);
  await ctx.assertNoCodexProcesses(5000);
});

test('a failing model (HTTP 503) gives isError with the model\'s message', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const res = await srv.call('codex', { prompt: 'FAIL 503', cwd: ctx.workspace });
  const text = resultText(res);
  assert.equal(res.isError, true, srv.diag(`expected isError, got: ${text}`));
  assert.match(text, /mock model failure/, `error text should carry the model's error: ${text}`);
  assert.match(text, /503/);
  // A failed turn can still be replied to or retried; the server keeps working.
  const again = await srv.call('codex', { prompt: 'fine now', cwd: ctx.workspace });
  assert.ok(!again.isError, srv.diag(resultText(again)));
});

test('a nonexistent cwd gives isError naming cwd', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const missing = path.join(ctx.root, 'does', 'not', 'exist');
  const res = await srv.call('codex', { prompt: 'hello', cwd: missing });
  const text = resultText(res);
  assert.equal(res.isError, true, srv.diag(`expected isError, got: ${text}`));
  assert.match(text, /cwd/, `error should name cwd: ${text}`);
  assert.equal(ctx.model.requests.length, 0, 'a bad cwd must not start a turn');
});
