// Codex printing what is not an event: non-JSON lines, and one line of 256 MiB. The turn still
// completes, and the server's peak RSS (VmHWM) stays below 64 MiB. Uses the fake Codex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createContext, resultText, structured, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, vmHWM, mib, MiB, SANITIZED } from './lib/fault.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'needs --codex-bin';
const RSS_LIMIT = 64 * MiB;
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function assertRss(srv, what) {
  const hwm = vmHWM(srv.pid);
  assert.ok(hwm, `no VmHWM for ${srv.pid}`);
  console.log(`# ${what}: server VmHWM ${mib(hwm)}`);
  if (!SANITIZED) assert.ok(hwm < RSS_LIMIT, srv.diag(`${what}: server VmHWM ${mib(hwm)} >= ${mib(RSS_LIMIT)}`));
}

test('non-JSON lines from Codex: the turn completes, the server goes on', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ codexBin: fakeCodex(), args: ['--codex-events'] });
  const res = await srv.call('codex', { prompt: 'garbage', cwd: ctx.workspace }, { onprogress: () => {} });
  assert.ok(!res.isError, srv.diag(resultText(res)));
  assert.equal(resultText(res), 'fake ok');
  assert.match(res.structuredContent.threadId, UUID7, JSON.stringify(res.structuredContent));
  // Only real events are forwarded; junk is not passed on as if it were one.
  const events = srv.notifications.filter((n) => n.method === 'codex/event');
  for (const e of events) assert.equal(typeof e.params.type, 'string', JSON.stringify(e));
  assert.deepEqual(events.map((e) => e.params.type).filter((x) => !/^(thread|turn|item)\./.test(x)), ['some.future.event']);

  const agent = structured(srv, await srv.call('spawn_agent', { prompt: 'garbage', cwd: ctx.workspace }), 'spawn_agent');
  assert.equal(agent.status, 'completed');
  assert.equal(agent.output, 'fake ok');
  assert.match(fs.readFileSync(agent.log_file, 'utf8'), /ended: completed/);
  await srv.client.ping();
  assertRss(srv, 'garbage');
});

test('one line of 256 MiB from Codex: skipped, the turn completes, VmHWM < 64 MiB', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ codexBin: fakeCodex(), args: ['--codex-events', '--log-level', 'warning'] });
  const before = vmHWM(srv.pid);
  const t0 = Date.now();
  // The newline is held back 2 s after the last byte: the server must not wait for it with
  // the whole line in memory.
  const res = await srv.call('codex', { prompt: 'bigline 256M 2000', cwd: ctx.workspace }, { onprogress: () => {} });
  const took = Date.now() - t0;
  assert.ok(!res.isError, srv.diag(`the turn failed: ${resultText(res)}`));
  assert.equal(resultText(res), 'fake ok');
  console.log(`# 256 MiB line: ${took} ms; VmHWM before ${mib(before)}`);
  assert.ok(!srv.received.some((m) => JSON.stringify(m).length > 1 * MiB), 'a message of more than 1 MiB reached the client');
  assert.match(srv.stderr, /longer than \d+ bytes/, 'the server should say it skipped the line');
  assertRss(srv, '256 MiB line');

  // Twice in a row, as an agent: same.
  const agent = structured(srv, await srv.call('spawn_agent', { prompt: 'bigline 256M 500', cwd: ctx.workspace }), 'spawn_agent');
  assert.equal(agent.status, 'completed');
  assert.equal(agent.output, 'fake ok');
  assert.ok(fs.statSync(agent.log_file).size < 1 * MiB, 'the agent log took the line');
  await srv.client.ping();
  const ok = await srv.call('codex', { prompt: 'ok', cwd: ctx.workspace });
  assert.equal(resultText(ok), 'fake ok');
  assertRss(srv, 'two 256 MiB lines');
});
