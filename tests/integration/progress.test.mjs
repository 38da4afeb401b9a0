// A `codex` call with a progress token gets notifications/progress while the turn runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, TEST_TIMEOUT } from './lib/harness.mjs';

test('codex call reports progress with increasing progress and a message', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const seen = [];
  const res = await srv.call('codex', {
    prompt: 'WRITE progress.txt tick',
    sandbox: 'workspace-write',
    cwd: ctx.workspace,
  }, { onprogress: (p) => seen.push(p) });
  assert.ok(!res.isError, srv.diag(`unexpected isError: ${resultText(res)}`));
  assert.equal(res.content[0].text, 'wrote progress.txt');
  assert.equal(fs.readFileSync(path.join(ctx.workspace, 'progress.txt'), 'utf8'), 'tick');

  // The raw notifications carry the token the SDK put in the request's _meta.
  const req = srv.sent.find((m) => m.method === 'tools/call');
  const token = req.params._meta.progressToken;
  const raw = srv.notifications.filter((n) => n.method === 'notifications/progress');
  assert.ok(raw.length >= 1, srv.diag(`no notifications/progress (got: ${srv.notifications.map((n) => n.method).join(', ') || 'none'})`));
  for (const n of raw) assert.equal(n.params.progressToken, token, 'progress for another token');
  // Progress notifications precede the response.
  const respAt = srv.received.findIndex((m) => m.id === req.id && 'result' in m);
  assert.ok(srv.received.indexOf(raw.at(-1)) < respAt, 'progress after the result');

  // What the server sent: increasing progress, each with a message.
  const sent = raw.map((n) => n.params);
  for (let i = 0; i < sent.length; i++) {
    assert.equal(typeof sent[i].progress, 'number');
    assert.equal(typeof sent[i].message, 'string', `progress #${i} has no string message`);
    assert.ok(sent[i].message.length > 0, `progress #${i} has an empty message`);
    if (i > 0) assert.ok(sent[i].progress > sent[i - 1].progress, `progress not increasing: ${sent.map((p) => p.progress)}`);
    if (sent[i].total !== undefined) assert.ok(sent[i].progress <= sent[i].total);
  }
  // The SDK hands onprogress what it got, in order. It runs notification handlers a
  // microtask late, after a response read in the same chunk has already removed the
  // call's progress handler: so it may miss the last ones, never any before them.
  assert.ok(seen.length <= sent.length);
  for (let i = 0; i < seen.length; i++) {
    assert.equal(seen[i].progress, sent[i].progress, `onprogress #${i} is not the server's #${i}`);
    assert.equal(seen[i].message, sent[i].message);
  }
});

test('no progress notifications without a progress token', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const res = await srv.call('codex', { prompt: 'WRITE quiet.txt x', sandbox: 'workspace-write', cwd: ctx.workspace });
  assert.ok(!res.isError, srv.diag(`unexpected isError: ${resultText(res)}`));
  assert.deepEqual(srv.notifications.filter((n) => n.method === 'notifications/progress'), []);
});
