// A quiet run is reported stalled (status, log notification, progress); a run past its
// timeout_seconds, or stalled past --kill-stalled-after, is killed and reads timed_out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BACKEND, createContext, structured, pollAgent, waitAgentEnded, resultText, listProcesses, codexBin } from './lib/harness.mjs';

const TIMEOUT = 120_000;

test('--stall-seconds 1: a quiet agent reads stalled, with a stall report and a log notification', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--stall-seconds', '1'] });
  await srv.client.setLoggingLevel('warning');

  const { task_id: id } = structured(srv, await srv.call('spawn_agent_async', { prompt: 'SLEEP 4000 quiet agent', cwd: ctx.workspace }), 'spawn');
  const st = await pollAgent(srv, id, (s) => s.stalled === true || s.status !== 'running', { what: 'the agent to stall' });
  assert.equal(st.status, 'running', `the agent ended before it was seen stalled: ${JSON.stringify(st)}`);
  assert.equal(st.stalled, true);
  const stall = st.stall;
  assert.ok(stall && typeof stall === 'object', `no stall object: ${JSON.stringify(st)}`);
  assert.equal(typeof stall.quiet_seconds, 'number');
  assert.ok(stall.quiet_seconds >= 1, `quiet_seconds ${stall.quiet_seconds}`);
  assert.ok(stall.process && typeof stall.process.state === 'string', `no process state: ${JSON.stringify(stall)}`);
  assert.notEqual(stall.process.state, 'gone');
  // The report is about Codex: the child of the run's pid (the keeper that waits on it), not
  // the keeper; over app-server, the app-server that runs the turn.
  assert.notEqual(stall.process.pid, st.pid, `the stall report describes the keeper: ${JSON.stringify(stall)}`);
  const codex = listProcesses().find((p) => p.pid === stall.process.pid);
  assert.ok(codex, `process ${stall.process.pid} of the stall report is gone: ${JSON.stringify(stall)}`);
  if (BACKEND === 'app-server') assert.ok(ctx.appServers().some((p) => p.pid === codex.pid), `the reported process is not the app-server: ${JSON.stringify(codex)}`);
  else assert.equal(codex.ppid, st.pid, `the reported process is not the keeper's child: ${JSON.stringify(codex)}`);
  assert.equal(codex.exe, fs.realpathSync(codexBin()), `the reported process is not Codex: ${JSON.stringify(codex)}`);

  // list_running_agents says so too.
  const list = structured(srv, await srv.call('list_running_agents', {}), 'list_running_agents');
  assert.equal(list.agents.find((a) => a.task_id === id)?.stalled, true, JSON.stringify(list));

  // The client was told (it asked for warnings).
  const logs = srv.notifications.filter((n) => n.method === 'notifications/message');
  const told = logs.find((n) => String(n.params.data).includes(id) && /stalled/.test(String(n.params.data)));
  assert.ok(told, `no log notification about the stall: ${JSON.stringify(logs)}`);
  assert.equal(told.params.level, 'warning');

  // It is not killed for stalling (no --kill-stalled-after): the answer comes, and it completes.
  const done = await waitAgentEnded(srv, id);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.output, 'echo: SLEEP 4000 quiet agent [user messages: 1]');
  assert.match(fs.readFileSync(done.log_file, 'utf8'), /stalled: no output for \d+s/);
});

test('--stall-seconds 1: a blocking spawn_agent sends a progress message starting "stalled"', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--stall-seconds', '1'] });
  const seen = [];
  const res = await srv.call('spawn_agent', { prompt: 'SLEEP 4000 blocking quiet agent', cwd: ctx.workspace },
    { onprogress: (p) => seen.push(p), resetTimeoutOnProgress: true });
  const st = structured(srv, res, 'spawn_agent');
  assert.equal(st.status, 'completed');
  const stalled = seen.filter((p) => typeof p.message === 'string' && p.message.startsWith('stalled'));
  assert.ok(stalled.length >= 1, `no progress message starting "stalled": ${JSON.stringify(seen.map((p) => p.message))}`);
  assert.match(stalled[0].message, /^stalled: no output for \d+s/);
});

test('timeout_seconds 1 ends a long agent timed_out and leaves no Codex process', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const started = Date.now();
  const { task_id: id } = structured(srv, await srv.call('spawn_agent_async',
    { prompt: 'SLEEP 30000 too slow', cwd: ctx.workspace, timeout_seconds: 1 }), 'spawn');
  const done = await waitAgentEnded(srv, id, { timeoutMs: 25_000 });
  assert.equal(done.status, 'timed_out', JSON.stringify(done));
  assert.ok(Date.now() - started < 25_000, 'the timeout did not stop the run early');
  assert.equal(done.error, 'timed out');
  assert.equal(done.output, undefined);
  assert.equal(done.report.status, 'timed_out');
  await ctx.assertNoCodexProcesses(10_000, 'after the timeout:');
  const log = fs.readFileSync(done.log_file, 'utf8');
  assert.match(log, /timed out after 1s/);
  assert.match(log, /ended: timed_out/);

  // The default --timeout of the server applies when timeout_seconds is not given.
  const srv2 = await ctx.startServer({ args: ['--timeout', '1'] });
  const { task_id: id2 } = structured(srv2, await srv2.call('spawn_agent_async', { prompt: 'SLEEP 30000 server timeout', cwd: ctx.workspace }), 'spawn 2');
  const done2 = await waitAgentEnded(srv2, id2, { timeoutMs: 25_000 });
  assert.equal(done2.status, 'timed_out', JSON.stringify(done2));
  await ctx.assertNoCodexProcesses(10_000, 'after the server timeout:');
});

test('--kill-stalled-after 1 kills a stalled agent: timed_out', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--stall-seconds', '1', '--kill-stalled-after', '1'] });
  const res = await srv.call('spawn_agent', { prompt: 'SLEEP 30000 stalls forever', cwd: ctx.workspace });
  assert.equal(res.isError, true, `a killed agent is an error: ${resultText(res)}`);
  const st = res.structuredContent;
  assert.equal(st.status, 'timed_out', JSON.stringify(st));
  assert.equal(st.error, 'killed after stalling');
  assert.match(resultText(res), /^Agent timed_out: killed after stalling/);
  await ctx.assertNoCodexProcesses(10_000, 'after the stall kill:');
  const log = fs.readFileSync(st.log_file, 'utf8');
  assert.match(log, /stalled: no output/);
  assert.match(log, /killed: stalled for \d+s/);
  const again = structured(srv, await srv.call('get_agent_status', { task_id: st.task_id }), 'status');
  assert.equal(again.status, 'timed_out');
});

test('a stalled agent that reaches its timeout (no --kill-stalled-after) reads "timed out", not killed for stalling', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--stall-seconds', '1'] });
  const { task_id: id } = structured(srv, await srv.call('spawn_agent_async',
    { prompt: 'SLEEP 30000 stalls, then times out', cwd: ctx.workspace, timeout_seconds: 4 }), 'spawn');
  const stalled = await pollAgent(srv, id, (s) => s.stalled === true || s.status !== 'running', { what: 'the agent to stall' });
  assert.equal(stalled.stalled, true, `it ended before it stalled: ${JSON.stringify(stalled)}`);
  const done = await waitAgentEnded(srv, id, { timeoutMs: 30_000 });
  assert.equal(done.status, 'timed_out', JSON.stringify(done));
  const log = fs.readFileSync(done.log_file, 'utf8');
  assert.match(log, /timed out after 4s/);
  assert.doesNotMatch(log, /killed: stalled/, 'the stall kill fired though --kill-stalled-after is 0');
  assert.equal(done.error, 'timed out', `the reason given: ${done.error}`);
  await ctx.assertNoCodexProcesses(10_000);
});
