// A client that declares the `roots` capability is confined to its roots: a cwd outside is
// refused naming the client's roots, inside works, a roots/list_changed brings the new rule,
// and a client that declares roots but never answers roots/list still gets its call answered
// within ~6 s. Real Codex, scripted model; the official SDK client with a roots handler (the
// unanswering client is raw, with the fake Codex).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createContext, resultText, structured, TEST_TIMEOUT, PEER_MODE } from './lib/harness.mjs';
import { startRaw } from './lib/raw-client.mjs';
import { fakeCodex } from './lib/fault.mjs';

const SKIP = PEER_MODE && 'our flags';

/** An SDK client with roots; roots.set([...dirs]) changes them and tells the server. */
async function startRootsClient(t, ctx, dirs, { args = [] } = {}) {
  const spec = ctx.serverCommand({ args });
  const transport = new StdioClientTransport({ ...spec, cwd: ctx.root, stderr: 'pipe' });
  let stderr = '';
  transport.stderr.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'roots-client', version: '0' }, { capabilities: { roots: { listChanged: true } } });
  let current = dirs;
  let asked = 0;
  client.setRequestHandler(ListRootsRequestSchema, () => {
    asked++;
    return { roots: current.map((d, i) => ({ uri: pathToFileURL(d).href, name: `root ${i}` })) };
  });
  await client.connect(transport);
  ctx.serverPids.add(transport.pid);
  t.after(() => client.close());
  return {
    client,
    get asked() { return asked; },
    diag: (label) => `${label}\n--- server stderr ---\n${stderr.slice(-3000)}`,
    call: (name, a) => client.callTool({ name, arguments: a }, undefined, { timeout: TEST_TIMEOUT }),
    async set(next) { current = next; await client.sendRootsListChanged(); },
  };
}

function assertOutsideRoots(c, res, what) {
  const text = resultText(res);
  assert.equal(res.isError, true, c.diag(`${what}: not refused: ${text}`));
  assert.match(text, /client's roots/, `${what}: the refusal should name the client's roots: ${text}`);
}

test('a client with roots is confined to them; after roots/list_changed the new roots apply', { timeout: 120_000, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const r1 = path.join(ctx.workspace, 'root one'); // a space: the URI is percent-encoded
  const r2 = path.join(ctx.workspace, 'root-two');
  const outside = path.join(ctx.root, 'outside');
  for (const d of [r1, path.join(r1, 'sub'), r2, outside]) fs.mkdirSync(d, { recursive: true });
  fs.symlinkSync(outside, path.join(r1, 'escape'));
  const c = await startRootsClient(t, ctx, [r1]);

  for (const [what, cwd] of [['outside', outside], ['a symlink out', path.join(r1, 'escape')], ['root/..', path.join(r1, '..')], ['the other root', r2]]) {
    assertOutsideRoots(c, await c.call('codex', { prompt: 'x', cwd }), `codex, ${what}`);
    assertOutsideRoots(c, await c.call('spawn_agent_async', { prompt: 'x', cwd }), `spawn_agent_async, ${what}`);
  }
  assertOutsideRoots(c, await c.call('codex', { prompt: 'default cwd' }), 'the default cwd (the server\'s, outside)');
  assert.equal(ctx.model.requests.length, 0);
  const inside = await c.call('codex', { prompt: 'in root one', cwd: path.join(r1, 'sub') });
  assert.ok(!inside.isError, c.diag(resultText(inside)));
  assert.equal(resultText(inside), 'echo: in root one [user messages: 1]');

  // New roots: r2 only. The very next call already sees them (calls wait for the answer).
  const askedBefore = c.asked;
  await c.set([r2]);
  assertOutsideRoots(c, await c.call('codex', { prompt: 'x', cwd: r1 }), 'the old root after the change');
  assert.ok(c.asked > askedBefore, 'the server did not ask for the roots again');
  const now = structured({ diag: c.diag }, await c.call('spawn_agent', { prompt: 'in root two', cwd: r2 }), 'spawn_agent in the new root');
  assert.equal(now.status, 'completed');

  // Both roots.
  await c.set([r1, r2]);
  for (const cwd of [r1, r2]) {
    const res = await c.call('codex', { prompt: 'both', cwd });
    assert.ok(!res.isError, c.diag(resultText(res)));
  }
});

test('roots and --allow-dir together: a cwd must pass both', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const root = path.join(ctx.workspace, 'root');
  const both = path.join(root, 'allowed');
  for (const d of [root, both]) fs.mkdirSync(d, { recursive: true });
  const c = await startRootsClient(t, ctx, [root], { args: ['--allow-dir', both] });
  const res = await c.call('codex', { prompt: 'x', cwd: root });
  assert.equal(res.isError, true);
  assert.match(resultText(res), /--allow-dir/);
  const ok = await c.call('codex', { prompt: 'in both', cwd: both });
  assert.ok(!ok.isError, c.diag(resultText(ok)));
});

test('a client that declares roots but never answers roots/list still gets its call answered within ~6 s', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  // The fake Codex answers at once, so the answer's time is the wait for the roots.
  const srv = startRaw(t, ctx, { codexBin: fakeCodex() });
  srv.send({ id: 'init', method: 'initialize', params: {
    protocolVersion: '2025-06-18', capabilities: { roots: { listChanged: true } }, clientInfo: { name: 'mute', version: '0' } } });
  await srv.response('init');
  const t0 = Date.now();
  await srv.send({ method: 'notifications/initialized' });
  await srv.send({ id: 'call', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } } });
  // Other requests are not held up meanwhile.
  await srv.send({ id: 'p', method: 'ping' });
  assert.deepEqual((await srv.response('p', 2000)).result, {});
  assert.ok(Date.now() - t0 < 2000, 'a ping waited for the roots');
  assert.ok(srv.messages.some((m) => m.method === 'roots/list'), 'the server never asked for the roots');
  const answer = await srv.response('call', 30_000);
  const took = Date.now() - t0;
  console.log(`# roots/list unanswered: the call was answered after ${took} ms`);
  assert.ok(answer.result && !answer.result.isError, JSON.stringify(answer));
  assert.equal(answer.result.content[0].text, 'fake ok');
  assert.ok(took < 6500, `the call waited ${took} ms for roots that never came`);
  srv.assertCleanStdout();
});
