// The warm app-server backend: one `codex app-server` for every turn, started on first use,
// started again after a crash, and never left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, resultText, waitFor, gatedScript, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { lastUserPrompt, smartScript } from './lib/mock-model.mjs';

const SKIP = PEER_MODE && 'codex-mcp backends';
const ARGS = ['--backend', 'app-server'];

test('one app-server serves every turn, started on the first', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ARGS });
  assert.equal(ctx.appServers().length, 0, 'started before anything needed it');
  const a = await srv.call('codex', { prompt: 'first', cwd: ctx.workspace });
  const b = await srv.call('codex', { prompt: 'second', cwd: ctx.workspace });
  assert.equal(resultText(a), 'echo: first [user messages: 1]');
  assert.equal(resultText(b), 'echo: second [user messages: 1]');
  const warm = ctx.appServers();
  assert.equal(warm.length, 1, `app-servers: ${warm.map((p) => p.pid)}`);
  const reply = await srv.call('codex-reply', { threadId: a.structuredContent.threadId, prompt: 'again' });
  assert.equal(resultText(reply), 'echo: again [user messages: 2]');
  assert.deepEqual(ctx.appServers().map((p) => p.pid), warm.map((p) => p.pid), 'a turn started another app-server');
  await srv.close();
  await ctx.assertNoCodexLeft(5000, 'after the server closed:');
});

test('the app-server killed mid-turn: the call answers with the reason, the next call works, the thread resumes', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: ARGS });
  const first = await srv.call('codex', { prompt: 'before the crash', cwd: ctx.workspace });
  const threadId = first.structuredContent.threadId;
  const pending = srv.call('codex-reply', { threadId, prompt: 'GATE cut off' });
  await waitFor(() => gate.held() === 1, { timeoutMs: 30_000, what: 'the turn to reach the model' });
  const [warm] = ctx.appServers();
  process.kill(warm.pid, 'SIGKILL');
  const res = await pending;
  gate.release();
  assert.equal(res.isError, true, resultText(res));
  assert.match(resultText(res), /codex app-server was killed by signal 9; the thread can be continued/);
  assert.equal(res.structuredContent?.threadId, threadId, 'the failed call names its thread');

  const next = await srv.call('codex', { prompt: 'after the crash', cwd: ctx.workspace });
  assert.equal(resultText(next), 'echo: after the crash [user messages: 1]', srv.diag());
  const again = await srv.call('codex-reply', { threadId, prompt: 'resumed' });
  assert.ok(!again.isError, srv.diag(resultText(again)));
  assert.match(resultText(again), /^echo: resumed \[user messages: \d\]$/);
  assert.equal(ctx.appServers().length, 1);
});

test('turns of different threads run at once in the one app-server', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const gate = gatedScript();
  const ctx = await createContext(t, { script: gate.script });
  const srv = await ctx.startServer({ args: [...ARGS, '--max-agents', '3'] });
  const calls = ['one', 'two', 'three'].map((w) => srv.call('codex', { prompt: `GATE ${w}`, cwd: ctx.workspace }));
  await waitFor(() => gate.held() === 3, { timeoutMs: 30_000, what: 'three turns at the model at once' });
  gate.release();
  const texts = (await Promise.all(calls)).map(resultText).sort();
  assert.deepEqual(texts, ['echo: GATE one [user messages: 1]', 'echo: GATE three [user messages: 1]', 'echo: GATE two [user messages: 1]']);
  assert.equal(ctx.appServers().length, 1);
});

/** The smart script, but a prompt "WAIT <word> ..." is held at the model until release(word). */
function waitingScript() {
  const gates = new Map();
  const gate = (w) => { if (!gates.has(w)) { let r; gates.set(w, { p: new Promise((x) => { r = x; }), r, held: 0 }); } return gates.get(w); };
  const script = async (body, index, c) => {
    const words = lastUserPrompt(body).split(/\s+/);
    const last = body?.input?.at(-1);
    if (words[0] === 'WAIT' && last?.type !== 'function_call_output') {
      const g = gate(words[1]);
      g.held++;
      await Promise.race([g.p, new Promise((r) => c.signal.addEventListener('abort', r, { once: true }))]);
      g.held--;
    }
    return smartScript(body, index, c);
  };
  return { script, release: (w) => gate(w).r(), held: (w) => gate(w).held };
}

test('steering: codex-steer and message_agent add to a running turn, and say whether it took it', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const gates = waitingScript();
  const ctx = await createContext(t, { script: gates.script });
  const srv = await ctx.startServer({ args: ARGS });
  const first = await srv.call('codex', { prompt: 'a thread', cwd: ctx.workspace });
  const threadId = first.structuredContent.threadId;
  const pending = srv.call('codex-reply', { threadId, prompt: 'WAIT reply long work' });
  await waitFor(() => gates.held('reply') === 1, { timeoutMs: 30_000, what: 'the turn to reach the model' });
  const steered = await srv.call('codex-steer', { threadId, prompt: 'also mind the tests' });
  assert.deepEqual(steered.structuredContent, { steered: true, message: 'the running turn took the message' }, resultText(steered));
  gates.release('reply');
  assert.ok(!(await pending).isError);
  assert.ok(ctx.model.requests.some((b) => JSON.stringify(b.input).includes('also mind the tests')),
    'the steered message never reached the model');
  // Nothing runs on the thread now: not taken, and said why.
  const late = await srv.call('codex-steer', { threadId, prompt: 'too late' });
  assert.equal(late.structuredContent.steered, false);
  assert.match(late.structuredContent.message, /has no running turn/);

  // The fleet's way: by task id.
  const agent = (await srv.call('spawn_agent_async', { prompt: 'WAIT agent work', cwd: ctx.workspace })).structuredContent;
  await waitFor(() => gates.held('agent') === 1, { timeoutMs: 30_000, what: 'the agent to reach the model' });
  const told = await srv.call('message_agent', { task_id: agent.task_id, prompt: 'note for the agent' });
  assert.deepEqual(told.structuredContent, { steered: true, message: 'the running turn took the message' }, resultText(told));
  gates.release('agent');

  // codex exec reads its prompt once: it cannot be steered, and says so.
  const exec = await ctx.startServer({ args: ['--backend', 'exec'] });
  const run = (await exec.call('spawn_agent_async', { prompt: 'WAIT exec work', cwd: ctx.workspace })).structuredContent;
  await waitFor(() => gates.held('exec') === 1, { timeoutMs: 30_000, what: 'the exec agent to reach the model' });
  const refused = await exec.call('message_agent', { task_id: run.task_id, prompt: 'hello?' });
  assert.equal(refused.structuredContent.steered, false);
  assert.match(refused.structuredContent.message, /cannot add to a running turn \(codex exec\)/);
  gates.release('exec');
});

test('turns queued behind the cap start one after another on the one app-server', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: [...ARGS, '--max-agents', '2'] });
  // Two at a time: one's end starts the next while the other may still be opening its thread.
  const words = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const calls = words.map((w) => srv.call('codex', { prompt: `queued ${w}`, cwd: ctx.workspace }));
  const texts = (await Promise.all(calls)).map(resultText);
  assert.deepEqual(texts, words.map((w) => `echo: queued ${w} [user messages: 1]`), srv.diag());
  assert.equal(ctx.appServers().length, 1);
});
