// What a real app-server cannot be made to do on cue, from a fake one (tests/fake-codex/
// fake_app_server.c): garbage on its stdout, a request we do not know, a turn that never ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, resultText, waitFor, PEER_MODE } from './lib/harness.mjs';
import { fakeAppServer } from './lib/fault.mjs';

const SKIP = PEER_MODE && 'codex-mcp backends';
const TIMEOUT = 60_000;

async function start(t, args = []) {
  const ctx = await createContext(t);
  // The fake is no real Codex: the harness would pick exec for it; this test wants app-server.
  const srv = await ctx.startServer({ codexBin: fakeAppServer(), args: ['--backend', 'app-server', ...args] });
  return { ctx, srv };
}

test('garbage lines, an answer to nothing and a stranger thread are skipped; the turn completes', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const { ctx, srv } = await start(t);
  const res = await srv.call('codex', { prompt: 'garbage', cwd: ctx.workspace });
  assert.equal(resultText(res), 'fake ok', srv.diag(resultText(res)));
  assert.match(srv.stderr, /app-server: .*a line of \d+ bytes/, 'the garbage was not reported');
  assert.doesNotMatch(srv.stderr, /this is not JSON/, 'a garbage line was quoted in the log');
  // And the next turn is served as well.
  assert.equal(resultText(await srv.call('codex', { prompt: 'ok', cwd: ctx.workspace })), 'fake ok');
});

test('a request codex-mcp does not know gets a method-not-found error, and the turn goes on', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const { ctx, srv } = await start(t);
  const res = await srv.call('codex', { prompt: 'ask-unknown', cwd: ctx.workspace });
  assert.equal(resultText(res), 'answered: -32601', srv.diag(resultText(res)));
});

test('a turn the app-server never ends: a cancel ends it after the grace, and the server goes on', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const { ctx, srv } = await start(t, ['--kill-grace-ms', '500']);
  const ac = new AbortController();
  const pending = srv.call('codex', { prompt: 'hang', cwd: ctx.workspace }, { signal: ac.signal });
  pending.catch(() => {});
  // Running at the fake once its thread is known.
  await waitFor(async () => {
    const list = (await srv.call('list_agent_tasks', {})).structuredContent;
    return list.tasks[0]?.status === 'running' && typeof list.tasks[0]?.thread_id === 'string';
  }, { timeoutMs: 10_000, what: 'the turn to run at the fake' });
  ac.abort('enough');
  await assert.rejects(pending);
  await waitFor(() => /did not stop a cancelled turn in time/.test(srv.stderr), { timeoutMs: 10_000, what: 'the turn to be given up' });
  assert.equal(resultText(await srv.call('codex', { prompt: 'ok', cwd: ctx.workspace })), 'fake ok');
});
