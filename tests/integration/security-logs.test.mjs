// The log tools (list_agent_logs, cleanup_old_logs) cannot reach outside the log directory:
// not through a symlink named like a log, not through a log dir that is itself a symlink, and
// they take no path at all (no "..", no absolute path). Uses the fake Codex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, structured, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { fakeCodex } from './lib/fault.mjs';

const SKIP = PEER_MODE && 'our flags';
const OLD = new Date(Date.now() - 30 * 86400 * 1000);

/** A file outside the log dir that a careless cleanup would delete. */
function victim(ctx, name) {
  const dir = path.join(ctx.root, 'precious');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, 'keep me\n');
  fs.utimesSync(file, OLD, OLD);
  return file;
}

test('cleanup_old_logs deletes old logs, but neither follows nor deletes through symlinks named like logs', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const logDir = path.join(ctx.root, 'logs');
  const srv = await ctx.startServer({ codexBin: fakeCodex(), args: ['--log-dir', logDir] });
  const run = structured(srv, await srv.call('spawn_agent', { prompt: 'ok', cwd: ctx.workspace }), 'spawn_agent');
  fs.utimesSync(run.log_file, OLD, OLD);

  const target = victim(ctx, 'target.log');
  const targetDir = path.dirname(target);
  const linkToFile = path.join(logDir, 'codex_agent_20200101_000000_deadbeef.log');
  const linkToDir = path.join(logDir, 'codex_agent_20200101_000000_cafecafe.log');
  const rotatedLink = path.join(logDir, 'codex_agent_20200101_000000_feedface.log.1');
  fs.symlinkSync(target, linkToFile);
  fs.symlinkSync(targetDir, linkToDir);
  fs.symlinkSync(target, rotatedLink);
  for (const l of [linkToFile, linkToDir, rotatedLink]) fs.lutimesSync(l, OLD, OLD);
  // A directory named like a log, with something inside.
  const dirLike = path.join(logDir, 'codex_agent_20200101_000000_0badc0de.log');
  fs.mkdirSync(dirLike);
  fs.writeFileSync(path.join(dirLike, 'inner'), 'x');
  fs.utimesSync(dirLike, OLD, OLD);

  const listed = structured(srv, await srv.call('list_agent_logs', { max_count: 100 }), 'list_agent_logs');
  assert.deepEqual(listed.logs.map((l) => path.basename(l.path)), [path.basename(run.log_file)],
    `list_agent_logs shows more than the real log: ${JSON.stringify(listed.logs)}`);

  const dry = structured(srv, await srv.call('cleanup_old_logs', { days: 1 }), 'dry run');
  assert.equal(dry.dry_run, true);
  assert.deepEqual(dry.files, [run.log_file], JSON.stringify(dry));

  const done = structured(srv, await srv.call('cleanup_old_logs', { days: 1, dry_run: false }), 'cleanup');
  assert.deepEqual(done.files, [run.log_file], JSON.stringify(done));
  assert.ok(!fs.existsSync(run.log_file), 'the old log is still there');
  assert.equal(fs.readFileSync(target, 'utf8'), 'keep me\n', 'the file a symlink pointed to was touched');
  for (const l of [linkToFile, linkToDir, rotatedLink]) assert.ok(fs.lstatSync(l).isSymbolicLink(), `${l} was removed or replaced`);
  assert.ok(fs.existsSync(path.join(dirLike, 'inner')));
  assert.deepEqual(fs.readdirSync(targetDir).sort(), ['target.log']);
});

// The log dir is resolved once, at start: a --log-dir given as a symlink means its target. A
// symlink repointed later, or a log dir replaced by a symlink, must not lead the tools away.
test('a log dir that is a symlink: resolved at start; repointing it, or swapping the dir for a symlink, leads nowhere', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const real = path.join(ctx.root, 'real-logs');
  fs.mkdirSync(real);
  const link = path.join(ctx.root, 'logs-link');
  fs.symlinkSync(real, link);
  const oldElsewhere = victim(ctx, 'codex_agent_20200101_000000_aaaaaaaa.log');
  const srv = await ctx.startServer({ codexBin: fakeCodex(), args: ['--log-dir', link] });
  const run = structured(srv, await srv.call('spawn_agent', { prompt: 'ok', cwd: ctx.workspace }), 'spawn_agent');
  assert.equal(path.dirname(run.log_file), real, `the log went elsewhere: ${run.log_file}`);
  const list = structured(srv, await srv.call('list_agent_logs', {}), 'list_agent_logs');
  assert.equal(list.log_dir, real);
  assert.deepEqual(list.logs.map((l) => l.path), [run.log_file]);

  // The symlink now points at a dir of someone else's old "logs".
  fs.unlinkSync(link);
  fs.symlinkSync(path.dirname(oldElsewhere), link);
  const clean = structured(srv, await srv.call('cleanup_old_logs', { days: 1, dry_run: false }), 'cleanup after repointing');
  assert.deepEqual(clean.files, [], JSON.stringify(clean));
  assert.ok(fs.existsSync(oldElsewhere), 'cleanup followed the repointed symlink');

  // The real dir itself is swapped for a symlink to them.
  fs.renameSync(real, `${real}-moved`);
  fs.symlinkSync(path.dirname(oldElsewhere), real);
  const clean2 = await srv.call('cleanup_old_logs', { days: 1, dry_run: false });
  assert.ok(clean2.isError || clean2.structuredContent.files.length === 0, `cleanup went through the swapped-in symlink: ${resultText(clean2)}`);
  const list2 = await srv.call('list_agent_logs', {});
  assert.ok(list2.isError || list2.structuredContent.total === 0, `list_agent_logs went through the swapped-in symlink: ${resultText(list2)}`);
  assert.equal(fs.readFileSync(oldElsewhere, 'utf8'), 'keep me\n');
  // Runs still answer.
  const res = await srv.call('codex', { prompt: 'ok', cwd: ctx.workspace });
  assert.equal(resultText(res), 'fake ok');
});

test('the log tools take no paths: "..", absolute paths and unknown arguments are refused', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const target = victim(ctx, 'codex_agent_20200101_000000_bbbbbbbb.log');
  const srv = await ctx.startServer({ codexBin: fakeCodex() });
  const attempts = [
    ['cleanup_old_logs', { days: 1, dry_run: false, log_dir: path.dirname(target) }],
    ['cleanup_old_logs', { days: 1, dry_run: false, path: target }],
    ['cleanup_old_logs', { days: 1, dry_run: false, dir: '../precious' }],
    ['cleanup_old_logs', { days: 0, dry_run: false }],
    ['cleanup_old_logs', { days: -1, dry_run: false }],
    ['cleanup_old_logs', { days: '1/../../precious', dry_run: false }],
    ['list_agent_logs', { log_dir: '/etc' }],
    ['list_agent_logs', { path: '../../precious' }],
  ];
  for (const [tool, args] of attempts) {
    const res = await srv.call(tool, args);
    assert.equal(res.isError, true, `${tool} ${JSON.stringify(args)} was accepted: ${resultText(res)}`);
  }
  assert.equal(fs.readFileSync(target, 'utf8'), 'keep me\n');
  const list = structured(srv, await srv.call('list_agent_logs', {}), 'list_agent_logs');
  assert.equal(list.log_dir, path.join(ctx.stateDir, 'logs'));
});
