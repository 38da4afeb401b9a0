// The `codex-reply` tool continues an existing thread (also across a server restart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { userPrompts, itemText } from './lib/mock-model.mjs';

function ok(srv, res, what) {
  assert.ok(!res.isError, srv.diag(`${what}: unexpected isError: ${resultText(res)}`));
  assert.equal(res.structuredContent?.content, res.content?.[0]?.text, `${what}: structuredContent.content != content[0].text`);
  return res.structuredContent.threadId;
}

// Codex names the thread in its requests (prompt_cache_key, client_metadata.thread_id); when
// present they must be the thread id the tool returned.
function assertRequestThread(body, threadId) {
  if (body.prompt_cache_key !== undefined) assert.equal(body.prompt_cache_key, threadId, 'model request belongs to another thread');
  if (body.client_metadata?.thread_id !== undefined) assert.equal(body.client_metadata.thread_id, threadId);
}

test('codex-reply continues the thread (threadId and conversationId)', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const first = await srv.call('codex', { prompt: 'first prompt alpha', cwd: ctx.workspace });
  const threadId = ok(srv, first, 'codex');
  assert.ok(threadId, 'no threadId');
  assert.equal(first.content[0].text, 'echo: first prompt alpha [user messages: 1]');

  const second = await srv.call('codex-reply', { threadId, prompt: 'second prompt beta' });
  assert.equal(ok(srv, second, 'codex-reply'), threadId, 'codex-reply must return the same threadId');
  assert.equal(second.content[0].text, 'echo: second prompt beta [user messages: 2]');
  const body = ctx.model.requests.at(-1);
  assert.deepEqual(userPrompts(body), ['first prompt alpha', 'second prompt beta']);
  // The earlier answer is part of the conversation the model sees.
  assert.ok(body.input.some((it) => it.role === 'assistant' && itemText(it) === first.content[0].text),
    'the first turn\'s answer is missing from the second request');
  assertRequestThread(body, threadId);

  const third = await srv.call('codex-reply', { conversationId: threadId, prompt: 'third prompt gamma' });
  assert.equal(ok(srv, third, 'codex-reply with conversationId'), threadId);
  assert.equal(third.content[0].text, 'echo: third prompt gamma [user messages: 3]');
  assert.deepEqual(userPrompts(ctx.model.requests.at(-1)), ['first prompt alpha', 'second prompt beta', 'third prompt gamma']);
  assertRequestThread(ctx.model.requests.at(-1), threadId);
});

test('codex-reply to an unknown thread is an error result', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  for (const id of ['01a1fbaf-0000-7000-8000-000000000000', 'no-such-thread']) {
    const res = await srv.call('codex-reply', { threadId: id, prompt: 'hello?' });
    assert.equal(res.isError, true, srv.diag(`reply to unknown thread ${id} did not fail: ${resultText(res)}`));
    if (!PEER_MODE) assert.ok(resultText(res).includes(`no thread ${id}`), `error text lacks "no thread ${id}": ${resultText(res)}`);
  }
  assert.equal(ctx.model.requests.length, 0, 'an unknown thread must not reach the model');
});

test('codex-reply after a server restart keeps the thread and its cwd', { timeout: 90_000, skip: PEER_MODE && 'the old server keeps threads in memory only' }, async (t) => {
  const ctx = await createContext(t);
  let srv = await ctx.startServer();
  const first = await srv.call('codex', { prompt: 'WRITE one.txt 1', cwd: ctx.workspace, sandbox: 'workspace-write' });
  const threadId = ok(srv, first, 'codex');
  assert.equal(fs.readFileSync(path.join(ctx.workspace, 'one.txt'), 'utf8'), '1');
  await srv.close();
  assert.deepEqual(ctx.codexProcesses(), [], 'Codex processes survived the server');

  // Same state dir and CODEX_HOME; the new server runs from a different directory.
  const elsewhere = path.join(ctx.root, 'elsewhere');
  fs.mkdirSync(elsewhere);
  srv = await ctx.startServer({ cwd: elsewhere });

  const before = ctx.model.requests.length;
  const pwd = await srv.call('codex-reply', { threadId, prompt: 'RUN pwd' });
  assert.equal(ok(srv, pwd, 'codex-reply after restart'), threadId);
  assert.match(pwd.content[0].text, /^ran: /);
  const pwdLines = pwd.content[0].text.replace(/^ran: /, '').split('\n');
  assert.ok(pwdLines.includes(ctx.workspace), `pwd did not run in the thread's cwd (${ctx.workspace}): ${pwd.content[0].text}`);
  const body = ctx.model.requests[before];
  assert.deepEqual(userPrompts(body), ['WRITE one.txt 1', 'RUN pwd'], 'the model must see the earlier turn');
  assertRequestThread(body, threadId);

  // A relative write lands in the thread's cwd, with the thread's sandbox.
  const write = await srv.call('codex-reply', { threadId, prompt: 'WRITE two.txt 2' });
  assert.equal(ok(srv, write, 'second codex-reply after restart'), threadId);
  assert.equal(write.content[0].text, 'wrote two.txt');
  assert.equal(fs.readFileSync(path.join(ctx.workspace, 'two.txt'), 'utf8'), '2');
  assert.ok(!fs.existsSync(path.join(elsewhere, 'two.txt')));
});
