// Approvals over app-server, 2025 era: when Codex asks before running an escalated command, the
// client that declared elicitation is asked with a form; what it answers is what Codex does.
// The scripted model's "ESCALATE <file> <text>" asks to write outside the workspace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createContext, resultText, waitFor, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { callAsTask, connectModern, updateTask, waitTask } from './lib/modern-client.mjs';
import { execCommand, lastUserPrompt, message, smartScript } from './lib/mock-model.mjs';
import { getTask, taskCall, taskResult } from './lib/tasks.mjs';

const SKIP = PEER_MODE && 'codex-mcp approvals';
// Pinned: approvals are the app-server backend's (exec cannot ask anyone).
const ARGS = ['--backend', 'app-server'];
const FORM = { elicitation: { form: {} } };

/** A server whose client answers every elicitation with answer(request) (may never resolve). */
async function serverAnswering(ctx, answer, { args = [], capabilities = FORM } = {}) {
  const asked = [];
  const srv = await ctx.startServer({
    args: [...ARGS, ...args],
    capabilities,
    setup: (client) => client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params);
      return answer(req.params);
    }),
  });
  return { srv, asked };
}

/** The status of the newest task, which a codex call is too. */
async function lastTask(srv) {
  const list = await srv.call('list_agent_tasks', {});
  const id = list.structuredContent.tasks[0].task_id;
  return (await srv.call('get_agent_status', { task_id: id })).structuredContent;
}

function escalate(ctx, name) {
  const target = path.join(ctx.root, name); // outside the workspace
  return { target, prompt: `ESCALATE ${target} approved text` };
}

test('accept runs the escalated command; the form names the command, the cwd and the reason', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const { srv, asked } = await serverAnswering(ctx, () => ({ action: 'accept', content: { decision: 'once' } }));
  const { target, prompt } = escalate(ctx, 'accepted.txt');
  const res = await srv.call('codex', { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' }, { onprogress: () => {} });
  assert.ok(!res.isError, srv.diag(resultText(res)));
  assert.equal(asked.length, 1, `asked ${asked.length} times`);
  const form = asked[0];
  assert.equal(form.mode, 'form');
  assert.match(form.message, /^Codex asks to run `printf/);
  assert.ok(form.message.includes(target), form.message);
  assert.ok(form.message.includes(` in ${ctx.workspace}`), form.message);
  assert.ok(form.message.includes('Its reason: to write'), form.message);
  const choice = form.requestedSchema.properties.decision;
  assert.deepEqual(choice.oneOf.map((o) => o.const).slice(0, 1), ['once']);
  assert.deepEqual(form.requestedSchema.required, ['decision']);
  assert.equal(fs.readFileSync(target, 'utf8'), 'approved text');
  assert.equal(resultText(res), `wrote ${target}`);
  // The progress says what it waits for.
  assert.ok(srv.notifications.some((n) => n.method === 'notifications/progress' &&
    /^waiting for approval to run: /.test(n.params.message)), 'no "waiting for approval" progress');
});

test('decline does not run it, and the turn goes on; so does a dismissed form', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  for (const action of ['decline', 'cancel']) {
    const { srv, asked } = await serverAnswering(ctx, () => ({ action }));
    const { target, prompt } = escalate(ctx, `${action}.txt`);
    const res = await srv.call('codex', { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' });
    assert.equal(asked.length, 1);
    assert.ok(!res.isError, srv.diag(resultText(res)));
    assert.ok(!fs.existsSync(target), `${action}: the command ran`);
    const st = await lastTask(srv);
    assert.equal(st.status, 'completed', `${action}: the turn did not go on`);
    assert.deepEqual(st.report.approvals, { asked: 1, approved: 0, declined: 1, declined_unasked: 0 });
    await srv.close();
  }
});

test('a client without elicitation: declined at once, and the result says why', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ARGS });
  const { target, prompt } = escalate(ctx, 'unasked.txt');
  const res = await srv.call('codex', { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' });
  assert.ok(!res.isError, srv.diag(resultText(res)));
  assert.ok(!fs.existsSync(target), 'the command ran without approval');
  assert.match(resultText(res), /1 approval was needed and declined: this client cannot answer elicitation requests/);
  assert.ok(!srv.received.some((m) => m.method === 'elicitation/create'), 'a client that cannot answer was asked');
});

test('an unanswered approval expires as declined; the form is withdrawn', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const { srv, asked } = await serverAnswering(ctx, () => new Promise(() => {}), { args: ['--approval-timeout', '1', '--stall-seconds', '1'] });
  const { target, prompt } = escalate(ctx, 'expired.txt');
  const res = await srv.call('codex', { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' });
  assert.equal(asked.length, 1);
  assert.ok(!res.isError, srv.diag(resultText(res)));
  assert.ok(!fs.existsSync(target), 'the command ran without approval');
  const st = await lastTask(srv);
  assert.deepEqual(st.report.approvals, { asked: 1, approved: 0, declined: 1, declined_unasked: 0 });
  // Told the client it need not answer any more; and waiting was no stall.
  const elicit = srv.received.find((m) => m.method === 'elicitation/create');
  await waitFor(() => srv.received.some((m) => m.method === 'notifications/cancelled' && m.params.requestId === elicit.id),
    { timeoutMs: 5000, what: 'the elicitation to be withdrawn' });
  const log = fs.readFileSync(st.log_file, 'utf8');
  assert.match(log, /an approval went unanswered for 1s: declined/);
  assert.doesNotMatch(log, /stalled: no output/);
});

test('cancelling a call while it waits for approval withdraws the question', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const { srv, asked } = await serverAnswering(ctx, () => new Promise(() => {}));
  const { target, prompt } = escalate(ctx, 'cancelled.txt');
  const ac = new AbortController();
  const pending = srv.call('codex', { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' }, { signal: ac.signal });
  pending.catch(() => {});
  await waitFor(() => asked.length === 1, { timeoutMs: 30_000, what: 'the approval request' });
  ac.abort('the person walked away');
  await assert.rejects(pending);
  const elicit = srv.received.find((m) => m.method === 'elicitation/create');
  await waitFor(() => srv.received.some((m) => m.method === 'notifications/cancelled' && m.params.requestId === elicit.id),
    { timeoutMs: 10_000, what: 'the elicitation to be withdrawn' });
  assert.ok(!fs.existsSync(target));
  // The app-server is still there for the next call.
  const next = await srv.call('codex', { prompt: 'after the cancel', cwd: ctx.workspace });
  assert.equal(resultText(next), 'echo: after the cancel [user messages: 1]');
});

test('two threads waiting at once, answered out of order, each get their own answer', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const waiting = [];
  const { srv, asked } = await serverAnswering(ctx, (params) => new Promise((resolve) => waiting.push({ params, resolve })), { args: ['--max-agents', '2'] });
  const a = escalate(ctx, 'first.txt');
  const b = escalate(ctx, 'second.txt');
  const calls = [a, b].map(({ prompt }) => srv.call('codex', { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' }));
  await waitFor(() => waiting.length === 2, { timeoutMs: 45_000, what: 'both approval requests' });
  // The later question first: decline it; then accept the earlier.
  const forA = waiting.find((w) => w.params.message.includes(a.target));
  const forB = waiting.find((w) => w.params.message.includes(b.target));
  assert.ok(forA && forB, JSON.stringify(asked.map((q) => q.message)));
  forB.resolve({ action: 'decline' });
  forA.resolve({ action: 'accept', content: { decision: 'once' } });
  const [ra, rb] = await Promise.all(calls);
  assert.equal(resultText(ra), `wrote ${a.target}`);
  assert.ok(!rb.isError, resultText(rb));
  assert.ok(fs.existsSync(a.target), 'the accepted command did not run');
  assert.ok(!fs.existsSync(b.target), 'the declined command ran');
});

test('"for this session" is offered when Codex offers it, and then the command is not asked again', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const { srv, asked } = await serverAnswering(ctx, (params) => {
    const offered = params.requestedSchema.properties.decision.oneOf.map((o) => o.const);
    return offered.includes('session') ? { action: 'accept', content: { decision: 'session' } } : { action: 'accept', content: { decision: 'once' } };
  });
  const target = path.join(ctx.root, 'session.txt');
  const first = await srv.call('codex', { prompt: `ESCALATE ${target} same`, cwd: ctx.workspace, 'approval-policy': 'on-request' });
  assert.equal(resultText(first), `wrote ${target}`);
  assert.equal(asked.length, 1);
  const offered = asked[0].requestedSchema.properties.decision.oneOf.map((o) => o.const);
  fs.rmSync(target);
  const again = await srv.call('codex-reply', { threadId: first.structuredContent.threadId, prompt: `ESCALATE ${target} same` });
  assert.equal(resultText(again), `wrote ${target}`);
  if (offered.includes('session')) assert.equal(asked.length, 1, 'asked again after "for this session"');
  else assert.equal(asked.length, 2, 'Codex offered no session-wide answer, so it asks each time');
});

test('2026 era: the call answers input_required with the form; the retry resumes the waiting turn', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const spec = ctx.serverCommand({ args: ARGS });
  for (const [action, ran] of [['accept', true], ['decline', false]]) {
    const asked = [];
    const conn = await connectModern(spec.command, spec.args, spec.env, {
      ctx, cwd: ctx.root, mode: 'pin',
      elicit: async (params) => { asked.push(params); return action === 'accept' ? { action, content: { decision: 'once' } } : { action }; },
    });
    const { target, prompt } = escalate(ctx, `modern-${action}.txt`);
    const res = await conn.client.callTool({ name: 'codex', arguments: { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' } });
    assert.equal(asked.length, 1, `${action}: asked ${asked.length} times`);
    assert.match(asked[0].message, /^Codex asks to run `printf/);
    const rounds = conn.wire.received.filter((m) => m.result?.resultType === 'input_required');
    assert.equal(rounds.length, 1);
    assert.equal(rounds[0].result.inputRequests.approval.method, 'elicitation/create');
    assert.equal(typeof rounds[0].result.requestState, 'string');
    assert.equal(fs.existsSync(target), ran, `${action}: ran ${fs.existsSync(target)}`);
    if (ran) assert.equal(resultText(res), `wrote ${target}`);
    else assert.ok(!res.isError, resultText(res));
    await conn.close();
  }
});

// "PATCH <file> <text>": Codex applies a patch adding <file>, a file change of its own.
function patchScript(body, index, c) {
  const words = lastUserPrompt(body).trim().split(/\s+/);
  const input = body?.input || [];
  if (words[0] !== 'PATCH') return smartScript(body, index, c);
  if (input.at(-1)?.type === 'function_call_output') return [message(`patched ${words[1]}`)];
  return [execCommand(`apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: ${words[1]}\n+${words.slice(2).join(' ')}\n*** End Patch\nEOF\n`)];
}

test('a file change outside the workspace is asked about, naming the file; decline leaves it unwritten', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t, { script: patchScript });
  for (const [action, written] of [['accept', true], ['decline', false]]) {
    const { srv, asked } = await serverAnswering(ctx, () => (action === 'accept' ? { action, content: { decision: 'once' } } : { action }));
    const target = path.join(ctx.root, `patched-${action}.txt`);
    const res = await srv.call('codex', { prompt: `PATCH ${target} hello`, cwd: ctx.workspace, 'approval-policy': 'on-request' });
    assert.ok(!res.isError, srv.diag(resultText(res)));
    assert.equal(asked.length, 1);
    assert.equal(asked[0].message, `Codex asks to change ${target} in ${ctx.workspace}.`);
    assert.deepEqual(asked[0].requestedSchema.properties.decision.oneOf.map((o) => o.const), ['once', 'session']);
    assert.equal(fs.existsSync(target), written, `${action}: written ${fs.existsSync(target)}`);
    await srv.close();
  }
});

test('2026 era, as a task: tasks/get shows input_required with the form, and tasks/update answers it', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const spec = ctx.serverCommand({ args: ARGS });
  const conn = await connectModern(spec.command, spec.args, spec.env, {
    ctx, cwd: ctx.root, mode: 'pin', elicit: async () => ({ action: 'decline' }),
  });
  const { target, prompt } = escalate(ctx, 'task.txt');
  const created = await callAsTask(conn, 'codex', { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' });
  const waiting = await waitTask(conn, created.taskId, { until: (x) => x.status === 'input_required' });
  const keys = Object.keys(waiting.inputRequests);
  assert.equal(keys.length, 1, JSON.stringify(waiting));
  const asked = waiting.inputRequests[keys[0]];
  assert.equal(asked.method, 'elicitation/create');
  assert.match(asked.params.message, /^Codex asks to run `printf/);
  const ack = await updateTask(conn, created.taskId, { [keys[0]]: { action: 'accept', content: { decision: 'once' } } });
  assert.equal(ack.resultType, 'complete');
  const done = await waitTask(conn, created.taskId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(resultText(done.result), `wrote ${target}`);
  assert.ok(fs.existsSync(target));
  await conn.close();
});

test('2025 era, as a task: input_required in tasks/get, and the form comes on the tasks/result stream', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const { srv, asked } = await serverAnswering(ctx, () => ({ action: 'accept', content: { decision: 'once' } }));
  const { target, prompt } = escalate(ctx, 'legacy-task.txt');
  const created = await taskCall(srv, 'codex', { prompt, cwd: ctx.workspace, 'approval-policy': 'on-request' });
  const id = created.task.taskId;
  await waitFor(async () => (await getTask(srv, id)).status === 'input_required', { timeoutMs: 30_000, what: 'the task to need input' });
  assert.equal(asked.length, 0, 'asked before the client looked at the task');
  const res = await taskResult(srv, id);
  assert.equal(asked.length, 1);
  assert.deepEqual(asked[0]._meta, { 'io.modelcontextprotocol/related-task': { taskId: id } });
  assert.equal(resultText(res), `wrote ${target}`);
  assert.ok(fs.existsSync(target));
  assert.equal((await getTask(srv, id)).status, 'completed');
});
