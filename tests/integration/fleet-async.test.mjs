// spawn_agent_async returns at once; get_agent_status follows the run and pages its output;
// spawn_agent (blocking) returns the final message and a full report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BACKEND, createContext, structured, pollAgent, waitAgentEnded, gatedScript, resultText, waitFor } from './lib/harness.mjs';

const EXIT_OK = BACKEND === 'app-server' ? undefined : 0;
import { smartScript, execCommand, message, lastUserPrompt } from './lib/mock-model.mjs';

const TIMEOUT = 120_000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('spawn_agent_async returns at once; get_agent_status is polled to completion', { timeout: TIMEOUT }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer();

  // The model holds the turn until release(): the answer cannot have waited for the run.
  const res = await srv.call('spawn_agent_async', { prompt: 'GATE async agent', cwd: ctx.workspace });
  const started = structured(srv, res, 'spawn_agent_async');
  assert.deepEqual(Object.keys(started).sort(), ['log_file', 'started_at', 'status', 'task_id']);
  assert.match(started.task_id, /^[0-9a-f]{32}$/);
  assert.ok(['running', 'queued'].includes(started.status), `status ${started.status}`);
  assert.match(started.started_at, ISO);
  assert.ok(Math.abs(Date.parse(started.started_at) - Date.now()) < 60_000, `started_at ${started.started_at} is not now`);
  assert.equal(path.dirname(started.log_file), path.join(ctx.stateDir, 'logs'));
  assert.ok(fs.existsSync(started.log_file), 'the log file exists from the start');
  assert.deepEqual(JSON.parse(res.content[0].text), started, 'text is the JSON of structuredContent');

  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the agent to reach the model' });
  const running = await pollAgent(srv, started.task_id, (s) => s.status === 'running');
  assert.equal(running.task_id, started.task_id);
  assert.equal(running.tool, 'spawn_agent_async');
  if (BACKEND === 'app-server') {
    // Its turn runs in the one app-server: no process is the agent's own.
    assert.equal(running.pid, undefined, `an app-server turn reports no pid: ${JSON.stringify(running)}`);
    assert.ok(ctx.turnRunning(), 'no running turn seen');
  } else {
    assert.equal(typeof running.pid, 'number', `a running agent has a pid: ${JSON.stringify(running)}`);
    assert.ok(ctx.codexProcesses().some((p) => p.pid === running.pid), `pid ${running.pid} is not a Codex process of this test`);
  }
  assert.equal(running.stalled, false);
  assert.equal(running.output, undefined, 'no output before the agent answers');
  assert.equal(running.cwd, ctx.workspace);

  gate.release();
  const done = await waitAgentEnded(srv, started.task_id);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.output, 'echo: GATE async agent [user messages: 1]');
  assert.equal(done.output_chars, done.output.length);
  assert.equal(done.next_offset, undefined);
  assert.match(done.completed_at, ISO);
  assert.equal(done.pid, undefined, 'an ended agent has no pid');
  // exit_code is Codex's own exit, which a turn in app-server does not have.
  assert.equal(done.report.exit_code, EXIT_OK);
  assert.equal(typeof done.thread_id, 'string');
  await ctx.assertNoCodexProcesses(10_000);
});

test('get_agent_status pages a long output with offset/limit and next_offset', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  // Multi-byte characters too: offsets count characters, not bytes (all in the BMP, so
  // JavaScript's string length counts the same).
  const words = [];
  for (let i = 0; i < 700; i++) words.push(`w${i}${['é', '€', 'ж', 'ü'][i % 4]}`);
  const prompt = `long ${words.join(' ')}`;
  const expected = `echo: ${prompt} [user messages: 1]`;
  assert.ok(expected.length > 2500);

  const { task_id: id } = structured(srv, await srv.call('spawn_agent_async', { prompt, cwd: ctx.workspace }), 'spawn');
  const done = await waitAgentEnded(srv, id);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.output, expected, 'the default page holds all of a short-enough output');
  assert.equal(done.output_chars, expected.length);

  const limit = 700;
  let offset = 0;
  let joined = '';
  let pages = 0;
  for (;;) {
    const page = structured(srv, await srv.call('get_agent_status', { task_id: id, offset, limit }), `page at ${offset}`);
    pages++;
    assert.equal(page.output_offset, offset);
    assert.equal(page.output_chars, expected.length);
    assert.equal(page.output, expected.slice(offset, offset + limit), `page at offset ${offset}`);
    joined += page.output;
    if (page.next_offset === undefined) {
      assert.ok(offset + limit >= expected.length, `no next_offset at ${offset} though output goes on`);
      break;
    }
    assert.equal(page.next_offset, offset + limit);
    offset = page.next_offset;
    assert.ok(pages < 100, 'paging does not end');
  }
  assert.equal(pages, Math.ceil(expected.length / limit));
  assert.equal(joined, expected);

  // Past the end: an empty page, no next_offset.
  const past = structured(srv, await srv.call('get_agent_status', { task_id: id, offset: expected.length + 10, limit }), 'past the end');
  assert.equal(past.output, '');
  assert.equal(past.next_offset, undefined);
});

test('get_agent_status of an unknown task is isError', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  for (const id of ['0123456789abcdef0123456789abcdef', 'nope']) {
    const res = await srv.call('get_agent_status', { task_id: id });
    assert.equal(res.isError, true, `unknown id ${id}: ${JSON.stringify(res)}`);
    assert.match(resultText(res), /no task/);
  }
  const res = await srv.call('get_agent_status', {});
  assert.equal(res.isError, true, 'task_id is required');
  assert.equal(ctx.model.requests.length, 0);
});

// "PATCH <file> <text>": the model has Codex apply a patch adding <file> (Codex reports it as a
// file change); everything else as the smart script.
function patchScript(body, index, ctx) {
  const words = lastUserPrompt(body).trim().split(/\s+/);
  const input = body?.input || [];
  const last = input[input.length - 1];
  if (words[0] !== 'PATCH') return smartScript(body, index, ctx);
  if (last?.type === 'function_call_output') return [message(`patched ${words[1]}`)];
  return [execCommand(`apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: ${words[1]}\n+${words.slice(2).join(' ')}\n*** End Patch\nEOF\n`)];
}

test('spawn_agent returns the final message, task and log, and a report', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t, { script: patchScript });
  const srv = await ctx.startServer();

  const res = await srv.call('spawn_agent', { prompt: 'WRITE out.txt written by an agent', cwd: ctx.workspace });
  const st = structured(srv, res, 'spawn_agent WRITE');
  assert.equal(fs.readFileSync(path.join(ctx.workspace, 'out.txt'), 'utf8'), 'written by an agent');
  assert.equal(st.status, 'completed');
  assert.equal(st.tool, 'spawn_agent');
  assert.equal(st.output, 'wrote out.txt');
  assert.equal(resultText(res), `wrote out.txt\n\nTask: ${st.task_id} (completed)\nLog file: ${st.log_file}`);
  assert.ok(fs.existsSync(st.log_file));
  const r = st.report;
  assert.ok(r, `no report: ${JSON.stringify(st)}`);
  assert.equal(r.status, 'completed');
  assert.equal(r.exit_code, EXIT_OK);
  assert.equal(r.signal, undefined);
  assert.equal(typeof r.duration_seconds, 'number');
  assert.ok(r.duration_seconds > 0 && r.duration_seconds < 120, `duration_seconds ${r.duration_seconds}`);
  // Two model calls of the mock's usage each (10 in, 5 out).
  assert.deepEqual(r.usage, { input_tokens: 20, cached_input_tokens: 0, output_tokens: 10, reasoning_output_tokens: 0 });
  assert.equal(r.commands.length, 1, JSON.stringify(r.commands));
  assert.ok(r.commands[0].command.includes("printf '%s' 'written by an agent' > 'out.txt'"), r.commands[0].command);
  assert.equal(r.commands[0].exit_code, 0);
  assert.deepEqual(r.files_changed, [], 'a shell redirection is no file change Codex reports');

  // A failing command: its exit code is in the report.
  const bad = structured(srv, await srv.call('spawn_agent', { prompt: 'RUN exit 3', cwd: ctx.workspace }), 'RUN exit 3');
  assert.equal(bad.status, 'completed');
  assert.equal(bad.report.commands.length, 1);
  assert.equal(bad.report.commands[0].exit_code, 3);

  // A patch Codex applies is a file change.
  const patched = structured(srv, await srv.call('spawn_agent', { prompt: 'PATCH patched.txt hello patch', cwd: ctx.workspace }), 'PATCH');
  assert.equal(patched.output, 'patched patched.txt');
  assert.equal(fs.readFileSync(path.join(ctx.workspace, 'patched.txt'), 'utf8'), 'hello patch\n');
  assert.deepEqual(patched.report.files_changed, [path.join(ctx.workspace, 'patched.txt')]);
  assert.equal(patched.report.exit_code, EXIT_OK);

  // A failed run: isError, "Agent failed: ..." and a report all the same.
  const failed = await srv.call('spawn_agent', { prompt: 'FAIL 503', cwd: ctx.workspace });
  assert.equal(failed.isError, true, JSON.stringify(failed));
  assert.match(resultText(failed), /^Agent failed: /);
  assert.equal(failed.structuredContent.status, 'failed');
  assert.equal(typeof failed.structuredContent.error, 'string');
  if (BACKEND !== 'app-server') assert.notEqual(failed.structuredContent.report.exit_code, 0);
  else assert.equal(failed.structuredContent.report.exit_code, undefined);
});
