// spawn_agents_parallel runs at most max_parallel agents at once and answers in order; the
// server's --max-agents cap queues further runs (FIFO).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, structured, waitAgentEnded, gatedScript, waitFor, resultText } from './lib/harness.mjs';
import { smartScript } from './lib/mock-model.mjs';

const TIMEOUT = 180_000;

/** The smart script, but SLEEP holds happen inside the script, counting how many overlap. */
function countingScript() {
  const c = { current: 0, max: 0, prompts: [] };
  c.script = async (body, index, { signal }) => {
    const reply = smartScript(body);
    if (!reply.delayMs) return reply;
    c.current++;
    c.max = Math.max(c.max, c.current);
    try {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, reply.delayMs);
        signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    } finally {
      c.current--;
    }
    return reply.items;
  };
  return c;
}

test('spawn_agents_parallel: four agents, max_parallel 2, never more than two at once, results in order', { timeout: TIMEOUT }, async (t) => {
  const counting = countingScript();
  const ctx = await createContext(t, { script: counting.script });
  // The server would allow four: max_parallel is what must hold them to two.
  const srv = await ctx.startServer({ args: ['--max-agents', '4'] });
  const prompts = [0, 1, 2, 3].map((i) => `SLEEP 3000 parallel agent ${i}`);

  const pending = srv.call('spawn_agents_parallel', {
    agents: prompts.map((prompt) => ({ prompt, cwd: ctx.workspace })),
    max_parallel: 2,
  }, { timeout: TIMEOUT });
  let done = false;
  pending.then(() => { done = true; }, () => { done = true; });

  // Watch list_running_agents while the call runs: at most two running, the rest queued.
  let maxRunning = 0;
  let sawQueued = false;
  const listings = [];
  while (!done) {
    const list = structured(srv, await srv.call('list_running_agents', {}), 'list_running_agents');
    const running = list.agents.filter((a) => a.status === 'running').length;
    listings.push(list.agents.map((a) => a.status).join(','));
    maxRunning = Math.max(maxRunning, running);
    sawQueued ||= list.agents.some((a) => a.status === 'queued');
    for (const a of list.agents) assert.equal(a.tool, 'spawn_agents_parallel');
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await pending;
  const { results } = structured(srv, res, 'spawn_agents_parallel');

  assert.ok(counting.max <= 2, `the model held ${counting.max} requests at once (max_parallel 2)`);
  assert.equal(counting.max, 2, 'two agents never ran at the same time (no parallelism at all)');
  assert.ok(maxRunning <= 2, `list_running_agents showed ${maxRunning} running at once; listings: ${listings.join(' | ')}`);
  assert.ok(sawQueued, `list_running_agents never showed a queued agent: ${listings.join(' | ')}`);
  assert.equal(ctx.model.requests.length, 4, 'one model request per agent');

  assert.ok(Array.isArray(results) && results.length === 4, `want 4 results, got ${JSON.stringify(results)}`);
  const ids = new Set();
  results.forEach((r, i) => {
    assert.equal(r.index, i, `results[${i}].index`);
    assert.match(r.task_id, /^[0-9a-f]{32}$/, `results[${i}].task_id`);
    ids.add(r.task_id);
    assert.equal(r.status, 'completed', `results[${i}]: ${JSON.stringify(r)}`);
    assert.equal(r.output, `echo: ${prompts[i]} [user messages: 1]`, `results[${i}].output out of order?`);
    assert.equal(typeof r.log_file, 'string');
    assert.ok(fs.existsSync(r.log_file), `results[${i}].log_file ${r.log_file} does not exist`);
    assert.equal(path.dirname(r.log_file), path.join(ctx.stateDir, 'logs'));
  });
  assert.equal(ids.size, 4, 'task ids must differ');
  // The text is the compact JSON of the results.
  assert.deepEqual(JSON.parse(res.content[0].text), results);

  // The tasks are in the store, completed, and none is left running.
  const list = structured(srv, await srv.call('list_agent_tasks', {}), 'list_agent_tasks');
  assert.equal(list.completed, 4);
  assert.deepEqual(new Set(list.tasks.map((x) => x.task_id)), ids);
  const running = structured(srv, await srv.call('list_running_agents', {}), 'list_running_agents');
  assert.equal(running.count, 0);
  await ctx.assertNoCodexProcesses(10_000);
});

test('--max-agents 1: a second spawn_agent_async waits queued until the first ends', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: ['--max-agents', '1'] });

  const first = structured(srv, await srv.call('spawn_agent_async', { prompt: 'GATE first agent', cwd: ctx.workspace }), 'first spawn');
  assert.equal(first.status, 'running', 'the first agent should start at once');
  const second = structured(srv, await srv.call('spawn_agent_async', { prompt: 'second agent', cwd: ctx.workspace }), 'second spawn');
  assert.equal(second.status, 'queued', `the second agent should be queued: ${JSON.stringify(second)}`);
  assert.match(second.task_id, /^[0-9a-f]{32}$/);

  // The first is held by the model; the second must still be waiting.
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the first agent to reach the model' });
  const st2 = structured(srv, await srv.call('get_agent_status', { task_id: second.task_id }), 'status of second');
  assert.equal(st2.status, 'queued');
  assert.equal(st2.pid, undefined, 'a queued agent has no pid');
  const list = structured(srv, await srv.call('list_running_agents', {}), 'list_running_agents');
  assert.deepEqual(list.agents.map((a) => [a.task_id, a.status]).sort(),
    [[first.task_id, 'running'], [second.task_id, 'queued']].sort());
  assert.equal(ctx.model.requests.length, 1, 'only the first agent may have talked to the model');

  gate.release();
  const end1 = await waitAgentEnded(srv, first.task_id, { timeoutMs: 60_000 });
  const end2 = await waitAgentEnded(srv, second.task_id, { timeoutMs: 60_000 });
  assert.equal(end1.status, 'completed', JSON.stringify(end1));
  assert.equal(end2.status, 'completed', JSON.stringify(end2));
  assert.equal(end1.output, 'echo: GATE first agent [user messages: 1]');
  assert.equal(end2.output, 'echo: second agent [user messages: 1]');
  // In order: the second started only once the first had ended.
  assert.ok(Date.parse(end2.started_at) >= Date.parse(end1.completed_at),
    `second started ${end2.started_at} before the first completed ${end1.completed_at}`);
  await ctx.assertNoCodexProcesses(10_000);
});

test('spawn_agents_parallel: a failing agent reports its error in its slot; the others complete', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const res = await srv.call('spawn_agents_parallel', {
    agents: [{ prompt: 'fine one', cwd: ctx.workspace }, { prompt: 'FAIL 503', cwd: ctx.workspace }, { prompt: 'fine two', cwd: ctx.workspace }],
  }, { timeout: TIMEOUT });
  const { results } = structured(srv, res, 'spawn_agents_parallel');
  assert.deepEqual(results.map((r) => [r.index, r.status]), [[0, 'completed'], [1, 'failed'], [2, 'completed']]);
  assert.equal(results[0].output, 'echo: fine one [user messages: 1]');
  assert.equal(results[2].output, 'echo: fine two [user messages: 1]');
  assert.equal(typeof results[1].error, 'string');
  assert.match(results[1].error, /503/);
  assert.equal(results[1].output, undefined);

  // An invalid agent is refused before any starts.
  const bad = await srv.call('spawn_agents_parallel', { agents: [{ prompt: 'ok', cwd: ctx.workspace }, { prompt: 'x', cwd: '/nonexistent/dir' }] });
  assert.equal(bad.isError, true);
  assert.match(resultText(bad), /^agents\[1\]\.cwd/);
  const empty = await srv.call('spawn_agents_parallel', { agents: [] });
  assert.equal(empty.isError, true);
  assert.equal(ctx.model.requests.length, 3, 'a refused call must start nothing');
});
