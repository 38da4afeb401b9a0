// Agent logs: what they hold, list_agent_logs, cleanup_old_logs (dry run, age, never outside the
// log dir nor through symlinks), and how the log dir is chosen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BACKEND, createContext, structured, resultText } from './lib/harness.mjs';

const TIMEOUT = 120_000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DAY = 86400;
const lexists = (p) => { try { fs.lstatSync(p); return true; } catch { return false; } };

async function runAgents(srv, ctx, prompts) {
  const out = [];
  for (const prompt of prompts) {
    const st = structured(srv, await srv.call('spawn_agent', { prompt, cwd: ctx.workspace }), `spawn_agent ${prompt}`);
    assert.equal(st.status, 'completed', JSON.stringify(st));
    out.push(st);
  }
  return out;
}

test('an agent log has timestamped lines, the events, and an "ended:" line with the exit status', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const [st] = await runAgents(srv, ctx, ['RUN echo log-me']);
  const lines = fs.readFileSync(st.log_file, 'utf8').split('\n').filter(Boolean);
  assert.ok(lines.length >= 4, lines.join('\n'));
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S/, `line without a timestamp: ${l}`);
  const body = lines.map((l) => l.slice(25));
  assert.ok(body[0].startsWith(`task ${st.task_id} (spawn_agent) queued`), body[0]);
  // Over app-server a turn has no process, and so no pid or exit status, of its own.
  const warm = BACKEND === 'app-server';
  assert.ok(body.some((l) => (warm ? /^started in / : /^started \(pid \d+\) in /).test(l)), body.join('\n'));
  assert.ok(body.includes('running: echo log-me'), body.join('\n'));
  assert.ok(body.includes('ran: echo log-me (exit 0)'), body.join('\n'));
  assert.ok(body.some((l) => l.startsWith('message: ran: log-me')), body.join('\n'));
  assert.equal(body.at(-1), warm ? 'ended: completed' : 'ended: completed (exit status 0)');

  // A failed run's log ends with its status and why.
  const failed = await srv.call('spawn_agent', { prompt: 'FAIL 503', cwd: ctx.workspace });
  assert.equal(failed.isError, true);
  const flog = fs.readFileSync(failed.structuredContent.log_file, 'utf8').trim().split('\n');
  assert.match(flog.at(-1), warm ? /Z ended: failed: \S/ : /Z ended: failed \(exit status [1-9]\d*\): \S/);
});

test('list_agent_logs lists finished agents\' logs; cleanup_old_logs deletes only old logs in the log dir', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const logDir = path.join(ctx.stateDir, 'logs');
  const agents = await runAgents(srv, ctx, ['first log', 'second log', 'third log']);
  const paths = agents.map((a) => a.log_file);

  const listed = structured(srv, await srv.call('list_agent_logs', {}), 'list_agent_logs');
  assert.equal(listed.log_dir, logDir);
  assert.equal(listed.total, 3);
  assert.equal(listed.showing, 3);
  assert.deepEqual(new Set(listed.logs.map((l) => l.path)), new Set(paths));
  for (const l of listed.logs) {
    assert.equal(path.dirname(l.path), logDir);
    assert.match(path.basename(l.path), /^codex_agent_\d{8}_\d{6}_[0-9a-f]{8}\.log$/);
    const size = fs.statSync(l.path).size;
    assert.equal(l.size_bytes, size);
    assert.ok(size > 0);
    assert.equal(l.size_human, size < 1024 ? `${size} B` : `${(size / 1024).toFixed(1)} KB`);
    assert.match(l.modified, ISO);
    assert.equal(Math.floor(Date.parse(l.modified) / 1000), Math.floor(fs.statSync(l.path).mtimeMs / 1000));
  }
  const one = structured(srv, await srv.call('list_agent_logs', { max_count: 1 }), 'list_agent_logs max_count 1');
  assert.equal(one.total, 3);
  assert.equal(one.showing, 1);

  // days must be at least 1.
  const zero = await srv.call('cleanup_old_logs', { days: 0 });
  assert.equal(zero.isError, true, `days 0: ${JSON.stringify(zero)}`);

  // Make two logs old; add traps: a symlink named like a log, pointing outside (old itself and
  // its target old), an old log-named file outside the dir, and an old file not named like a log.
  const now = Date.now() / 1000;
  const old = now - 30 * DAY;
  fs.utimesSync(paths[0], old, old);
  fs.utimesSync(paths[1], old, old);
  const outside = path.join(ctx.root, 'outside');
  fs.mkdirSync(outside);
  const target = path.join(outside, 'precious.txt');
  fs.writeFileSync(target, 'do not delete');
  fs.utimesSync(target, old, old);
  const outsideLog = path.join(outside, 'codex_agent_20200101_000000_deadbeef.log');
  fs.writeFileSync(outsideLog, 'not in the log dir');
  fs.utimesSync(outsideLog, old, old);
  const link = path.join(logDir, 'codex_agent_x.log');
  fs.symlinkSync(target, link);
  fs.lutimesSync(link, old, old);
  const otherFile = path.join(logDir, 'notes.txt');
  fs.writeFileSync(otherFile, 'not a log');
  fs.utimesSync(otherFile, old, old);

  // The symlink is no log: not listed.
  const listed2 = structured(srv, await srv.call('list_agent_logs', {}), 'list_agent_logs with traps');
  assert.deepEqual(listed2.logs.map((l) => l.path).sort(), [...paths].sort());

  // Dry run (the default): says what would go, deletes nothing.
  const expectOld = [paths[0], paths[1]].sort();
  const oldSize = fs.statSync(paths[0]).size + fs.statSync(paths[1]).size;
  const dry = structured(srv, await srv.call('cleanup_old_logs', { days: 7 }), 'cleanup dry run');
  assert.equal(dry.dry_run, true);
  assert.deepEqual([...dry.files].sort(), expectOld);
  assert.equal(dry.deleted_count, 2);
  assert.equal(dry.freed_bytes, oldSize);
  assert.equal(typeof dry.freed_human, 'string');
  for (const p of [...paths, link, target, outsideLog, otherFile]) assert.ok(lexists(p), `${p} is gone after a dry run`);
  const dry2 = structured(srv, await srv.call('cleanup_old_logs', { days: 7, dry_run: true }), 'cleanup explicit dry run');
  assert.deepEqual([...dry2.files].sort(), expectOld);
  assert.ok(paths.every((p) => fs.existsSync(p)));

  // Nothing is 60 days old.
  const none = structured(srv, await srv.call('cleanup_old_logs', { days: 60, dry_run: false }), 'cleanup 60 days');
  assert.equal(none.deleted_count, 0);
  assert.deepEqual(none.files, []);
  assert.ok(paths.every((p) => fs.existsSync(p)));

  // For real: exactly the two old logs go.
  const real = structured(srv, await srv.call('cleanup_old_logs', { days: 7, dry_run: false }), 'cleanup');
  assert.equal(real.dry_run, false);
  assert.deepEqual([...real.files].sort(), expectOld);
  assert.equal(real.deleted_count, 2);
  assert.equal(real.freed_bytes, oldSize);
  assert.ok(!fs.existsSync(paths[0]) && !fs.existsSync(paths[1]), 'the old logs are still there');
  assert.ok(fs.existsSync(paths[2]), 'the new log was deleted');
  assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the symlink in the log dir was deleted');
  assert.equal(fs.readFileSync(target, 'utf8'), 'do not delete', 'the symlink target was touched');
  assert.ok(fs.existsSync(outsideLog), 'a file outside the log dir was deleted');
  assert.ok(fs.existsSync(otherFile), 'a file not named like a log was deleted');

  const listed3 = structured(srv, await srv.call('list_agent_logs', {}), 'list_agent_logs after cleanup');
  assert.deepEqual(listed3.logs.map((l) => l.path), [paths[2]]);
  const dry3 = structured(srv, await srv.call('cleanup_old_logs', { days: 7 }), 'cleanup again');
  assert.deepEqual(dry3.files, []);
});

test('a log dir given as a symlink is resolved once: runs and log tools use its target', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const realDir = path.join(ctx.root, 'elsewhere');
  fs.mkdirSync(realDir);
  const old = path.join(realDir, 'codex_agent_20200101_000000_cafebabe.log');
  fs.writeFileSync(old, 'an old log');
  const then = Date.now() / 1000 - 30 * DAY;
  fs.utimesSync(old, then, then);
  const linkDir = path.join(ctx.root, 'logs-link');
  fs.symlinkSync(realDir, linkDir);
  const srv = await ctx.startServer({ args: ['--log-dir', linkDir] });
  // The agent writes where the tools look: the resolved directory, never through the link.
  const [st] = await runAgents(srv, ctx, ['log dir through a link']);
  assert.equal(path.dirname(st.log_file), realDir, st.log_file);
  const list = structured(srv, await srv.call('list_agent_logs', {}), 'list_agent_logs');
  assert.equal(list.log_dir, realDir);
  assert.ok(list.logs.some((l) => l.path === st.log_file), JSON.stringify(list));
  const res = structured(srv, await srv.call('cleanup_old_logs', { days: 1, dry_run: false }), 'cleanup');
  assert.deepEqual(res.files, [old]);
  assert.ok(!fs.existsSync(old));
  assert.ok(fs.existsSync(st.log_file), 'the fresh log stays');
});

test('--log-dir and CODEX_AS_MCP_LOG_DIR choose the log dir (--log-dir first)', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const byFlag = path.join(ctx.root, 'flag-logs');
  const byEnv = path.join(ctx.root, 'env-logs');

  const cases = [
    { label: '--log-dir', opts: { args: ['--log-dir', byFlag] }, want: byFlag },
    { label: 'CODEX_AS_MCP_LOG_DIR', opts: { env: { CODEX_AS_MCP_LOG_DIR: byEnv } }, want: byEnv },
    { label: 'both', opts: { args: ['--log-dir', byFlag], env: { CODEX_AS_MCP_LOG_DIR: byEnv } }, want: byFlag },
  ];
  for (const c of cases) {
    const srv = await ctx.startServer(c.opts);
    const [st] = await runAgents(srv, ctx, [`log dir by ${c.label}`]);
    assert.equal(path.dirname(st.log_file), c.want, `${c.label}: log_file ${st.log_file}`);
    assert.match(fs.readFileSync(st.log_file, 'utf8'), BACKEND === 'app-server' ? /ended: completed\n/ : /ended: completed \(exit status 0\)/);
    const listed = structured(srv, await srv.call('list_agent_logs', {}), `${c.label}: list_agent_logs`);
    assert.equal(listed.log_dir, c.want);
    assert.ok(listed.logs.some((l) => l.path === st.log_file), `${c.label}: ${JSON.stringify(listed)}`);
    await srv.close();
  }
  assert.equal(fs.existsSync(path.join(ctx.stateDir, 'logs')), false, 'the default log dir was used');
});
