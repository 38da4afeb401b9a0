// codex-reply reuses the thread's sandbox and cwd, and refuses a second turn on a busy thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { smartScript, message, lastUserPrompt, userPrompts } from './lib/mock-model.mjs';

function ok(srv, res, what) {
  assert.ok(!res.isError, srv.diag(`${what}: unexpected isError: ${resultText(res)}`));
  assert.equal(typeof res.structuredContent?.threadId, 'string', `${what}: no threadId`);
  return res.structuredContent.threadId;
}

function turnSandbox(body) {
  const meta = body.client_metadata?.['x-codex-turn-metadata'];
  return meta ? JSON.parse(meta).sandbox_mode : undefined;
}

test('codex-reply runs with the thread\'s sandbox and cwd', { timeout: 90_000 }, async (t) => {
  const ctx = await createContext(t);
  // The thread's cwd is neither the server's cwd nor ctx.workspace.
  const project = path.join(ctx.workspace, 'project');
  fs.mkdirSync(project);
  const srv = await ctx.startServer();

  const first = await srv.call('codex', { prompt: 'start here', cwd: project, sandbox: 'workspace-write' });
  const threadId = ok(srv, first, 'codex');
  assert.equal(turnSandbox(ctx.model.requests.at(-1)), 'workspace-write');

  const write = await srv.call('codex-reply', { threadId, prompt: 'WRITE reply.txt from the reply' });
  assert.equal(ok(srv, write, 'codex-reply WRITE'), threadId);
  assert.equal(write.content[0].text, 'wrote reply.txt');
  assert.equal(fs.readFileSync(path.join(project, 'reply.txt'), 'utf8'), 'from the reply');
  for (const elsewhere of [ctx.root, ctx.workspace]) {
    assert.ok(!fs.existsSync(path.join(elsewhere, 'reply.txt')), `reply.txt also written in ${elsewhere}`);
  }
  const writeBody = ctx.model.requests.at(-2); // the request that asked for the command
  assert.equal(lastUserPrompt(writeBody), 'WRITE reply.txt from the reply');
  assert.equal(turnSandbox(writeBody), 'workspace-write', 'the reply ran with another sandbox');

  const pwd = await srv.call('codex-reply', { threadId, prompt: 'RUN pwd' });
  assert.equal(ok(srv, pwd, 'codex-reply RUN pwd'), threadId);
  assert.ok(pwd.content[0].text.replace(/^ran: /, '').split('\n').includes(project), `pwd: ${pwd.content[0].text}`);
  assert.deepEqual(userPrompts(ctx.model.requests.at(-1)), ['start here', 'WRITE reply.txt from the reply', 'RUN pwd']);
});

test('codex-reply on a read-only thread stays read-only', { timeout: 90_000 }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const first = await srv.call('codex', { prompt: 'read only here', cwd: ctx.workspace, sandbox: 'read-only' });
  const threadId = ok(srv, first, 'codex');
  const write = await srv.call('codex-reply', { threadId, prompt: 'WRITE nope.txt blocked' });
  assert.equal(ok(srv, write, 'codex-reply WRITE'), threadId);
  assert.match(write.content[0].text, /^failed to write nope\.txt/, 'the write was not refused by the sandbox');
  assert.ok(!fs.existsSync(path.join(ctx.workspace, 'nope.txt')), 'a read-only thread wrote a file');
  assert.equal(turnSandbox(ctx.model.requests.at(-2)), 'read-only');
});

test('a second codex-reply on a running thread is refused as busy; the first completes', { timeout: 90_000, skip: PEER_MODE && 'our busy check' }, async (t) => {
  // The mock holds the reply's model response (prompt "SLEEP ...") until the test lets it go,
  // so the thread is busy for exactly as long as the test needs.
  let release;
  const gate = new Promise((r) => { release = r; });
  const script = async (body, index, { signal }) => {
    if (lastUserPrompt(body).startsWith('SLEEP')) {
      await Promise.race([gate, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      return [message('held reply done')];
    }
    return smartScript(body);
  };
  const ctx = await createContext(t, { script });
  const srv = await ctx.startServer();
  const first = await srv.call('codex', { prompt: 'begin', cwd: ctx.workspace });
  const threadId = ok(srv, first, 'codex');

  const before = ctx.model.requests.length;
  const slow = srv.call('codex-reply', { threadId, prompt: 'SLEEP 60000 slow reply' });
  await ctx.model.waitForRequests(before + 1, 30_000);
  assert.equal(lastUserPrompt(ctx.model.requests[before]), 'SLEEP 60000 slow reply');

  for (const args of [{ threadId }, { conversationId: threadId }]) {
    const busy = await srv.call('codex-reply', { ...args, prompt: 'am I second?' });
    assert.equal(busy.isError, true, srv.diag(`second reply was not refused: ${resultText(busy)}`));
    assert.ok(resultText(busy).includes(`thread ${threadId} is busy`), `busy text: ${resultText(busy)}`);
  }
  // Another thread is not affected by the busy one.
  const other = await srv.call('codex', { prompt: 'another thread', cwd: ctx.workspace });
  assert.notEqual(ok(srv, other, 'another thread'), threadId);
  assert.ok(!ctx.model.requests.some((b) => lastUserPrompt(b) === 'am I second?'), 'the refused reply reached the model');

  release();
  const done = await slow;
  assert.equal(ok(srv, done, 'the held reply'), threadId);
  assert.equal(done.content[0].text, 'held reply done');

  // The thread is free again.
  const third = await srv.call('codex-reply', { threadId, prompt: 'after busy' });
  assert.equal(ok(srv, third, 'reply after busy'), threadId);
  assert.equal(third.content[0].text, 'echo: after busy [user messages: 3]');
  assert.deepEqual(userPrompts(ctx.model.requests.at(-1)), ['begin', 'SLEEP 60000 slow reply', 'after busy']);
  await ctx.assertNoCodexProcesses(5000);
});
