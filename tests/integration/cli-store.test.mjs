// codex-mcp tasks, show and logs, against a store a real Codex run filled: what they print for
// a person, what --json gives (the same as the MCP tools), and -f / --watch following live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, gatedScript, structured, waitFor } from './lib/harness.mjs';
import { execCommand, lastUserPrompt, message, smartScript } from './lib/mock-model.mjs';
import { runCli, startCli } from './lib/cli.mjs';
import { startPostgres } from './lib/pg.mjs';

const TIMEOUT = 180_000;

/** The environment and store options the server of ctx has. */
function cliSetup(ctx) {
  const { env } = ctx.serverCommand();
  return { env: { ...env, COLUMNS: '80' }, store: ['--state-dir', ctx.stateDir] };
}

// "PATCH <file> <text>": Codex applies a patch adding <file>, which it reports as a file change;
// everything else as the smart script.
function patchScript(body, index, ctx) {
  const words = lastUserPrompt(body).trim().split(/\s+/);
  const last = body?.input?.at(-1);
  if (words[0] !== 'PATCH') return smartScript(body, index, ctx);
  if (last?.type === 'function_call_output') return [message(`patched ${words[1]}`)];
  return [execCommand(`apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: ${words[1]}\n+${words.slice(2).join(' ')}\n*** End Patch\nEOF\n`)];
}

async function cli(t, ctx, args) {
  const { env, store } = cliSetup(ctx);
  const r = await runCli(t, [...args, ...store], { env });
  assert.equal(r.code, 0, `codex-mcp ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

test('tasks, show and logs read what a real run stored: for a person, and as the tools give it', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t, { script: patchScript });
  const srv = await ctx.startServer();
  const call = await srv.call('codex', { prompt: 'PATCH hello.txt hi there', cwd: ctx.workspace, sandbox: 'workspace-write' });
  assert.ok(!call.isError, JSON.stringify(call));
  const agent = structured(srv, await srv.call('spawn_agent', { prompt: 'RUN echo from-the-agent', cwd: ctx.workspace }));
  assert.equal(agent.status, 'completed');
  const failedCall = await srv.call('spawn_agent', { prompt: 'FAIL 503', cwd: ctx.workspace });
  assert.ok(failedCall.isError, JSON.stringify(failedCall));
  const failed = failedCall.structuredContent;
  assert.equal(failed.status, 'failed');

  // --json is list_agent_tasks's answer.
  const listed = structured(srv, await srv.call('list_agent_tasks', {}));
  const json = JSON.parse(await cli(t, ctx, ['tasks', '--json']));
  assert.equal(json.total, 3);
  assert.equal(json.completed, 2);
  assert.equal(json.failed, 1);
  assert.deepEqual(json.tasks.map((x) => [x.task_id, x.status, x.tool]), listed.tasks.map((x) => [x.task_id, x.status, x.tool]));
  assert.deepEqual({ ...json, tasks: null }, { ...listed, tasks: null });
  assert.deepEqual(json.tasks, listed.tasks, 'an ended task reads the same through the tool and the command');
  const codexTask = json.tasks.find((x) => x.tool === 'codex');
  assert.ok(codexTask, JSON.stringify(json.tasks));

  // For a person: one line a task, newest first, cut to the terminal's 80 columns.
  const human = await cli(t, ctx, ['tasks']);
  const lines = human.trimEnd().split('\n');
  assert.match(lines[0], /^TASK +STATUS +STARTED +ELAPSED +TOOL/);
  assert.equal(lines.length, 1 + 3 + 1, human);
  for (const l of lines) assert.ok([...l].length <= 80, `wider than 80 columns: ${l}`);
  assert.deepEqual(lines.slice(1, 4).map((l) => l.split(/ +/).slice(0, 2)), listed.tasks.map((x) => [x.task_id, x.status]));
  assert.match(lines[1], /failed/);
  assert.match(lines.at(-1), /^3 task\(s\): 2 completed, 1 failed$/);
  const onlyFailed = await cli(t, ctx, ['tasks', '--status', 'failed']);
  assert.equal(onlyFailed.trimEnd().split('\n').length, 3, onlyFailed);
  assert.match(onlyFailed, new RegExp(failed.task_id));
  const limited = await cli(t, ctx, ['tasks', '--limit', '1']);
  assert.match(limited, /the newest 1 shown; --limit N/);

  // show: get_agent_status's answer with --json; the status, report, output and files for a person.
  const status = structured(srv, await srv.call('get_agent_status', { task_id: codexTask.task_id }));
  const shown = JSON.parse(await cli(t, ctx, ['show', codexTask.task_id, '--json']));
  assert.deepEqual(shown, status);
  const text = await cli(t, ctx, ['show', codexTask.task_id]);
  assert.match(text, new RegExp(`^Task: +${codexTask.task_id}$`, 'm'));
  assert.match(text, /^Status: +completed$/m);
  assert.match(text, /^Tool: +codex$/m);
  assert.match(text, new RegExp(`^Files changed:\n {2}${path.join(ctx.workspace, 'hello.txt').replace(/[.]/g, '\\.')}$`, 'm'));
  assert.match(text, /^Output:\npatched hello\.txt$/m);
  const agentText = await cli(t, ctx, ['show', agent.task_id]);
  assert.match(agentText, /^Commands:\n {2}✔ .*echo from-the-agent.* \(exit 0\)\nFiles changed: none$/m);
  assert.match(agentText, /^Output:\nran: from-the-agent$/m);
  const failedText = await cli(t, ctx, ['show', failed.task_id]);
  assert.match(failedText, /^Status: +failed$/m);
  assert.match(failedText, /^Error: +\S/m);

  // logs: the agent's log file as it is.
  const log = await cli(t, ctx, ['logs', agent.task_id]);
  assert.equal(log, fs.readFileSync(agent.log_file, 'utf8'));
  assert.match(log, /running: echo from-the-agent/);

  // Mistakes are said, with a non-zero exit.
  const { env, store } = cliSetup(ctx);
  const missing = await runCli(t, ['show', 'f'.repeat(32), ...store], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such task/);
  const noStore = await runCli(t, ['tasks', '--state-dir', path.join(ctx.root, 'nothing')], { env });
  assert.equal(noStore.code, 1);
  assert.match(noStore.stderr, /no database at .*nothing\/codex-mcp\.db/);
  assert.ok(!fs.existsSync(path.join(ctx.root, 'nothing')), 'looking made a state directory');
  const badStatus = await runCli(t, ['tasks', '--status', 'sleeping', ...store], { env });
  assert.equal(badStatus.code, 2);
  assert.match(badStatus.stderr, /"sleeping" is not a status/);
});

// "ESCAPES": an answer with escapes that would set the clipboard (OSC 52) and clear the screen.
const ESCAPES = 'copied\x1b]52;c;aGk=\x07 cleared\x1b[2J\u009b2J end';
function escapeScript(body, index, ctx) {
  if (lastUserPrompt(body).includes('ESCAPES')) return [message(ESCAPES)];
  return smartScript(body, index, ctx);
}

test('show gives the worktree; tasks, show and logs show a model\'s escapes instead of obeying them', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t, { script: escapeScript });
  const repo = path.join(ctx.root, 'repo');
  fs.mkdirSync(repo);
  const git = (...args) => execFileSync('git', ['-C', repo, '-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args]);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  fs.writeFileSync(path.join(repo, 'keep.txt'), 'kept\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'start');
  const srv = await ctx.startServer();
  const inTree = structured(srv, await srv.call('spawn_agent', { prompt: 'WRITE made.txt hi', cwd: repo, worktree: true }));
  assert.equal(inTree.status, 'completed', JSON.stringify(inTree));
  const escapes = structured(srv, await srv.call('spawn_agent', { prompt: 'ESCAPES', cwd: ctx.workspace }));
  assert.equal(escapes.status, 'completed', JSON.stringify(escapes));

  const status = structured(srv, await srv.call('get_agent_status', { task_id: inTree.task_id }));
  const wt = status.worktree;
  const text = await cli(t, ctx, ['show', inTree.task_id]);
  assert.ok(text.includes(`\nWorktree:  ${wt.path}\n  Branch:  ${wt.branch} (from ${wt.base_commit})\n`), text);
  assert.match(text, /^ {2}Files changed:\n {4}made\.txt$/m);
  assert.match(text, /^ {2}Uncommitted:\n {4}made\.txt$/m);

  // --json stays exact; the rest shows each control as ^X, a C1 control as U+FFFD.
  const shownJson = JSON.parse(await cli(t, ctx, ['show', escapes.task_id, '--json']));
  assert.equal(shownJson.output, ESCAPES);
  const shown = await cli(t, ctx, ['show', escapes.task_id]);
  assert.match(shown, /^Output:\ncopied\^\[\]52;c;aGk=\^G cleared\^\[\[2J\ufffd2J end$/m);
  const listed = await cli(t, ctx, ['tasks']);
  const log = await cli(t, ctx, ['logs', escapes.task_id]);
  assert.ok(fs.readFileSync(escapes.log_file, 'utf8').includes('\x1b]52'), 'the log file keeps what the model wrote');
  assert.match(log, /\^\[\]52;c;aGk=\^G/);
  for (const out of [shown, listed, log]) assert.doesNotMatch(out, /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/, out);
});

test('logs -f prints lines as the task writes them and ends with it; tasks --watch shows it change', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer();
  const started = structured(srv, await srv.call('spawn_agent_async', { prompt: 'GATE after-the-gate', cwd: ctx.workspace }));
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the model to hold the turn' });

  const { env, store } = cliSetup(ctx);
  const follow = startCli(t, ['logs', started.task_id, '-f', ...store], { env });
  const watch = startCli(t, ['tasks', '--watch', '--json', ...store], { env });
  await follow.waitOut(/ started( \(pid \d+\))? in /, 'the log so far');
  await watch.waitOut(/\n/, 'the first listing');
  const first = JSON.parse(watch.out().split('\n')[0]);
  assert.equal(first.tasks[0].task_id, started.task_id);
  assert.equal(first.tasks[0].status, 'running');
  assert.doesNotMatch(follow.out(), /after-the-gate|ended:/, 'the log had lines from after the gate before it opened');
  assert.equal(follow.child.exitCode, null, 'logs -f ended while the task ran');

  gate.release();
  await follow.waitOut(/message: echo: GATE after-the-gate/, 'the answer, once the gate opened');
  const done = await follow.exited;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /ended: completed.*\n$/, 'logs -f ends with the task');
  assert.equal(done.stdout, fs.readFileSync(started.log_file, 'utf8'), 'logs -f printed the whole log, once');

  await watch.waitOut(/"status":"completed"/, 'the listing to show the task completed');
  const last = JSON.parse(watch.out().trimEnd().split('\n').at(-1));
  assert.equal(last.tasks[0].status, 'completed');
  assert.equal(last.completed, 1);
  watch.child.kill('SIGINT');
  const stopped = await watch.exited;
  assert.equal(stopped.signal, 'SIGINT');
});

test('logs -f ends, exit 1, when the server running the task dies and its record says running', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  // The mock holds the turn for a minute: the run is in progress when the server dies.
  const started = structured(srv, await srv.call('spawn_agent_async', { prompt: 'SLEEP 60000 cut off', cwd: ctx.workspace }));
  await ctx.model.waitForRequests(1, 30_000);
  const { env, store } = cliSetup(ctx);
  const follow = startCli(t, ['logs', started.task_id, '-f', ...store], { env });
  await follow.waitOut(/ started( \(pid \d+\))? in /, 'the log so far');

  process.kill(srv.pid, 'SIGKILL');
  const done = await follow.exited;
  assert.equal(done.code, 1, done.stderr);
  assert.match(done.stderr, /the server running it is gone; its record still says running/);
  assert.match(done.stdout, / started( \(pid \d+\))? in /);
  // Started after the server died, it ends at once the same way.
  const late = await runCli(t, ['logs', started.task_id, '-f', ...store], { env });
  assert.equal(late.code, 1, late.stderr);
  assert.match(late.stderr, /the server running it is gone/);
});

// "MANY": ten commands, each logged as a line of some 240 bytes when it starts and when it ends;
// then the answer "done".
function manyScript(body, index, ctx) {
  if (!lastUserPrompt(body).includes('MANY')) return smartScript(body, index, ctx);
  if (body?.input?.at(-1)?.type === 'function_call_output') return [message('done')];
  return Array.from({ length: 10 }, (_, i) => execCommand(`echo ${String(i).repeat(230)}`));
}

test('logs -f follows a log across its rotation, printing each line once', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript(manyScript);
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: ['--log-max-bytes', '4096'] });
  const started = structured(srv, await srv.call('spawn_agent_async', { prompt: 'GATE MANY', cwd: ctx.workspace }));
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the model to hold the turn' });
  const { env, store } = cliSetup(ctx);
  const follow = startCli(t, ['logs', started.task_id, '-f', ...store], { env });
  await follow.waitOut(/ started thread /, 'the log so far');
  assert.ok(!fs.existsSync(`${started.log_file}.1`), 'rotated before the commands ran');

  gate.release();
  const done = await follow.exited;
  assert.equal(done.code, 0, done.stderr);
  const older = fs.readFileSync(`${started.log_file}.1`, 'utf8');
  const newer = fs.readFileSync(started.log_file, 'utf8');
  assert.match(older, / started thread /);
  assert.match(newer, /ended: completed/);
  assert.equal(done.stdout, older + newer, 'logs -f printed both parts, in order, once');
});

test('a PostgreSQL store: tasks and show read it; doctor names it without its password', { timeout: TIMEOUT }, async (t) => {
  const pg = await startPostgres(t);
  pg.database('codex');
  // The cluster trusts loopback: the password is never checked, only kept out of sight.
  const store = pg.urlOf('codex').replace('postgresql://postgres@', 'postgresql://postgres:pg-pw-never-shown@');
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--store', store] });
  const call = await srv.call('codex', { prompt: 'hello from postgres', cwd: ctx.workspace });
  assert.ok(!call.isError, JSON.stringify(call));

  const { env } = cliSetup(ctx);
  const listed = await runCli(t, ['tasks', '--json', '--store', store], { env });
  assert.equal(listed.code, 0, listed.stderr);
  const json = JSON.parse(listed.stdout);
  assert.equal(json.total, 1);
  assert.equal(json.tasks[0].tool, 'codex');
  assert.equal(json.tasks[0].status, 'completed');
  const shown = await runCli(t, ['show', json.tasks[0].task_id, '--store', store], { env });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^Output:\necho: hello from postgres/m);

  const doctor = await runCli(t, ['doctor', ...ctx.serverCommand().args, '--store', store], { env });
  assert.match(doctor.stdout, /^✔ database: postgresql:\/\/postgres:\[redacted\]@127\.0\.0\.1:\d+\/codex \(postgresql\) opens$/m);
  const down = await runCli(t, ['doctor', ...ctx.serverCommand().args, '--store', 'postgresql://codex:pg-pw-never-shown@127.0.0.1:1/codex'], { env });
  assert.equal(down.code, 1);
  assert.match(down.stdout, /^✘ database: /m);
  for (const r of [listed, shown, doctor, down]) {
    assert.ok(!(r.stdout + r.stderr).includes('pg-pw-never-shown'), `the password was printed:\n${r.stdout}${r.stderr}`);
  }
});
