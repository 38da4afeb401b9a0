// --codex-events forwards every Codex event as a codex/event notification tagged with the call;
// --progress-interval-ms sends "working" heartbeats while a turn is quiet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, resultText, waitFor, PEER_MODE, TEST_TIMEOUT, protocolErrors } from './lib/harness.mjs';
import { smartScript, message, lastUserPrompt } from './lib/mock-model.mjs';

const SKIP = PEER_MODE && 'our flags';

/** The tools/call requests the client sent, in order. */
const calls = (srv) => srv.sent.filter((m) => m.method === 'tools/call');

/** codex/event notifications received between the request with `id` going out and its response. */
function eventsOf(srv, id) {
  const events = srv.notifications.filter((n) => n.method === 'codex/event' && n.params?._meta?.requestId === id);
  const respAt = srv.received.findIndex((m) => m.id === id && ('result' in m || 'error' in m));
  assert.ok(respAt >= 0, `no response to ${id}`);
  for (const e of events) assert.ok(srv.received.indexOf(e) < respAt, `codex/event ${e.params.type} after the response`);
  return events;
}

function checkEvents(srv, events, id, threadId, { newThread }) {
  const types = events.map((e) => e.params.type);
  assert.ok(events.length >= 3, srv.diag(`too few codex/event notifications: ${types.join(', ')}`));
  for (const e of events) {
    assert.equal(typeof e.params.type, 'string', `event without a type: ${JSON.stringify(e)}`);
    assert.equal(e.params._meta.requestId, id);
  }
  assert.ok(types.includes('turn.started'), `no turn.started in ${types}`);
  assert.equal(types.at(-1), 'turn.completed', `the last event is not turn.completed: ${types}`);
  const completed = events.at(-1).params;
  assert.equal(typeof completed.usage?.input_tokens, 'number', `turn.completed lacks Codex's usage: ${JSON.stringify(completed)}`);
  const items = events.filter((e) => e.params.type === 'item.completed');
  assert.ok(items.some((e) => e.params.item?.type === 'agent_message' && typeof e.params.item.text === 'string'),
    `no item.completed agent_message with its text: ${JSON.stringify(items.map((e) => e.params))}`);

  const startedAt = types.indexOf('thread.started');
  if (newThread) {
    assert.equal(startedAt, 0, `a new thread's first event should be thread.started: ${types}`);
    assert.equal(events[0].params.thread_id, threadId, 'thread.started names another thread');
  }
  // Once the thread is known, every event names it.
  for (const e of events.slice(Math.max(startedAt, 0))) {
    assert.equal(e.params._meta.threadId, threadId, `${e.params.type}: _meta.threadId ${e.params._meta.threadId} != ${threadId}`);
  }
}

test('--codex-events forwards Codex events tagged with requestId and threadId', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--codex-events'] });

  const res = await srv.call('codex', { prompt: 'RUN echo evented', cwd: ctx.workspace, sandbox: 'workspace-write' });
  assert.ok(!res.isError, srv.diag(resultText(res)));
  const threadId = res.structuredContent.threadId;
  const id = calls(srv)[0].id;
  const events = eventsOf(srv, id);
  checkEvents(srv, events, id, threadId, { newThread: true });
  // The command shows up as Codex reported it.
  assert.ok(events.some((e) => e.params.type === 'item.completed' && e.params.item?.type === 'command_execution' &&
    String(e.params.item.command).includes('echo evented')), 'no command_execution item for the command');

  // A reply: a new request id, the same thread.
  const reply = await srv.call('codex-reply', { threadId, prompt: 'and again' });
  assert.ok(!reply.isError, srv.diag(resultText(reply)));
  const replyId = calls(srv)[1].id;
  assert.notEqual(replyId, id);
  const replyEvents = eventsOf(srv, replyId);
  checkEvents(srv, replyEvents, replyId, threadId, { newThread: false });
  // A resumed thread is known from the start: every event names it.
  for (const e of replyEvents) assert.equal(e.params._meta.threadId, threadId);

  // Every codex/event belongs to one of the two calls.
  assert.equal(srv.notifications.filter((n) => n.method === 'codex/event').length, events.length + replyEvents.length);
});

test('without --codex-events there are no codex/event notifications', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const res = await srv.call('codex', { prompt: 'RUN echo quiet', cwd: ctx.workspace, sandbox: 'workspace-write' });
  assert.ok(!res.isError, srv.diag(resultText(res)));
  const reply = await srv.call('codex-reply', { threadId: res.structuredContent.threadId, prompt: 'still quiet' });
  assert.ok(!reply.isError, srv.diag(resultText(reply)));
  assert.deepEqual(srv.notifications.filter((n) => n.method === 'codex/event'), []);
});

test('--progress-interval-ms sends "working" progress while the turn is quiet', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  // The mock holds the "SLEEP 1500" turn until the test has seen two heartbeats (instead of
  // counting on 1.5 s being enough on a busy machine), then answers at once.
  let release;
  const gate = new Promise((r) => { release = r; });
  const script = async (body, index, { signal }) => {
    if (lastUserPrompt(body).startsWith('SLEEP')) {
      await Promise.race([gate, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      return [message('done waiting')];
    }
    return smartScript(body);
  };
  const ctx = await createContext(t, { script });
  const srv = await ctx.startServer({ args: ['--progress-interval-ms', '200'] });
  const seen = [];
  const pending = srv.call('codex', { prompt: 'SLEEP 1500 then answer', cwd: ctx.workspace }, { onprogress: (p) => seen.push(p) });
  const working = () => seen.filter((p) => typeof p.message === 'string' && p.message.startsWith('working'));
  try {
    await waitFor(() => working().length >= 2, { timeoutMs: 15_000, what: 'two "working" progress notifications' });
  } finally {
    release();
  }
  const res = await pending;
  assert.ok(!res.isError, srv.diag(resultText(res)));
  assert.equal(res.content[0].text, 'done waiting');

  assert.ok(working().length >= 2, `progress seen: ${JSON.stringify(seen)}`);
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i].progress > seen[i - 1].progress, `progress not strictly increasing: ${seen.map((p) => p.progress)}`);
  }
  for (const p of working()) assert.match(p.message, /^working \(\d+s\)/);

  assert.deepEqual(protocolErrors(srv), [], 'the SDK client reported protocol errors');
});
