// The log directory's disk is full: runs still answer (with their result, a clear error, or
// without a log) and the server goes on. A 64 KiB tmpfs when we may mount one (root); the file
// size limit (ulimit -f) as well, which is what a user without mount rights gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createContext, resultText, structured, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, startLean, answerText } from './lib/fault.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'needs --codex-bin';

/** Mount a tmpfs of `options` at a new dir next to ctx.root; { dir: null, why } if we may not. */
function mountTmpfs(t, ctx, options) {
  // Not inside ctx.root: its cleanup would trip over the mount point.
  const dir = fs.mkdtempSync(`${ctx.root}-tmpfs-`);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    fs.rmdirSync(dir);
    return { dir: null, why: String(e.stderr || e.message).trim() };
  }
  t.after(() => {
    try { execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); } catch { /* already */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir };
}

/** Write files into dir until the disk says no. */
function fill(dir) {
  const chunk = Buffer.alloc(4096, 'f');
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  try { for (;;) fs.writeSync(fd, chunk); } catch (e) { assert.equal(e.code, 'ENOSPC'); } finally { fs.closeSync(fd); }
}

function skipUnlessMounted(t, m) {
  if (!m.dir) t.skip(`cannot mount a tmpfs: ${m.why}`);
  return !!m.dir;
}

test('the log disk fills up mid-run (64 KiB tmpfs): the run completes, later runs answer, the server goes on', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const m = mountTmpfs(t, ctx, 'size=64k');
  if (!skipUnlessMounted(t, m)) return;
  const srv = await ctx.startServer({ codexBin: fakeCodex(), args: ['--log-dir', m.dir] });

  // ~4000 events of 1 KiB: one log line each, far more than 64 KiB.
  const big = structured(srv, await srv.call('spawn_agent', { prompt: 'flood 4M 1K', cwd: ctx.workspace }), 'flood');
  assert.equal(big.status, 'completed', JSON.stringify(big).slice(0, 1000));
  assert.equal(big.output, 'fake flood done: 4096 events');
  assert.ok(fs.statSync(big.log_file).size <= 64 * 1024);
  assert.match(srv.stderr, /cannot write the agent log .*No space left on device/, srv.diag('no warning about the full disk'));

  // The disk is full now; runs still answer.
  const ok = await srv.call('codex', { prompt: 'ok', cwd: ctx.workspace });
  assert.equal(resultText(ok), 'fake ok', srv.diag(resultText(ok)));
  const failing = await srv.call('codex', { prompt: 'exit 5', cwd: ctx.workspace });
  assert.equal(failing.isError, true);
  assert.match(resultText(failing), /status 5/, resultText(failing));
  const asyncRun = structured(srv, await srv.call('spawn_agent_async', { prompt: 'ok', cwd: ctx.workspace }), 'async');
  const logs = structured(srv, await srv.call('list_agent_logs', {}), 'list_agent_logs');
  assert.ok(logs.total >= 3, JSON.stringify(logs));
  const st = structured(srv, await srv.call('get_agent_status', { task_id: asyncRun.task_id }), 'status');
  assert.ok(['running', 'completed'].includes(st.status), JSON.stringify(st));
  await srv.client.ping();
  await srv.close();
  assert.equal(srv.exited?.code, 0, srv.diag(`exit ${JSON.stringify(srv.exited)}`));
});

test('the log disk is full before the run, inodes too: runs answer without a log, the server goes on', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const m = mountTmpfs(t, ctx, 'size=64k,nr_inodes=8');
  if (!skipUnlessMounted(t, m)) return;
  fill(m.dir);
  for (let i = 0; ; i++) {
    try { fs.writeFileSync(path.join(m.dir, `inode-${i}`), ''); } catch (e) { assert.equal(e.code, 'ENOSPC'); break; }
  }
  const srv = await ctx.startServer({ codexBin: fakeCodex(), args: ['--log-dir', m.dir] });
  const res = await srv.call('spawn_agent', { prompt: 'ok', cwd: ctx.workspace });
  const st = structured(srv, res, 'spawn_agent');
  assert.equal(st.status, 'completed');
  assert.equal(st.output, 'fake ok');
  assert.ok(!st.log_file || !fs.existsSync(st.log_file) || fs.statSync(st.log_file).size === 0, JSON.stringify(st));
  assert.match(srv.stderr, /runs without a log: cannot create the agent log .*No space left on device/, srv.diag('no warning'));
  const codex = await srv.call('codex', { prompt: 'ok', cwd: ctx.workspace });
  assert.equal(resultText(codex), 'fake ok');
  const failing = await srv.call('codex', { prompt: 'segv', cwd: ctx.workspace });
  assert.equal(failing.isError, true);
  assert.match(resultText(failing), /signal 11/);
  structured(srv, await srv.call('list_agent_logs', {}), 'list_agent_logs');
  structured(srv, await srv.call('cleanup_old_logs', { days: 1, dry_run: false }), 'cleanup_old_logs');
  await srv.client.ping();
});

// Expected to fail while the server does not ignore SIGXFSZ: under a file size limit, the agent
// log reaching it kills the server (the default action of SIGXFSZ) instead of failing a write.
test('the file size limit (ulimit -f 1024, 512 KiB in sh) stops the agent log, not the server', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const spec = ctx.serverCommand({ codexBin: fakeCodex() });
  const srv = startLean(t, ctx, { command: 'sh', commandArgs: ['-c', 'ulimit -f 1024 && exec "$0" "$@"', spec.command, ...spec.args] });
  await srv.initialize();
  // ~4000 log lines of ~160 bytes: past 512 KiB.
  const big = srv.request('tools/call', { name: 'spawn_agent', arguments: { prompt: 'flood 4M 1K', cwd: ctx.workspace } });
  const outcome = await Promise.race([big.then((a) => ({ a })), srv.exited.then((e) => ({ e }))]);
  assert.ok(!outcome.e, srv.diag(`the server died: ${JSON.stringify(outcome.e)}`));
  assert.equal(outcome.a.result?.structuredContent?.output, 'fake flood done: 4096 events', JSON.stringify(outcome.a).slice(0, 1000));
  const ok = await srv.request('tools/call', { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } });
  assert.equal(answerText(ok), 'fake ok');
  srv.child.stdin.end();
  assert.equal((await srv.exited).code, 0);
});
