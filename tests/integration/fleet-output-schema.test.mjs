// Every tool carries MCP annotations; every fleet tool declares an outputSchema, and what each
// fleet tool really answers (running, queued, stalled, killed, failed, paged, ...) validates
// against it. Clients such as the SDK's refuse a structuredContent their outputSchema rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { BACKEND, createContext, structured, pollAgent, waitAgentEnded, gatedScript, waitFor } from './lib/harness.mjs';
import { smartScript, execCommand, message, lastUserPrompt } from './lib/mock-model.mjs';

const TIMEOUT = 180_000;
const FLEET = ['spawn_agent', 'spawn_agent_async', 'get_agent_status', 'kill_agent', 'list_running_agents',
  'list_agent_tasks', 'spawn_agents_parallel', 'list_agent_logs', 'cleanup_old_logs',
  'cleanup_worktrees'];
const STEER = ['codex-steer', 'message_agent']; // in "all", beyond the two sets
const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'];

// "PATCH <file> <text>": Codex applies a patch adding <file> (a file change in the report).
function patchScript(body, index, ctx) {
  const words = lastUserPrompt(body).trim().split(/\s+/);
  const input = body?.input || [];
  if (words[0] !== 'PATCH') return smartScript(body, index, ctx);
  if (input[input.length - 1]?.type === 'function_call_output') return [message(`patched ${words[1]}`)];
  return [execCommand(`apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: ${words[1]}\n+${words.slice(2).join(' ')}\n*** End Patch\nEOF\n`)];
}

test('tools/list: every tool has annotations, every fleet tool an outputSchema', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--tools', 'all'] });
  const { tools } = await srv.client.listTools();
  assert.deepEqual(tools.map((x) => x.name).sort(), ['codex', 'codex-reply', ...FLEET, ...STEER].sort());
  for (const tool of tools) {
    const a = tool.annotations;
    assert.ok(a && typeof a === 'object', `${tool.name} has no annotations`);
    assert.equal(a.title, tool.title, `${tool.name}: annotations.title`);
    for (const h of HINTS) assert.equal(typeof a[h], 'boolean', `${tool.name}: ${h} is not set`);
    if (a.readOnlyHint) assert.equal(a.destructiveHint, false, `${tool.name}: read-only yet destructive`);
  }
  const hints = Object.fromEntries(tools.map((x) => [x.name, HINTS.map((h) => x.annotations[h])]));
  // [readOnly, destructive, idempotent, openWorld]
  for (const name of ['codex', 'codex-reply', 'spawn_agent', 'spawn_agent_async', 'spawn_agents_parallel']) {
    assert.deepEqual(hints[name], [false, true, false, true], name);
  }
  for (const name of ['get_agent_status', 'list_running_agents', 'list_agent_tasks', 'list_agent_logs']) {
    assert.deepEqual(hints[name], [true, false, true, false], name);
  }
  for (const name of ['kill_agent', 'cleanup_old_logs', 'cleanup_worktrees']) assert.deepEqual(hints[name], [false, true, true, false], name);
  for (const name of STEER) assert.deepEqual(hints[name], [false, false, false, false], name);

  // The schemas are sound JSON Schema: no unknown keyword, every required property declared.
  const ajv = addFormats(new Ajv({ strict: true, strictRequired: true, allowUnionTypes: true }));
  for (const tool of tools.filter((x) => FLEET.includes(x.name) || STEER.includes(x.name))) {
    assert.equal(tool.outputSchema?.type, 'object', `${tool.name}: outputSchema ${JSON.stringify(tool.outputSchema)}`);
    assert.doesNotThrow(() => ajv.compile(tool.outputSchema), `${tool.name}: outputSchema does not compile`);
  }
});

test('what every fleet tool answers validates against its outputSchema', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript(patchScript);
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: ['--max-agents', '2', '--stall-seconds', '1'] });
  const { tools } = await srv.client.listTools(); // the SDK client checks every call from here on, too
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  const validators = Object.fromEntries(tools.filter((x) => x.outputSchema).map((x) => [x.name, ajv.compile(x.outputSchema)]));
  const checked = Object.fromEntries(FLEET.map((name) => [name, 0]));

  /** The structuredContent of a call, validated against the tool's outputSchema. */
  const call = async (name, args, { isError = false } = {}) => {
    const res = await srv.call(name, args);
    let sc;
    if (isError) {
      // spawn_agent's report of a failed run: not checked by clients, but of the same shape.
      assert.equal(res.isError, true, `${name}: expected isError: ${JSON.stringify(res)}`);
      sc = res.structuredContent;
    } else {
      sc = structured(srv, res, name);
      checked[name]++;
    }
    const valid = validators[name](sc);
    assert.ok(valid, `${name}(${JSON.stringify(args)}) does not match its outputSchema: ` +
      `${ajv.errorsText(validators[name].errors)}\n${JSON.stringify(sc, null, 1)}`);
    return sc;
  };

  // Two agents held at the model (the server's limit), a third queued behind them.
  const a = await call('spawn_agent_async', { prompt: 'GATE first', cwd: ctx.workspace });
  const b = await call('spawn_agent_async', { prompt: 'GATE second', cwd: ctx.workspace });
  const c = await call('spawn_agent_async', { prompt: 'queued third', cwd: ctx.workspace });
  assert.equal(c.status, 'queued');
  await waitFor(() => gate.held() === 2, { timeoutMs: 45_000, what: 'two agents at the model' });

  // Running and stalled (quiet for a second): pid, stalled and the stall report.
  const stalled = await pollAgent(srv, a.task_id, (s) => s.stalled === true, { what: 'the first agent to stall' });
  // A turn in app-server has no pid of its own.
  assert.ok(stalled.stall && (BACKEND === 'app-server' || typeof stalled.pid === 'number'), JSON.stringify(stalled));
  assert.ok(validators.get_agent_status(stalled), ajv.errorsText(validators.get_agent_status.errors));
  await call('get_agent_status', { task_id: a.task_id });
  const queued = await call('get_agent_status', { task_id: c.task_id });
  assert.equal(queued.started_at, null);
  const running = await call('list_running_agents', {});
  assert.equal(running.count, 3);
  assert.ok(running.agents.some((x) => x.pid === null), JSON.stringify(running));
  await call('list_agent_tasks', {});

  // Killed while queued (no signal), while running (a signal), and once ended (not killed).
  const killedQueued = await call('kill_agent', { task_id: c.task_id });
  assert.equal(killedQueued.signal_used, null);
  const killedRunning = await call('kill_agent', { task_id: b.task_id });
  assert.equal(killedRunning.killed, true);
  gate.release();
  const done = await waitAgentEnded(srv, a.task_id);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.ok(validators.get_agent_status(done), ajv.errorsText(validators.get_agent_status.errors));
  const again = await call('kill_agent', { task_id: a.task_id });
  assert.equal(again.killed, false);
  for (const id of [a.task_id, b.task_id, c.task_id]) await call('get_agent_status', { task_id: id });

  // Blocking runs: commands, a file change, a failure.
  const ran = await call('spawn_agent', { prompt: 'RUN exit 3', cwd: ctx.workspace });
  assert.equal(ran.report.commands[0].exit_code, 3);
  const patched = await call('spawn_agent', { prompt: 'PATCH patched.txt hello', cwd: ctx.workspace });
  assert.equal(patched.report.files_changed.length, 1, JSON.stringify(patched.report));
  const failed = await call('spawn_agent', { prompt: 'FAIL 503', cwd: ctx.workspace }, { isError: true });
  assert.equal(failed.status, 'failed');

  // Output paged: next_offset.
  const long = await call('spawn_agent', { prompt: `long ${'word '.repeat(100)}`, cwd: ctx.workspace });
  const page = await call('get_agent_status', { task_id: long.task_id, offset: 10, limit: 20 });
  assert.equal(page.next_offset, 30);

  // In parallel: one completes, one fails.
  const par = await call('spawn_agents_parallel', {
    agents: [{ prompt: 'parallel one', cwd: ctx.workspace }, { prompt: 'FAIL 503', cwd: ctx.workspace }],
  });
  assert.deepEqual(par.results.map((r) => r.status), ['completed', 'failed']);

  await call('list_running_agents', {});
  await call('list_agent_tasks', { status: 'completed', limit: 2 });
  await call('list_agent_tasks', {});

  // Logs: listed; an old one found by a dry run, then deleted.
  const logs = await call('list_agent_logs', {});
  assert.ok(logs.logs.length >= 5, JSON.stringify(logs));
  await call('list_agent_logs', { max_count: 1 });
  const old = Date.now() / 1000 - 30 * 86400;
  fs.utimesSync(logs.logs.at(-1).path, old, old);
  const dry = await call('cleanup_old_logs', {});
  assert.deepEqual(dry.files, [logs.logs.at(-1).path]);
  const cleaned = await call('cleanup_old_logs', { days: 1, dry_run: false });
  assert.equal(cleaned.deleted_count, 1);
  assert.equal(fs.existsSync(logs.logs.at(-1).path), false);
  assert.equal(path.dirname(cleaned.files[0]), logs.log_dir);

  // No worktree was asked for: nothing to clean (fleet-worktree.test.mjs checks real ones).
  const worktrees = await call('cleanup_worktrees', {});
  assert.deepEqual(worktrees, { dry_run: true, removed_count: 0, worktrees: [] });

  for (const name of FLEET) assert.ok(checked[name] > 0, `${name} was not checked`);
  await ctx.assertNoCodexProcesses(10_000);
});
