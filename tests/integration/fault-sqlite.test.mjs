// The SQLite file is locked by another process, corrupt, or unwritable: at start the server
// prints a clear message and exits non-zero, never by a signal. A lock taken while it serves
// gives clear errors, and once it is released nothing is lost. The lock is held by db-locker
// (tests/fake-codex/db_locker.c: BEGIN EXCLUSIVE until its stdin closes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { createContext, structured, resultText, waitFor, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, startLocker, startLean } from './lib/fault.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'needs --state-dir';

/** Start a server whose stdin stays open; resolve with its exit once it ends (or `null` after 15 s). */
function startExpectingExit(t, ctx, args = []) {
  const spec = ctx.serverCommand({ codexBin: fakeCodex(), args });
  const child = spawn(spec.command, spec.args, { env: spec.env, cwd: ctx.root, stdio: ['pipe', 'pipe', 'pipe'] });
  ctx.serverPids.add(child.pid);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => { stdout += d; });
  child.stdin.on('error', () => {});
  const t0 = Date.now();
  const done = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 })));
  t.after(() => child.kill('SIGKILL'));
  return Promise.race([done, new Promise((r) => setTimeout(r, 15_000, null))]).then((exit) => ({ exit, stderr, stdout, child }));
}

function assertCleanFailure({ exit, stderr, stdout }, what, re) {
  assert.ok(exit, `${what}: the server did not exit within 15 s\n${stderr}`);
  assert.equal(exit.signal, null, `${what}: killed by ${exit.signal}\n${stderr}`);
  assert.notEqual(exit.code, 0, `${what}: exit code 0\n${stderr}`);
  assert.match(stderr, re, `${what}: unclear message`);
  assert.equal(stdout, '', `${what}: wrote to stdout`);
  console.log(`# ${what}: exit ${exit.code} after ${exit.ms} ms: ${stderr.trim().split('\n').at(-1)}`);
}

/** A state dir with a real database holding one finished task; returns its id. */
async function seed(ctx) {
  const srv = await ctx.startServer({ codexBin: fakeCodex() });
  const st = structured(srv, await srv.call('spawn_agent', { prompt: 'ok', cwd: ctx.workspace }), 'seed');
  await srv.close();
  return st.task_id;
}


// Start-up writes nothing to a database that is current, so a lock need not stop it; but the
// recovery of tasks cut off by the last server is a write. Expected to fail while that write's
// failure is ignored without a word: the cut-off task then reads "running" forever.
test('the database is locked by another process at start: a clear message and a non-zero exit, or a clear word and no task left "running"', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const done = await seed(ctx);
  // A task cut off by a SIGKILLed server: "running" in the database.
  const srv0 = await ctx.startServer({ codexBin: fakeCodex() });
  const cut = structured(srv0, await srv0.call('spawn_agent_async', { prompt: 'hang', cwd: ctx.workspace }), 'spawn').task_id;
  process.kill(srv0.pid, 'SIGKILL');
  await waitFor(() => srv0.exited, { what: 'the server to die' });

  const db = path.join(ctx.stateDir, 'codex-mcp.db');
  const locker = startLocker(t, db);
  await locker.locked;
  const t0 = Date.now();
  const lean = startLean(t, ctx, { codexBin: fakeCodex() });
  const exit = await Promise.race([lean.exited, new Promise((r) => setTimeout(r, 6000, null))]);
  if (exit) {
    assert.equal(exit.signal, null, `killed by ${exit.signal}\n${lean.stderr}`);
    assert.notEqual(exit.code, 0, lean.stderr);
    assert.match(lean.stderr, /database is locked/, 'unclear message');
    console.log(`# locked at start: exit ${exit.code} after ${Date.now() - t0} ms: ${lean.stderr.trim().split('\n').at(-1)}`);
  } else {
    // It chose to run: it must say the database is locked, and once the lock is gone no task
    // may read "running" without a process.
    console.log(`# locked at start: the server runs; its stderr after 6 s: ${JSON.stringify(lean.stderr.trim())}`);
    await lean.initialize();
    await locker.release();
    const st = (await lean.request('tools/call', { name: 'get_agent_status', arguments: { task_id: cut } })).result.structuredContent;
    const live = (await lean.request('tools/call', { name: 'list_running_agents', arguments: {} })).result.structuredContent;
    assert.ok(!(st.status === 'running' && live.count === 0) || /lock/.test(lean.stderr),
      `started on a locked database without a word, and the task cut off before reads ${JSON.stringify(st)} with nothing running`);
    assert.match(lean.stderr, /lock/, `the server started on a locked database without a word about it: ${JSON.stringify(lean.stderr)}`);
    assert.notEqual(st.status, 'running', `the task cut off before the locked start: ${JSON.stringify(st)}`);
    lean.child.stdin.end();
    await lean.exited;
  }
  await locker.release();
  const srv = await ctx.startServer({ codexBin: fakeCodex() });
  assert.equal(structured(srv, await srv.call('get_agent_status', { task_id: done }), 'status').status, 'completed');
  const st = structured(srv, await srv.call('get_agent_status', { task_id: cut }), 'status of the cut-off task');
  assert.equal(st.status, 'failed', `the task cut off before the locked start: ${JSON.stringify(st)}`);
});

// Expected to fail while a task that ends during a lock is left "running" in the database:
// once it has left the runner's memory, get_agent_status reads the stale row.
test('the database is locked while the server runs: clear errors, the server goes on, nothing lost', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ codexBin: fakeCodex() });
  const before = structured(srv, await srv.call('spawn_agent_async', { prompt: 'delay 1500 ok', cwd: ctx.workspace }), 'spawn before');
  const locker = startLocker(t, path.join(ctx.stateDir, 'codex-mcp.db'));
  await locker.locked;
  const t0 = Date.now();
  const refused = await srv.call('spawn_agent_async', { prompt: 'ok', cwd: ctx.workspace });
  assert.equal(refused.isError, true, srv.diag(`a task was accepted but cannot be recorded: ${resultText(refused)}`));
  assert.match(resultText(refused), /cannot record the task/, resultText(refused));
  assert.ok(Date.now() - t0 < 10_000, `answered after ${Date.now() - t0} ms`);
  const blocking = await srv.call('codex', { prompt: 'ok', cwd: ctx.workspace });
  assert.equal(blocking.isError, true, resultText(blocking));
  await srv.client.ping();
  // `before` ends while the database is locked (the server says so on stderr).
  await waitFor(() => srv.stderr.includes(`task ${before.task_id} completed`), { timeoutMs: 30_000, what: 'the first task to end' });
  assert.match(srv.stderr, /database write failed: database is locked|could not record task/, srv.diag('the failed write was not reported'));
  await locker.release();

  const after = structured(srv, await srv.call('spawn_agent', { prompt: 'ok', cwd: ctx.workspace }), 'spawn after');
  assert.equal(after.output, 'fake ok');
  const st = structured(srv, await srv.call('get_agent_status', { task_id: before.task_id }), 'status of the first');
  assert.equal(st.status, 'completed', `a task that ended during the lock: ${JSON.stringify(st)}`);
  assert.equal(st.output, 'fake ok');
});

test('the database is corrupt: a clear message, a non-zero exit, never a crash', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const db = path.join(ctx.stateDir, 'codex-mcp.db');
  // Garbage from the first byte.
  fs.writeFileSync(db, Buffer.from('this is not an SQLite database\n'.repeat(2000)));
  assertCleanFailure(await startExpectingExit(t, ctx), 'garbage', /codex-mcp\.db.*(not a database|malformed)/);

  // A real database whose pages after the header are overwritten.
  fs.rmSync(ctx.stateDir, { recursive: true });
  fs.mkdirSync(ctx.stateDir);
  await seed(ctx);
  for (const f of fs.readdirSync(ctx.stateDir)) if (f.endsWith('-wal') || f.endsWith('-shm')) fs.rmSync(path.join(ctx.stateDir, f));
  const size = fs.statSync(db).size;
  const fd = fs.openSync(db, 'r+');
  const junk = Buffer.alloc(Math.max(size - 100, 4096), 0xa5);
  fs.writeSync(fd, junk, 0, junk.length, 100);
  fs.closeSync(fd);
  const second = await startExpectingExit(t, ctx);
  assertCleanFailure(second, 'garbage pages', /codex-mcp\.db.*(not a database|malformed)|database disk image is malformed/);
});

test('the database cannot be written: a directory in its place, a state dir that is a file, a read-only mount', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  fs.mkdirSync(path.join(ctx.stateDir, 'codex-mcp.db'));
  assertCleanFailure(await startExpectingExit(t, ctx), 'a directory in place of the database', /codex-mcp\.db.*unable to open|cannot open the database/);

  const fileState = path.join(ctx.root, 'state-is-a-file');
  fs.writeFileSync(fileState, 'x');
  assertCleanFailure(await startExpectingExit(t, ctx, ['--state-dir', fileState]), 'a state dir that is a file',
    /state-is-a-file.*(Not a directory|File exists|unable to open)/);

  const ro = fs.mkdtempSync(`${ctx.root}-ro-`);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro], { stdio: 'pipe' });
  } catch (e) {
    fs.rmdirSync(ro);
    t.diagnostic(`no read-only mount: ${String(e.stderr || e.message).trim()}`);
    return;
  }
  t.after(() => { try { execFileSync('umount', ['-l', ro]); } catch { /* gone */ } fs.rmSync(ro, { recursive: true, force: true }); });
  assertCleanFailure(await startExpectingExit(t, ctx, ['--state-dir', ro]), 'a read-only state dir',
    /codex-mcp\.db.*(unable to open|readonly|read-only)/);
});

test('no HOME, no XDG_STATE_HOME and no --state-dir: a clear message, never a shared directory', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const spec = ctx.serverCommand();
  const i = spec.args.indexOf('--state-dir');
  const args = [...spec.args.slice(0, i), ...spec.args.slice(i + 2)];
  const env = { ...spec.env };
  delete env.HOME;
  delete env.XDG_STATE_HOME;
  const child = spawn(spec.command, args, { env, cwd: ctx.root, stdio: ['pipe', 'pipe', 'pipe'] });
  ctx.serverPids.add(child.pid);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => { stdout += d; });
  child.stdin.on('error', () => {});
  t.after(() => child.kill('SIGKILL'));
  const t0 = Date.now();
  const exit = await new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 })));
  assertCleanFailure({ exit, stderr, stdout }, 'no state directory', /no state directory: set --state-dir or HOME/);
  assert.ok(!fs.existsSync('/tmp/.local/state/codex-mcp/codex-mcp.db') || fs.statSync('/tmp/.local/state/codex-mcp/codex-mcp.db').mtimeMs < t0,
    'the server fell back to /tmp');
});

test('a state dir or a log dir that belongs to another user: a clear message, a non-zero exit', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  if (process.getuid() !== 0) {
    // Only root can give a directory away; the check itself is the same for everyone.
    t.diagnostic('not root: cannot make a directory that belongs to another user');
    return;
  }
  const theirs = path.join(ctx.root, 'theirs');
  fs.mkdirSync(theirs, { mode: 0o777 });
  fs.chownSync(theirs, 65534, 65534);
  assertCleanFailure(await startExpectingExit(t, ctx, ['--state-dir', theirs]), 'a state dir of another user',
    /theirs belongs to another user \(uid 65534\)/);
  assertCleanFailure(await startExpectingExit(t, ctx, ['--log-dir', theirs]), 'a log dir of another user',
    /--log-dir: .*theirs belongs to another user \(uid 65534\)/);
  assert.ok(!fs.existsSync(path.join(theirs, 'codex-mcp.db')), 'a database was made in the other user\'s directory');
});
