// Shutdown finishes whatever happens meanwhile: a call that arrives while the server stops, a
// database that refuses the last writes, a run paused because the client stopped reading.
// The fake Codex (tests/fake-codex/fake_codex.c) and db-locker make each of these happen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, waitFor, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, startLocker, startLean, answerText, childrenOf, isAlive } from './lib/fault.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'our shutdown, with the fake Codex';
/** Stopping takes under 2 s; this leaves room for a loaded machine, not for a hang. */
const EXIT_MS = 8_000;


const call = (srv, name, args) => srv.request('tools/call', { name, arguments: args });
const structuredOf = (srv, answer, what) => {
  assert.ok(answer.result && !answer.result.isError, srv.diag(`${what}: ${JSON.stringify(answer)}`));
  return answer.result.structuredContent;
};

/** Bytes the process has written so far (/proc/<pid>/io), or null once it is gone. */
function writtenBy(pid) {
  try { return Number(fs.readFileSync(`/proc/${pid}/io`, 'utf8').match(/^wchar: (\d+)/m)[1]); } catch { return null; }
}

/** Waits until the fake Codex has acted on `stubborn` (it says `start` after it): SIGTERM is ignored from then. */
function stubbornNow(srv, id) {
  return waitFor(async () => structuredOf(srv, await call(srv, 'get_agent_status', { task_id: id }), 'status').thread_id,
    { what: srv.diag('the run to ignore SIGTERM') });
}

/** The server's exit within EXIT_MS, or a failure saying it is still alive. */
async function exitsSoon(srv, what) {
  const exit = await Promise.race([srv.exited, new Promise((r) => setTimeout(r, EXIT_MS, null))]);
  assert.ok(exit, srv.diag(`${what}: the server is still alive ${EXIT_MS} ms later`));
  return exit;
}

test('a call that comes while the server stops is refused, and the server still exits', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  // Its run ignores SIGTERM: stopping takes the whole grace, and a call can come meanwhile.
  const srv = startLean(t, ctx, { codexBin: fakeCodex(), args: ['--kill-grace-ms', '800'] });
  await srv.initialize();
  const first = structuredOf(srv, await call(srv, 'spawn_agent_async', { prompt: 'stubborn start hang', cwd: ctx.workspace }), 'spawn');
  assert.equal(first.status, 'running');
  await stubbornNow(srv, first.task_id);
  srv.child.kill('SIGTERM');
  await waitFor(() => /SIGTERM: stopping/.test(srv.stderr), { what: 'the server to start stopping' });
  const late = await call(srv, 'spawn_agent_async', { prompt: 'hang', cwd: ctx.workspace });
  assert.equal(late.result?.isError, true, srv.diag(`a run was started while stopping: ${JSON.stringify(late)}`));
  assert.match(answerText(late), /server is stopping/);
  const exit = await exitsSoon(srv, 'after SIGTERM and a late call');
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, srv.diag());
});

test('a second SIGTERM kills what still runs at once', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  // A grace far past the 2 s stop: only the second signal can end the run in time.
  const srv = startLean(t, ctx, { codexBin: fakeCodex(), args: ['--kill-grace-ms', '60000'] });
  await srv.initialize();
  const { task_id: id, log_file: log } = structuredOf(srv, await call(srv, 'spawn_agent_async', { prompt: 'stubborn start hang', cwd: ctx.workspace }), 'spawn');
  await stubbornNow(srv, id);
  srv.child.kill('SIGTERM');
  await waitFor(() => /SIGTERM: stopping/.test(srv.stderr), { what: 'the server to start stopping' });
  srv.child.kill('SIGTERM');
  const exit = await exitsSoon(srv, 'after two SIGTERMs');
  assert.equal(exit.code, 0, srv.diag());
  assert.match(srv.stderr, /SIGTERM again: killing every run now/);
  // The run's own log: SIGTERM first, then SIGKILL without waiting out the grace.
  assert.match(fs.readFileSync(log, 'utf8'), /stopping with SIGTERM[\s\S]*stopping with SIGKILL[\s\S]*ended: failed \(killed by signal 9\)/);
});

test('stdin closes while the database refuses every write: the server exits and says what was lost', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = startLean(t, ctx, { codexBin: fakeCodex() });
  await srv.initialize();
  // Log lines also go to the client until its transport closes, and never after.
  const level = await srv.request('logging/setLevel', { level: 'debug' });
  assert.deepEqual(level.result, {}, JSON.stringify(level));
  const { task_id: id } = structuredOf(srv, await call(srv, 'spawn_agent_async', { prompt: 'start hang', cwd: ctx.workspace }), 'spawn');
  const locker = startLocker(t, path.join(ctx.stateDir, 'codex-mcp.db'));
  await locker.locked;
  srv.child.stdin.end();
  const exit = await exitsSoon(srv, 'after EOF with the database locked');
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, srv.diag());
  assert.match(srv.stderr, new RegExp(`task ${id} could not be recorded: its last state \\(failed\\) is lost`), srv.diag());
  assert.doesNotMatch(srv.stderr, /AddressSanitizer|runtime error/, srv.diag());
  await locker.release();

  // The next server finds the run cut off, as after a crash.
  const next = await ctx.startServer({ codexBin: fakeCodex() });
  const st = (await next.call('get_agent_status', { task_id: id })).structuredContent;
  assert.equal(st.status, 'failed', JSON.stringify(st));
  assert.equal(st.error, 'server stopped');
});

test('a run paused for a client that stopped reading is reaped on SIGTERM', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = startLean(t, ctx, { codexBin: fakeCodex(), args: ['--codex-events', '--log-level', 'debug'] });
  await srv.initialize();
  // Every event of the flood goes to the client as codex/event.
  srv.send({ id: 'flood', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'flood 1G', cwd: ctx.workspace } } });
  const codex = await waitFor(() => childrenOf(srv.pid)[0], { what: 'Codex to start' });
  // The client reads no more: the server's backlog grows until it stops reading Codex.
  srv.child.stdout.pause();
  // Paused: the server says so, and Codex, blocked on a full pipe, writes nothing more.
  let wrote = -1;
  await waitFor(() => {
    const now = writtenBy(codex.pid);
    const still = now === wrote;
    wrote = now;
    return still && / paused: the client has not read/.test(srv.stderr);
  }, { timeoutMs: 30_000, intervalMs: 500, what: srv.diag('the run to be paused') });
  srv.child.kill('SIGTERM');
  const exit = await exitsSoon(srv, 'after SIGTERM with a paused run');
  assert.equal(exit.signal, null, srv.diag());
  assert.equal(isAlive(codex.pid), false, `Codex ${codex.pid} outlived the server`);
});
