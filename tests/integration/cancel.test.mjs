// Cancelling a running `codex` call (notifications/cancelled) stops its Codex process; the server
// keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, resultText, waitFor, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';

test('cancelling a running codex call kills its Codex and the server stays usable', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const ac = new AbortController();
  const started = Date.now();
  // The mock holds this turn's model response open for a minute.
  const pending = srv.call('codex', { prompt: 'SLEEP 60000 slow turn', cwd: ctx.workspace }, { signal: ac.signal });
  pending.catch(() => {}); // observed below
  await ctx.model.waitForRequests(1, 30_000);
  // Our server runs one Codex process per turn (the old server ran turns in-process).
  if (!PEER_MODE) assert.ok(ctx.turnRunning(), 'no running turn seen (process detection broken?)');

  ac.abort('test cancels');
  await assert.rejects(pending, 'the aborted call must reject on the client side');
  const sentCancel = srv.sent.find((m) => m.method === 'notifications/cancelled');
  assert.ok(sentCancel, 'SDK did not send notifications/cancelled');

  await ctx.assertNoCodexProcesses(5000, srv.diag('after cancel:'));
  // Codex's connection to the model is gone too.
  await waitFor(() => ctx.model.active === 0, { timeoutMs: 5000, what: 'the held model response to be dropped' });
  assert.ok(Date.now() - started < 30_000, 'cancel took too long');

  await srv.client.ping();
  const res = await srv.call('codex', { prompt: 'after cancel', cwd: ctx.workspace });
  assert.ok(!res.isError, srv.diag(`call after cancel failed: ${resultText(res)}`));
  assert.equal(res.content[0].text, 'echo: after cancel [user messages: 1]');
  await ctx.assertNoCodexProcesses(5000, 'after the follow-up call:');

  // No result may come back for the cancelled request (MCP: receivers SHOULD NOT respond).
  const cancelledId = sentCancel.params.requestId;
  const late = srv.received.find((m) => m.id === cancelledId && 'result' in m && !m.result?.isError);
  assert.equal(late, undefined, 'the cancelled call still produced a successful result');
});
