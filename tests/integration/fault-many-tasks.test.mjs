// 1,000 spawn_agent_async tasks under --max-agents 4: every one completes, none is lost
// (list_agent_tasks totals), and never more than 4 run at once (sampled from /proc and from
// list_running_agents). Uses the fake Codex (`delay 30 ok`: 30 ms, then a normal turn).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, structured, waitFor, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, childrenOf, vmHWM, mib, SANITIZED, startLean } from './lib/fault.mjs';

const TIMEOUT = 240_000;
const SKIP = PEER_MODE && 'needs --codex-bin';
const N = 1000;
const MAX = 4;

test(`${N} spawn_agent_async tasks with --max-agents ${MAX}: all completed, none lost, never more than ${MAX} at once`, { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ codexBin: fakeCodex(), args: ['--max-agents', String(MAX), '--log-level', 'warning'] });
  const t0 = Date.now();

  // /proc: the server's live children are its runs (each Codex is a direct child).
  let procMax = 0;
  let samples = 0;
  const sampler = setInterval(() => {
    procMax = Math.max(procMax, childrenOf(srv.pid).length);
    samples++;
  }, 5);
  t.after(() => clearInterval(sampler));

  // Submit them ten at a time; the server answers each at once, "running" or "queued".
  const spawned = [];
  for (let i = 0; i < N; i += 10) {
    spawned.push(...await Promise.all(Array.from({ length: 10 }, (_, k) =>
      srv.call('spawn_agent_async', { prompt: `delay 30 ok ${i + k}`, cwd: ctx.workspace }))));
  }
  const submitted = Date.now() - t0;
  const ids = spawned.map((r, i) => structured(srv, r, `spawn ${i}`).task_id);
  assert.equal(new Set(ids).size, N, 'task ids are not unique');
  const statuses = spawned.map((r) => r.structuredContent.status);
  assert.ok(statuses.every((s) => s === 'running' || s === 'queued' || s === 'completed'), JSON.stringify([...new Set(statuses)]));
  assert.ok(statuses.filter((s) => s === 'running').length <= MAX, `more than ${MAX} answered "running"`);

  // Meanwhile the server's own view: never more than MAX running.
  let listMax = 0;
  const final = await waitFor(async () => {
    const live = structured(srv, await srv.call('list_running_agents', {}), 'list_running_agents');
    listMax = Math.max(listMax, live.agents.filter((a) => a.status === 'running').length);
    const all = structured(srv, await srv.call('list_agent_tasks', { limit: 1 }), 'list_agent_tasks');
    return all.queued === 0 && all.running === 0 ? all : null;
  }, { timeoutMs: 200_000, intervalMs: 100, what: `all ${N} tasks to end` });
  clearInterval(sampler);
  const took = Date.now() - t0;
  console.log(`# ${N} tasks: submitted in ${submitted} ms, all ended in ${took} ms; at once: /proc max ${procMax} ` +
    `(${samples} samples), list_running_agents max ${listMax}; server VmHWM ${mib(vmHWM(srv.pid))}`);

  assert.equal(final.total, N, `tasks lost: ${JSON.stringify({ ...final, tasks: undefined })}`);
  assert.equal(final.completed, N, JSON.stringify({ ...final, tasks: undefined }));
  for (const k of ['failed', 'killed', 'timed_out', 'cancelled']) assert.equal(final[k], 0, `${k}: ${final[k]}`);
  const listed = structured(srv, await srv.call('list_agent_tasks', { limit: N + 10 }), 'list all');
  assert.deepEqual(listed.tasks.map((x) => x.task_id).sort(), [...ids].sort(), 'the listed tasks are not the submitted ones');
  assert.ok(listed.tasks.every((x) => x.status === 'completed'));
  assert.ok(procMax <= MAX, `${procMax} Codex processes at once`);
  assert.ok(listMax <= MAX, `${listMax} running at once per list_running_agents`);
  if (!SANITIZED) assert.equal(procMax, MAX, `the cap was never reached (max ${procMax}): the sampling saw nothing`);

  // A few outputs, and the server goes on.
  for (const id of [ids[0], ids[N / 2], ids[N - 1]]) {
    const st = structured(srv, await srv.call('get_agent_status', { task_id: id }), 'status');
    assert.equal(st.status, 'completed');
    assert.equal(st.output, 'fake ok');
  }
  const logs = structured(srv, await srv.call('list_agent_logs', { max_count: 5 }), 'list_agent_logs');
  assert.equal(logs.total, N);
  await srv.client.ping();
  await ctx.assertNoCodexProcesses(5000);
});

// Expected to fail while every queued task holds its agent log open: with the soft open-file
// limit most sessions get (1024), 1000 queued tasks use up the descriptors, and runs fail with
// "cannot start Codex: too many open files" (or run without a log).
test(`${N} spawn_agent_async tasks under "ulimit -n 1024": all completed`, { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const spec = ctx.serverCommand({ codexBin: fakeCodex(), args: ['--max-agents', String(MAX), '--log-level', 'warning'] });
  const srv = startLean(t, ctx, { command: 'sh', commandArgs: ['-c', 'ulimit -n 1024 && exec "$0" "$@"', spec.command, ...spec.args] });
  await srv.initialize();
  // All in one burst, as a client that fans out does: most of them wait in the queue.
  const spawned = await Promise.all(Array.from({ length: N }, (_, i) => srv.request('tools/call',
    { name: 'spawn_agent_async', arguments: { prompt: `delay 30 ok ${i}`, cwd: ctx.workspace } })));
  const refused = spawned.filter((a) => !a.result || a.result.isError);
  assert.deepEqual(refused.slice(0, 3), [], 'spawns refused');
  const final = await waitFor(async () => {
    const all = (await srv.request('tools/call', { name: 'list_agent_tasks', arguments: { limit: 1 } })).result.structuredContent;
    return all.queued === 0 && all.running === 0 ? all : null;
  }, { timeoutMs: 200_000, intervalMs: 200, what: `all ${N} tasks to end` });
  const failed = (await srv.request('tools/call', { name: 'list_agent_tasks', arguments: { status: 'failed', limit: 3 } })).result.structuredContent.tasks;
  const noLog = (srv.stderr.match(/runs without a log/g) || []).length;
  assert.equal(final.total, N);
  assert.equal(final.completed, N, `${final.failed} failed, e.g. ${JSON.stringify(failed.map((x) => x.error))}; ` +
    `${noLog} ran without a log`);
  assert.equal(noLog, 0, `${noLog} tasks ran without a log: ${srv.stderr.match(/runs without a log.*/)?.[0]}`);
  srv.child.stdin.end();
  assert.equal((await srv.exited).code, 0);
});
