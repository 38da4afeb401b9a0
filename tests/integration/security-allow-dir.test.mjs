// --allow-dir DIR (repeatable) confines where runs work: a cwd outside, a symlink inside that
// points outside, DIR/../x, and a default cwd outside are refused naming --allow-dir; inside
// works; a reply to a thread whose stored cwd is outside the current --allow-dir is refused.
// Real Codex, scripted model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, structured, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';

const SKIP = PEER_MODE && 'our flags';

function layout(ctx) {
  const a = path.join(ctx.workspace, 'allowed-a');
  const b = path.join(ctx.root, 'allowed-b');
  const outside = path.join(ctx.root, 'outside');
  const sibling = `${a}-evil`; // shares A's name as a prefix
  for (const d of [a, path.join(a, 'sub'), b, outside, sibling]) fs.mkdirSync(d, { recursive: true });
  fs.symlinkSync(outside, path.join(a, 'escape'));        // inside A, pointing outside
  fs.symlinkSync(path.join(a, 'sub'), path.join(outside, 'into-a')); // outside, pointing inside
  fs.symlinkSync(a, path.join(ctx.root, 'link-to-a'));
  return { a, b, outside, sibling };
}

function assertRefused(srv, res, what) {
  const text = resultText(res);
  assert.equal(res.isError, true, srv.diag(`${what}: not refused: ${text}`));
  assert.match(text, /--allow-dir/, `${what}: the refusal should name --allow-dir: ${text}`);
}

test('--allow-dir: outside, symlinks out, "..", and a default cwd outside are refused; inside works', { timeout: 120_000, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const { a, b, outside, sibling } = layout(ctx);
  // The server's own cwd (the default cwd of runs) is ctx.root: outside both.
  const srv = await ctx.startServer({ args: ['--allow-dir', a, '--allow-dir', path.join(ctx.root, 'link-to-a', '..', 'allowed-b')] });

  const refused = {
    'a cwd outside': outside,
    'a symlink inside A pointing outside': path.join(a, 'escape'),
    'A/../outside': path.join(a, '..', '..', 'outside'),
    'A/sub/../../x': `${a}/sub/../../../outside`,
    'a sibling sharing A as a prefix': sibling,
    'the root dir': '/',
    'a relative cwd outside': 'outside', // against the server's cwd, ctx.root
    'a relative symlink out': 'workspace/allowed-a/escape',
  };
  for (const [what, cwd] of Object.entries(refused)) {
    for (const tool of ['codex', 'spawn_agent', 'spawn_agent_async']) {
      assertRefused(srv, await srv.call(tool, { prompt: `refused ${what}`, cwd }), `${tool} with ${what} (${cwd})`);
    }
  }
  for (const tool of ['codex', 'spawn_agent']) {
    assertRefused(srv, await srv.call(tool, { prompt: 'default cwd' }), `${tool} with the default cwd (outside)`);
  }
  for (const agents of [[{ prompt: 'p0', cwd: outside }], [{ prompt: 'p0', cwd: a }, { prompt: 'p1', cwd: path.join(a, 'escape') }]]) {
    assertRefused(srv, await srv.call('spawn_agents_parallel', { agents }), `spawn_agents_parallel ${JSON.stringify(agents)}`);
  }
  assert.equal(ctx.model.requests.length, 0, 'a refused run reached the model');

  // Inside works: A, a dir below it, B (given through a symlink and ".."), and a symlink
  // outside that points into A.
  const allowed = { A: a, 'A/sub': path.join(a, 'sub'), 'A/sub/..': path.join(a, 'sub', '..'), B: b, 'outside/into-a': path.join(outside, 'into-a') };
  for (const [what, cwd] of Object.entries(allowed)) {
    const res = await srv.call('codex', { prompt: `inside ${what}`, cwd });
    assert.ok(!res.isError, srv.diag(`${what}: ${resultText(res)}`));
    assert.equal(resultText(res), `echo: inside ${what} [user messages: 1]`);
  }
  const agent = structured(srv, await srv.call('spawn_agent', { prompt: 'agent inside', cwd: path.join(a, 'sub') }), 'spawn_agent inside');
  assert.equal(agent.status, 'completed');
  assert.equal(agent.cwd ?? path.join(a, 'sub'), path.join(a, 'sub'));
});

test('--allow-dir with --agent-cwd inside: the default cwd works', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const { a } = layout(ctx);
  const srv = await ctx.startServer({ args: ['--allow-dir', a, '--agent-cwd', path.join(a, 'sub')] });
  const res = await srv.call('codex', { prompt: 'default inside' });
  assert.ok(!res.isError, srv.diag(resultText(res)));
});

test('codex-reply on a thread whose stored cwd is outside the current --allow-dir is refused', { timeout: 120_000, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const { a, b, outside } = layout(ctx);
  // Threads begun by a server without the rule (outside), and with A allowed (in A).
  const srv1 = await ctx.startServer();
  const out = await srv1.call('codex', { prompt: 'thread outside', cwd: outside });
  assert.ok(!out.isError, srv1.diag(resultText(out)));
  const inA = await srv1.call('codex', { prompt: 'thread in A', cwd: a });
  assert.ok(!inA.isError, srv1.diag(resultText(inA)));
  await srv1.close();

  const srv2 = await ctx.startServer({ args: ['--allow-dir', b] });
  const before = ctx.model.requests.length;
  for (const [what, res] of [['outside', out], ['in A', inA]]) {
    const reply = await srv2.call('codex-reply', { threadId: res.structuredContent.threadId, prompt: 'continue' });
    assertRefused(srv2, reply, `a reply to the thread ${what}`);
    const alias = await srv2.call('codex-reply', { conversationId: res.structuredContent.threadId, prompt: 'continue' });
    assertRefused(srv2, alias, `a reply (conversationId) to the thread ${what}`);
  }
  assert.equal(ctx.model.requests.length, before, 'a refused reply reached the model');
  await srv2.close();

  // With A allowed again, the thread in A continues.
  const srv3 = await ctx.startServer({ args: ['--allow-dir', a] });
  const ok = await srv3.call('codex-reply', { threadId: inA.structuredContent.threadId, prompt: 'continue in A' });
  assert.ok(!ok.isError, srv3.diag(resultText(ok)));
  assert.equal(resultText(ok), 'echo: continue in A [user messages: 2]');
});

test('--allow-dir that does not exist: the server says so and exits non-zero', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const missing = path.join(ctx.root, 'no-such-dir');
  await assert.rejects(ctx.startServer({ args: ['--allow-dir', missing] }), (e) => e.message.includes(missing) && /--allow-dir/.test(e.message));
});
