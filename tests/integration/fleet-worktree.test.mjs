// worktree: true gives each agent a git worktree of its own, on its own branch: two agents at once
// write the same file name without touching each other or the user's checkout. cleanup_worktrees
// and `codex-mcp worktrees --prune` remove them: merged, or old, and never uncommitted work
// unless forced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, structured, resultText, serverBin, waitAgentEnded } from './lib/harness.mjs';
import { startHttpServer, connectLegacyHttp } from './lib/http.mjs';
import { smartScript } from './lib/mock-model.mjs';

const TIMEOUT = 180_000;

/** The smart script, but each turn's first request waits until n turns have asked: they ran at once. */
function barrierScript(n) {
  const waiting = [];
  let arrived = 0;
  return async (body, index, { signal }) => {
    const input = body?.input || [];
    if (input[input.length - 1]?.type !== 'function_call_output' && ++arrived <= n) {
      if (arrived === n) waiting.splice(0).forEach((go) => go());
      else await new Promise((go) => { waiting.push(go); signal.addEventListener('abort', go, { once: true }); });
    }
    return smartScript(body);
  };
}

const git = (dir, ...args) => execFileSync('git', ['-C', dir, '-c', 'user.name=Test', '-c', 'user.email=test@example.invalid',
  ...args], { encoding: 'utf8' }).trim();

/** The worktrees git lists: {path: branch}. */
function worktreeList(repo) {
  const list = {};
  for (const block of git(repo, 'worktree', 'list', '--porcelain').split('\n\n')) {
    const p = block.match(/^worktree (.*)$/m)?.[1];
    list[p] = block.match(/^branch refs\/heads\/(.*)$/m)?.[1] ?? null;
  }
  return list;
}

const byTask = (result, id) => result.worktrees.find((w) => w.task_id === id);

test('worktree: two parallel agents write one file name, each in its own worktree; the checkout is untouched; pruned after', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t, { script: barrierScript(2) });
  const repo = path.join(ctx.root, 'repo');
  fs.mkdirSync(path.join(repo, 'sub'), { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  fs.writeFileSync(path.join(repo, 'sub', 'keep.txt'), 'the user\'s file\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'start');
  const head = git(repo, 'rev-parse', 'HEAD');
  const cwd = path.join(repo, 'sub');
  const srv = await ctx.startServer({ args: ['--max-agents', '2'] });

  // Outside a repository: a clear error, and no run.
  const outside = await srv.call('spawn_agent', { prompt: 'WRITE x.txt no', cwd: ctx.workspace, worktree: true });
  assert.equal(outside.isError, true, JSON.stringify(outside));
  assert.match(resultText(outside), /worktree: .* is not in a git repository/);
  assert.equal(ctx.model.requests.length, 0);

  // Two agents at once (the model holds each until both asked), writing the same file name.
  const res = await srv.call('spawn_agents_parallel', {
    agents: [0, 1].map((i) => ({ prompt: `WRITE same.txt written by agent ${i}`, cwd, worktree: true })),
  }, { timeout: TIMEOUT });
  const { results } = structured(srv, res, 'spawn_agents_parallel');
  const trees = results.map((r, i) => {
    assert.equal(r.status, 'completed', JSON.stringify(r));
    assert.equal(r.output, 'wrote same.txt');
    const wt = r.worktree;
    assert.deepEqual(
      { path: wt.path, branch: wt.branch, base_commit: wt.base_commit, repository: wt.repository },
      { path: path.join(ctx.stateDir, 'worktrees', r.task_id), branch: `codex-mcp/${r.task_id.slice(0, 8)}`,
        base_commit: head, repository: repo }, `agent ${i}`);
    assert.deepEqual(wt.commits, []);
    assert.deepEqual(wt.files_changed, ['sub/same.txt']);
    assert.deepEqual(wt.uncommitted, ['sub/same.txt']);
    assert.equal(fs.readFileSync(path.join(wt.path, 'sub', 'same.txt'), 'utf8'), `written by agent ${i}`);
    assert.equal(fs.readFileSync(path.join(wt.path, 'sub', 'keep.txt'), 'utf8'), 'the user\'s file\n');
    return wt;
  });
  assert.notEqual(trees[0].branch, trees[1].branch);

  // The user's checkout: untouched.
  assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=all'), '');
  assert.equal(fs.existsSync(path.join(cwd, 'same.txt')), false);
  assert.equal(git(repo, 'rev-parse', 'HEAD'), head);
  assert.equal(git(repo, 'symbolic-ref', '--short', 'HEAD'), 'main');
  // git knows both worktrees, each on its branch.
  assert.deepEqual(worktreeList(repo), { [repo]: 'main', [trees[0].path]: trees[0].branch, [trees[1].path]: trees[1].branch });

  // get_agent_status names it too, and the agent's cwd is the same subdirectory inside it.
  const status = structured(srv, await srv.call('get_agent_status', { task_id: results[0].task_id }), 'get_agent_status');
  assert.deepEqual(status.worktree, trees[0]);
  assert.equal(status.cwd, path.join(trees[0].path, 'sub'));

  // Neither merged nor old: a dry run (the default) keeps both, and says why.
  let out = structured(srv, await srv.call('cleanup_worktrees', {}), 'cleanup_worktrees');
  assert.equal(out.dry_run, true);
  assert.equal(out.removed_count, 0);
  for (const r of results) {
    const w = byTask(out, r.task_id);
    assert.equal(w.action, 'kept', JSON.stringify(out));
    assert.equal(w.reason, 'not merged: it has uncommitted changes');
    assert.equal(w.uncommitted, true);
  }

  // The user commits each agent's work on its branch, and merges the first.
  for (const wt of trees) {
    git(wt.path, 'add', '-A');
    git(wt.path, 'commit', '-q', '-m', `work of ${wt.branch}`);
  }
  git(repo, 'merge', '-q', '--ff-only', trees[0].branch);

  out = structured(srv, await srv.call('cleanup_worktrees', {}), 'cleanup_worktrees');
  assert.equal(out.removed_count, 1);
  assert.equal(byTask(out, results[0].task_id).action, 'would remove', JSON.stringify(out));
  assert.equal(byTask(out, results[0].task_id).merged, true);
  assert.equal(byTask(out, results[1].task_id).action, 'kept');
  assert.equal(Object.keys(worktreeList(repo)).length, 3, 'a dry run removed something');

  out = structured(srv, await srv.call('cleanup_worktrees', { dry_run: false }), 'cleanup_worktrees');
  assert.equal(out.dry_run, false);
  assert.deepEqual({ ...byTask(out, results[0].task_id), age_days: 0 }, {
    task_id: results[0].task_id, path: trees[0].path, branch: trees[0].branch, merged: true,
    uncommitted: false, age_days: 0, action: 'removed', branch_deleted: true });
  assert.equal(byTask(out, results[1].task_id).action, 'kept');
  assert.equal(fs.existsSync(trees[0].path), false);
  assert.equal(git(repo, 'branch', '--list', trees[0].branch), '');
  assert.deepEqual(worktreeList(repo), { [repo]: 'main', [trees[1].path]: trees[1].branch });

  // Old enough: the second worktree goes, and its unmerged branch, with the work, stays.
  out = structured(srv, await srv.call('cleanup_worktrees', { dry_run: false, older_than_days: 0 }), 'cleanup_worktrees');
  const second = byTask(out, results[1].task_id);
  assert.equal(second.action, 'removed', JSON.stringify(out));
  assert.equal(second.branch_deleted, false);
  assert.match(second.reason, /branch is kept/);
  assert.deepEqual(worktreeList(repo), { [repo]: 'main' });
  assert.equal(git(repo, 'log', '--format=%s', '-1', trees[1].branch), `work of ${trees[1].branch}`);

  // A run at the top of the repository, its work left uncommitted.
  const thirdRes = await srv.call('spawn_agent', { prompt: 'WRITE notes.txt draft', cwd: repo, worktree: true });
  const third = structured(srv, thirdRes, 'spawn_agent');
  assert.deepEqual(third.worktree.uncommitted, ['notes.txt']);
  // Clients that read only the text learn where the work is, too.
  assert.equal(resultText(thirdRes), `wrote notes.txt\n\nTask: ${third.task_id} (completed)\nLog file: ${third.log_file}\n` +
    `Worktree: ${third.worktree.path} (branch ${third.worktree.branch}): 0 commits, 1 file changed, 1 uncommitted`);
  assert.equal(third.cwd, third.worktree.path);

  // In the background: get_agent_status names it once it ended.
  const started = structured(srv, await srv.call('spawn_agent_async',
    { prompt: 'WRITE async.txt later', cwd: repo, worktree: true }), 'spawn_agent_async');
  const ended = await waitAgentEnded(srv, started.task_id);
  assert.equal(ended.status, 'completed', JSON.stringify(ended));
  assert.equal(ended.worktree.branch, `codex-mcp/${started.task_id.slice(0, 8)}`);
  assert.deepEqual(ended.worktree.uncommitted, ['async.txt']);

  // The command line: uncommitted work stays, however old, unless forced. A worktree's .git file
  // is the agent's to write: one pointing at a git dir of the agent's making, whose config would
  // run a command, is never followed. A directory no task names is left alone.
  const wt = third.worktree.path;
  const dotGit = fs.readFileSync(path.join(wt, '.git'), 'utf8');
  const marker = path.join(ctx.root, 'escaped');
  const evil = path.join(wt, 'evil');
  execFileSync('git', ['init', '-q', evil]);
  fs.writeFileSync(path.join(evil, 'f'), '');
  git(evil, 'add', 'f'); // an index: git status asks the fsmonitor about it
  git(evil, 'config', 'core.fsmonitor', `touch ${marker}; false`);
  fs.writeFileSync(path.join(wt, '.git'), `gitdir: ${path.join(evil, '.git')}\n`);
  const stray = path.join(ctx.stateDir, 'worktrees', 'stray');
  fs.mkdirSync(stray);
  const prune = (...args) => JSON.parse(execFileSync(serverBin(),
    ['worktrees', '--prune', '--state-dir', ctx.stateDir, ...args], { encoding: 'utf8' }));
  out = prune('--older-than', '0');
  assert.equal(out.worktrees.length, 3, JSON.stringify(out));
  assert.equal(byTask(out, started.task_id).action, 'kept');
  assert.equal(byTask(out, 'stray').action, 'kept');
  assert.equal(byTask(out, 'stray').reason, 'no task record names it as its worktree');
  const mine = byTask(out, third.task_id);
  assert.equal(mine.action, 'kept', JSON.stringify(out));
  assert.match(mine.reason, /uncommitted changes/);
  assert.equal(mine.branch, third.worktree.branch, 'the branch was read through the agent\'s .git file');
  assert.equal(fs.existsSync(marker), false, 'git ran a command of the agent\'s config');
  assert.equal(fs.readFileSync(path.join(wt, 'notes.txt'), 'utf8'), 'draft');
  fs.writeFileSync(path.join(wt, '.git'), dotGit); // as git made it: it checks the link before removing
  out = prune('--older-than', '0', '--force', '--dry-run');
  assert.equal(byTask(out, third.task_id).action, 'would remove');
  assert.equal(fs.existsSync(wt), true);
  out = prune('--older-than', '0', '--force');
  assert.equal(byTask(out, third.task_id).action, 'removed', JSON.stringify(out));
  assert.equal(byTask(out, third.task_id).branch_deleted, true);
  assert.equal(byTask(out, started.task_id).action, 'removed');
  assert.equal(fs.existsSync(wt), false);
  assert.equal(fs.existsSync(stray), true);
  assert.deepEqual(worktreeList(repo), { [repo]: 'main' });
  assert.equal(git(repo, 'branch', '--list', third.worktree.branch), '');
  assert.equal(fs.existsSync(marker), false);
  // The user's checkout has only what the user merged.
  assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=all'), '');
  assert.equal(fs.readFileSync(path.join(cwd, 'same.txt'), 'utf8'), 'written by agent 0');
});

test('cleanup_worktrees over HTTP: each token\'s subject sees and prunes only its own agents\' worktrees', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const tokens = { a: crypto.randomBytes(16).toString('hex'), b: crypto.randomBytes(16).toString('hex') };
  const file = path.join(ctx.root, 'tokens');
  fs.writeFileSync(file, `${tokens.a}\n${tokens.b}\n`, { mode: 0o600 });
  const srv = await startHttpServer(ctx, { args: ['--http-token-file', file] });
  const connect = async (token) => {
    const conn = await connectLegacyHttp(srv.url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    await conn.client.listTools();
    return (name, args) => conn.client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
  };
  const a = await connect(tokens.a), b = await connect(tokens.b);
  const repo = path.join(ctx.root, 'repo');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'start');

  const done = await a('spawn_agent', { prompt: 'WRITE a.txt mine', cwd: repo, worktree: true });
  assert.ok(!done.isError, resultText(done));
  const mine = done.structuredContent;
  const prune = { dry_run: false, older_than_days: 0, force: true };

  // Another subject: not even named, and left alone however hard it asks.
  const theirs = await b('cleanup_worktrees', prune);
  assert.deepEqual(theirs.structuredContent, { dry_run: false, removed_count: 0, worktrees: [] });
  assert.equal(fs.existsSync(path.join(mine.worktree.path, 'a.txt')), true);

  const own = await a('cleanup_worktrees', prune);
  assert.deepEqual(own.structuredContent.worktrees.map((w) => [w.task_id, w.action]), [[mine.task_id, 'removed']]);
  assert.deepEqual(worktreeList(repo), { [repo]: 'main' });
});

test('worktree: no hook of the repository runs in the server; no worktree of a worktree; prune deletes only its own branch', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const repo = path.join(ctx.root, 'repo');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'start');
  git(repo, 'branch', 'feature');
  // A hook an earlier agent could have written: git would run it on worktree add.
  const marker = path.join(ctx.root, 'hooked');
  fs.mkdirSync(path.join(repo, '.git', 'hooks'), { recursive: true });
  fs.writeFileSync(path.join(repo, '.git', 'hooks', 'post-checkout'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  const srv = await ctx.startServer();

  const res = await srv.call('spawn_agent', { prompt: 'WRITE a.txt mine', cwd: repo, worktree: true });
  assert.ok(!res.isError, resultText(res));
  const wt = structured(srv, res, 'spawn_agent').worktree;
  assert.equal(fs.existsSync(marker), false, 'the post-checkout hook ran in the server');

  const nested = await srv.call('spawn_agent', { prompt: 'WRITE b.txt no', cwd: wt.path, worktree: true });
  assert.equal(nested.isError, true, JSON.stringify(nested));
  assert.match(resultText(nested), /inside the agents' worktrees/);

  // The user's unmerged branch, checked out in the worktree: it stays, however forced.
  fs.rmSync(path.join(wt.path, 'a.txt'));
  git(wt.path, 'switch', '-q', 'feature');
  git(wt.path, 'commit', '-q', '--allow-empty', '-m', 'the user\'s work');
  const out = structured(srv, await srv.call('cleanup_worktrees', { dry_run: false, older_than_days: 0, force: true }),
    'cleanup_worktrees');
  const entry = out.worktrees[0];
  assert.equal(entry.action, 'removed', JSON.stringify(out));
  assert.equal(entry.branch, wt.branch);
  assert.equal(entry.branch_deleted, false);
  assert.match(entry.reason, /had feature checked out/);
  assert.equal(git(repo, 'log', '--format=%s', '-1', 'feature'), 'the user\'s work');
  assert.notEqual(git(repo, 'branch', '--list', wt.branch), '');
});
