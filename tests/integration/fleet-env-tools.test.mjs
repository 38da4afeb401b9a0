// --env reaches Codex but its values never leave the server unmasked; --agent-cwd and
// CODEX_AGENT_CWD set where agents run; --tools chooses what tools/list offers and what may be
// called.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createContext, structured, waitAgentEnded, resultText } from './lib/harness.mjs';

const TIMEOUT = 120_000;
const SECRET = 's3cr3t-value-123';
const FLEET = ['spawn_agent', 'spawn_agent_async', 'get_agent_status', 'kill_agent', 'list_running_agents',
  'list_agent_tasks', 'spawn_agents_parallel', 'list_agent_logs', 'cleanup_old_logs',
  'cleanup_worktrees'];

/** The model saw the command's output: the value really was in Codex's environment. */
function modelSawSecret(ctx) {
  return ctx.model.requests.some((b) => (b.input || []).some((it) => it.type === 'function_call_output' &&
    JSON.stringify(it.output).includes(SECRET)));
}

function assertNoSecret(where, text) {
  assert.ok(!String(text).includes(SECRET), `the --env value leaks in ${where}: ${String(text).slice(0, 2000)}`);
}

test('--env reaches Codex; its value is masked in results, notifications and the agent log', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--env', `SECRET_X=${SECRET}`] });
  await srv.client.setLoggingLevel('debug');

  const seen = [];
  const res = await srv.call('spawn_agent', { prompt: 'RUN printenv SECRET_X', cwd: ctx.workspace }, { onprogress: (p) => seen.push(p) });
  const st = structured(srv, res, 'spawn_agent');
  assert.ok(modelSawSecret(ctx), 'SECRET_X was not in the environment of Codex\'s command');
  assert.equal(st.status, 'completed');
  assert.equal(st.output, 'ran: [redacted]');
  assert.ok(resultText(res).startsWith('ran: [redacted]\n'), resultText(res));
  assert.ok(seen.length > 0, 'no progress notifications');
  assert.equal(st.report.commands[0].exit_code, 0);

  // Parallel and async runs too.
  const par = structured(srv, await srv.call('spawn_agents_parallel', { agents: [{ prompt: 'RUN printenv SECRET_X', cwd: ctx.workspace }] },
    { onprogress: (p) => seen.push(p) }), 'spawn_agents_parallel');
  assert.equal(par.results[0].output, 'ran: [redacted]');
  const asy = structured(srv, await srv.call('spawn_agent_async', { prompt: 'RUN echo "value is $SECRET_X"', cwd: ctx.workspace }), 'spawn_agent_async');
  const asyDone = await waitAgentEnded(srv, asy.task_id);
  assert.equal(asyDone.output, 'ran: value is [redacted]');

  const results = [res, par, asyDone,
    await srv.call('get_agent_status', { task_id: st.task_id }),
    await srv.call('list_agent_tasks', {}),
    await srv.call('list_agent_logs', {})];
  results.forEach((r, i) => assertNoSecret(`result #${i}`, JSON.stringify(r)));
  assertNoSecret('notifications', JSON.stringify(srv.notifications));
  assertNoSecret('server stderr', srv.stderr);
  for (const log of [st.log_file, par.results[0].log_file, asy.log_file]) {
    const text = fs.readFileSync(log, 'utf8');
    assertNoSecret(`agent log ${log}`, text);
    assert.ok(text.includes('[redacted]'), `the agent log ${log} does not show the masked value:\n${text}`);
  }
});

test('--env values are masked in codex/event notifications too (--codex-events)', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--env', `SECRET_X=${SECRET}`, '--codex-events'] });
  const res = await srv.call('spawn_agent', { prompt: 'RUN printenv SECRET_X', cwd: ctx.workspace }, { onprogress: () => {} });
  const st = structured(srv, res, 'spawn_agent');
  assert.ok(modelSawSecret(ctx), 'SECRET_X was not in the environment of Codex\'s command');
  assert.equal(st.output, 'ran: [redacted]');
  const events = srv.notifications.filter((n) => n.method === 'codex/event');
  assert.ok(events.length > 0, 'no codex/event notifications with --codex-events');
  for (const ev of events) assertNoSecret(`codex/event ${ev.params?.type}`, JSON.stringify(ev));
});

test('--agent-cwd and CODEX_AGENT_CWD are the default cwd of agents (--agent-cwd first)', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const byFlag = path.join(ctx.root, 'agent-flag');
  const byEnv = path.join(ctx.root, 'agent-env');
  fs.mkdirSync(byFlag);
  fs.mkdirSync(byEnv);
  const cases = [
    { label: '--agent-cwd', opts: { args: ['--agent-cwd', byFlag] }, want: byFlag },
    { label: 'CODEX_AGENT_CWD', opts: { env: { CODEX_AGENT_CWD: byEnv } }, want: byEnv },
    { label: 'both', opts: { args: ['--agent-cwd', byFlag], env: { CODEX_AGENT_CWD: byEnv } }, want: byFlag },
  ];
  for (const [i, c] of cases.entries()) {
    const srv = await ctx.startServer(c.opts); // its own cwd is ctx.root
    const file = `written-${i}.txt`;
    const st = structured(srv, await srv.call('spawn_agent', { prompt: `WRITE ${file} by ${c.label}` }), `${c.label}: spawn_agent`);
    assert.equal(st.output, `wrote ${file}`, `${c.label}: ${JSON.stringify(st)}`);
    assert.equal(st.cwd, c.want, `${c.label}: cwd`);
    assert.equal(fs.readFileSync(path.join(c.want, file), 'utf8'), `by ${c.label}`);
    assert.ok(!fs.existsSync(path.join(ctx.root, file)), `${c.label}: the file landed in the server's cwd`);

    // spawn_agents_parallel and spawn_agent_async default to it as well.
    const par = structured(srv, await srv.call('spawn_agents_parallel', { agents: [{ prompt: `WRITE par-${file} p` }] }), `${c.label}: parallel`);
    assert.equal(par.results[0].status, 'completed', JSON.stringify(par));
    assert.ok(fs.existsSync(path.join(c.want, `par-${file}`)), `${c.label}: parallel write not in ${c.want}`);
    const asy = structured(srv, await srv.call('spawn_agent_async', { prompt: `WRITE async-${file} a` }), `${c.label}: async`);
    const done = await waitAgentEnded(srv, asy.task_id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.cwd, c.want);
    assert.ok(fs.existsSync(path.join(c.want, `async-${file}`)), `${c.label}: async write not in ${c.want}`);
    // An explicit cwd still wins.
    const own = structured(srv, await srv.call('spawn_agent', { prompt: `WRITE own-${file} o`, cwd: ctx.workspace }), `${c.label}: explicit cwd`);
    assert.equal(own.cwd, ctx.workspace);
    assert.ok(fs.existsSync(path.join(ctx.workspace, `own-${file}`)));
    await srv.close();
  }
});

async function toolNames(srv) {
  const { tools } = await srv.client.listTools();
  return tools.map((x) => x.name).sort();
}

async function assertUnknownTool(srv, name, args) {
  await assert.rejects(srv.client.callTool({ name, arguments: args }), (e) => {
    assert.equal(e.code, -32602, `calling hidden ${name}: ${e.message}`);
    assert.match(e.message, /unknown tool/);
    return true;
  });
}

test('--tools compat, fleet, a list, and all choose the tools offered; hidden ones are unknown', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);

  const compat = await ctx.startServer({ args: ['--tools', 'compat'] });
  assert.deepEqual(await toolNames(compat), ['codex', 'codex-reply']);
  await assertUnknownTool(compat, 'spawn_agent', { prompt: 'hidden', cwd: ctx.workspace });
  await assertUnknownTool(compat, 'list_agent_logs', {});
  await compat.close();

  const fleet = await ctx.startServer({ args: ['--tools', 'fleet'] });
  assert.deepEqual(await toolNames(fleet), [...FLEET].sort());
  await assertUnknownTool(fleet, 'codex', { prompt: 'hidden', cwd: ctx.workspace });
  await assertUnknownTool(fleet, 'codex-reply', { prompt: 'hidden', threadId: '00000000-0000-0000-0000-000000000000' });
  // A visible one works.
  const st = structured(fleet, await fleet.call('spawn_agent', { prompt: 'visible', cwd: ctx.workspace }), 'fleet spawn_agent');
  assert.equal(st.output, 'echo: visible [user messages: 1]');
  await fleet.close();

  const some = await ctx.startServer({ args: ['--tools', 'codex,kill_agent'] });
  assert.deepEqual(await toolNames(some), ['codex', 'kill_agent']);
  await assertUnknownTool(some, 'spawn_agent_async', { prompt: 'hidden', cwd: ctx.workspace });
  await assertUnknownTool(some, 'get_agent_status', { task_id: 'x' });
  const k = await some.call('kill_agent', { task_id: 'ffffffffffffffffffffffffffffffff' });
  assert.equal(k.isError, true, 'kill_agent is callable (and the id unknown)');
  await some.close();

  // all: both sets, and the steering tools beyond them.
  const everything = ['codex', 'codex-reply', ...FLEET, 'codex-steer', 'message_agent'].sort();
  const all = await ctx.startServer({ args: ['--tools', 'all'] });
  assert.deepEqual(await toolNames(all), everything);
  await all.close();
  const dflt = await ctx.startServer();
  assert.deepEqual(await toolNames(dflt), everything);
  // None of the hidden calls ran anything.
  assert.equal(ctx.model.requests.length, 1);
});

test('--tools bogus: the server exits non-zero and says why', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  for (const set of ['bogus', 'codex,bogus']) {
    const spec = ctx.serverCommand({ args: ['--tools', set] });
    const child = spawn(spec.command, spec.args, { env: spec.env, cwd: ctx.root, stdio: ['pipe', 'pipe', 'pipe'] });
    ctx.serverPids.add(child.pid);
    t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d) => { stdout += d; });
    const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    assert.equal(signal, null, `--tools ${set}: killed by ${signal}`);
    assert.ok(code !== 0, `--tools ${set}: exit code ${code}`);
    assert.match(stderr, /--tools/, `--tools ${set}: stderr: ${stderr}`);
    assert.match(stderr, /bogus/, `--tools ${set}: stderr: ${stderr}`);
    assert.equal(stdout, '', 'nothing on stdout');
  }
});
