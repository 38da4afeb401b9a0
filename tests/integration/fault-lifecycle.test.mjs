// The server's own end, mid-run: the client closes stdin (every child gone within 2 s, exit 0),
// or the server is SIGKILLed (its children die with it; after a restart on the same state dir
// every task reads failed, "server stopped", none lost). Uses the fake Codex: `hang` waits
// silently, `spawn N` leaves a `sleep N` grandchild in its group, `stubborn` ignores SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, structured, pollAgent, waitFor, PEER_MODE } from './lib/harness.mjs';
import { startRaw, initialize } from './lib/raw-client.mjs';
import { fakeCodex, sleepers, marker, isAlive, childrenOf } from './lib/fault.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'needs --codex-bin';

test('the client closes stdin mid-run: every child is gone within 2 s, and the server exits 0', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx, { codexBin: fakeCodex(), args: ['--max-agents', '4', '--kill-grace-ms', '5000'] });
  await initialize(srv);
  const m = marker();
  let id = 10;
  const call = (name, args, extra = {}) => srv.send({ id: ++id, method: 'tools/call', params: { name, arguments: { cwd: ctx.workspace, ...args }, ...extra } });
  await call('codex', { prompt: 'hang' });                                   // blocking, silent
  await call('spawn_agent', { prompt: `spawn ${m}` });                       // with a grandchild
  await call('spawn_agent_async', { prompt: `stubborn spawn ${m + 1}` });    // ignores SIGTERM
  await call('codex', { prompt: `stubborn spawn ${m + 2}` }, { task: { ttl: 60000 } }); // an MCP task
  await call('spawn_agent_async', { prompt: 'hang' });                       // queued (4 running)
  await waitFor(() => [m, m + 1, m + 2].every((x) => sleepers(x).length === 1), { what: 'the three sleep grandchildren' });
  await waitFor(() => childrenOf(srv.pid).length === 4, { what: 'four runs' });
  const children = childrenOf(srv.pid).map((p) => p.pid);
  const grandchildren = [m, m + 1, m + 2].flatMap((x) => sleepers(x).map((p) => p.pid));

  const closedAt = Date.now();
  srv.child.stdin.end();
  const exit = await Promise.race([srv.exited, new Promise((r) => setTimeout(r, 2000, null))]);
  assert.ok(exit, srv.diag('the server did not exit within 2 s of stdin EOF'));
  assert.equal(exit.signal, null, srv.diag(`killed by ${exit.signal}`));
  assert.equal(exit.code, 0, srv.diag(`exit code ${exit.code}`));
  assert.ok(exit.at - closedAt <= 2000, `exited after ${exit.at - closedAt} ms`);
  const left = [...children, ...grandchildren].filter(isAlive);
  assert.deepEqual(left, [], `alive ${Date.now() - closedAt} ms after EOF: ${left}`);
  await ctx.assertNoCodexProcesses(1000, 'after EOF:');
  // Every call that was waiting got an answer or the server said nothing more; stdout is clean.
  await srv.closed;
  srv.assertCleanStdout();
});

/** Starts runs of every kind under --max-agents 3 and SIGKILLs the server; returns what it had. */
async function killMidRun(t, ctx, m) {
  const srv1 = await ctx.startServer({ codexBin: fakeCodex(), args: ['--max-agents', '3'] });
  const ids = [];
  for (const prompt of ['hang', `spawn ${m}`, `stubborn spawn ${m + 1}`, 'ok', 'hang']) {
    ids.push(structured(srv1, await srv1.call('spawn_agent_async', { prompt, cwd: ctx.workspace }), 'spawn').task_id);
  }
  // A blocking call in flight too (its answer never comes: the server dies).
  srv1.client.callTool({ name: 'spawn_agent', arguments: { prompt: 'hang', cwd: ctx.workspace } }).catch(() => {});
  await waitFor(() => sleepers(m).length === 1 && sleepers(m + 1).length === 1, { what: 'the sleep grandchildren' });
  const running = [];
  for (const id of ids.slice(0, 3)) running.push((await pollAgent(srv1, id, (s) => s.status === 'running' && s.pid)).pid);
  const all = structured(srv1, await srv1.call('list_agent_tasks', { limit: 100 }), 'list before');
  assert.equal(all.total, ids.length + 1, JSON.stringify(all));
  const children = childrenOf(srv1.pid).map((p) => p.pid);
  const grandchildren = [m, m + 1].flatMap((x) => sleepers(x).map((p) => p.pid));
  t.after(() => { for (const pid of grandchildren) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });

  process.kill(srv1.pid, 'SIGKILL');
  await waitFor(() => srv1.exited, { timeoutMs: 10_000, what: 'the server to die' });
  assert.equal(srv1.exited.signal, 'SIGKILL');
  return { ids, all, running, children, grandchildren };
}

test('the server is SIGKILLed mid-run: Codex dies with it; after a restart every task reads failed, none lost', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const m = marker();
  const { ids, all, running, children } = await killMidRun(t, ctx, m);
  for (const pid of running) assert.ok(children.includes(pid), `Codex ${pid} is not a child of the server`);
  await waitFor(() => children.every((pid) => !isAlive(pid)), { timeoutMs: 5000, what: `Codex ${children} to die with the server` });

  const srv2 = await ctx.startServer({ codexBin: fakeCodex() });
  const list = structured(srv2, await srv2.call('list_agent_tasks', { limit: 100 }), 'list after restart');
  assert.equal(list.total, all.total, `tasks lost: ${JSON.stringify(list)}`);
  assert.equal(list.running, 0);
  assert.equal(list.queued, 0);
  assert.deepEqual(list.tasks.map((x) => x.task_id).sort(), all.tasks.map((x) => x.task_id).sort());
  // 'ok' may have completed before the kill; every other one was cut off.
  for (const x of list.tasks) {
    const st = structured(srv2, await srv2.call('get_agent_status', { task_id: x.task_id }), 'status');
    if (st.status === 'completed') {
      assert.equal(st.output, 'fake ok', JSON.stringify(st));
      continue;
    }
    assert.equal(st.status, 'failed', JSON.stringify(st));
    assert.equal(st.error, 'server stopped', JSON.stringify(st));
    assert.equal(st.pid, undefined);
  }
  assert.equal(list.failed + list.completed, list.total, JSON.stringify(list));
  assert.ok(list.failed >= ids.length, JSON.stringify(list));
  assert.equal(structured(srv2, await srv2.call('list_running_agents', {}), 'running').count, 0);
  const again = structured(srv2, await srv2.call('spawn_agent', { prompt: 'ok', cwd: ctx.workspace }), 'after restart');
  assert.equal(again.output, 'fake ok');
});

// Expected to fail while only Codex itself carries PR_SET_PDEATHSIG: what Codex started in
// its process group outlives a SIGKILLed server (a real Codex's sandboxed commands die with
// its bwrap PID namespace, but not those run without the sandbox, e.g. danger-full-access).
test('the server is SIGKILLed mid-run: what Codex started in its group dies too', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const m = marker();
  const { grandchildren } = await killMidRun(t, ctx, m);
  assert.equal(grandchildren.length, 2);
  try {
    await waitFor(() => grandchildren.every((pid) => !isAlive(pid)), { timeoutMs: 5000, what: 'the grandchildren to die' });
  } catch {
    assert.fail(`sleep ${m} / sleep ${m + 1} (pids ${grandchildren.filter(isAlive)}) outlived the SIGKILLed server by 5 s`);
  }
});

// Every MCP client starts its own server, and they share the default state dir. Expected to
// fail while start-up marks every "running" task of the database failed, "server stopped",
// including those another live server is running.
test('two servers on one state dir: starting the second does not fail the first one\'s running tasks', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv1 = await ctx.startServer({ codexBin: fakeCodex() });
  const { task_id: id } = structured(srv1, await srv1.call('spawn_agent_async', { prompt: 'delay 4000 ok', cwd: ctx.workspace }), 'spawn');
  await pollAgent(srv1, id, (s) => s.status === 'running' && s.pid);
  const srv2 = await ctx.startServer({ codexBin: fakeCodex() });
  const seen2 = structured(srv2, await srv2.call('get_agent_status', { task_id: id }), 'status from the second server');
  const seen1 = structured(srv1, await srv1.call('get_agent_status', { task_id: id }), 'status from the first server');
  assert.equal(seen1.status, 'running', JSON.stringify(seen1));
  assert.notEqual(seen2.status, 'failed', `the second server failed a task the first one is running: ${JSON.stringify(seen2)}`);
  const done = await pollAgent(srv2, id, (s) => s.status === 'completed', { what: 'the second server to see it complete' });
  assert.equal(done.output, 'fake ok');
});
