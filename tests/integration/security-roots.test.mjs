// A client that declares the `roots` capability is confined to its roots: a cwd outside is
// refused naming the client's roots, inside works, a roots/list_changed brings the new rule,
// a client that declares roots but never lists them gets its calls refused once the wait (5 s) ends,
// a failed roots/list leaves the last good list in force, and a call held for the answer is
// answered even when the client's input ends or the server stops; a client that lists only
// roots that are not local directories is confined to nothing, and one that lists no roots at
// all (the MCP Inspector does) is not confined by roots. Real Codex, scripted model; the official SDK
// client with a roots handler (the clients that fail to answer are raw, with the fake Codex).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createContext, resultText, structured, waitFor, TEST_TIMEOUT, PEER_MODE } from './lib/harness.mjs';
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

/** A raw client that declares roots; it answers roots/list only as the test tells it. */
async function startMuteRootsClient(t, ctx) {
  const srv = startRaw(t, ctx, { codexBin: fakeCodex() });
  srv.send({ id: 'init', method: 'initialize', params: {
    protocolVersion: '2025-06-18', capabilities: { roots: { listChanged: true } }, clientInfo: { name: 'mute', version: '0' } } });
  await srv.response('init');
  await srv.send({ method: 'notifications/initialized' });
  return srv;
}

/** The newest roots/list request the server sent after `after` messages. */
async function rootsRequest(srv, after) {
  return waitFor(() => srv.messages.slice(after).find((m) => m.method === 'roots/list'), { timeoutMs: 5000, what: 'roots/list' });
}

test('a client that declares roots but never answers roots/list gets its call refused once the wait ends, naming why', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startMuteRootsClient(t, ctx);
  const t0 = Date.now();
  await srv.send({ id: 'call', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } } });
  // Other requests are not held up meanwhile.
  await srv.send({ id: 'p', method: 'ping' });
  assert.deepEqual((await srv.response('p', 2000)).result, {});
  assert.equal(srv.messages.find((m) => m.id === 'call'), undefined, 'the call was answered before its roots were known');
  await rootsRequest(srv, 0);
  const answer = await srv.response('call', 30_000);
  const took = Date.now() - t0;
  console.log(`# roots/list unanswered: the call was answered after ${took} ms`);
  // Fail closed: with the roots unknown, no cwd is known to be inside them.
  assert.equal(answer.result?.isError, true, JSON.stringify(answer));
  assert.match(answer.result.content[0].text, /declares roots but did not list them/);

  // Once the client lists them, calls inside run.
  const before = srv.messages.length;
  await srv.send({ method: 'notifications/roots/list_changed' });
  const ask = await rootsRequest(srv, before);
  await srv.send({ id: ask.id, result: { roots: [{ uri: pathToFileURL(ctx.workspace).href }] } });
  await srv.send({ id: 'call2', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } } });
  const ok = await srv.response('call2', 30_000);
  assert.ok(ok.result && !ok.result.isError, JSON.stringify(ok));
  assert.equal(ok.result.content[0].text, 'fake ok');
  srv.assertCleanStdout();
});

test('after a failed roots/list the last good list still confines runs', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const inside = path.join(ctx.workspace, 'in');
  fs.mkdirSync(inside);
  const srv = await startMuteRootsClient(t, ctx);
  const ask = await rootsRequest(srv, 0);
  await srv.send({ id: ask.id, result: { roots: [{ uri: pathToFileURL(inside).href }] } });
  const before = srv.messages.length;
  await srv.send({ method: 'notifications/roots/list_changed' });
  const again = await rootsRequest(srv, before);
  await srv.send({ id: again.id, error: { code: -32603, message: 'no roots today' } });
  await srv.send({ id: 'out', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } } });
  const out = await srv.response('out', 30_000);
  assert.equal(out.result?.isError, true, JSON.stringify(out));
  assert.match(out.result.content[0].text, /client's roots/);
  await srv.send({ id: 'in', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: inside } } });
  const ok = await srv.response('in', 30_000);
  assert.ok(ok.result && !ok.result.isError, JSON.stringify(ok));
  srv.assertCleanStdout();
});

test('a call held for roots/list is answered when the client closes its input', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startMuteRootsClient(t, ctx);
  await rootsRequest(srv, 0);
  await srv.send({ id: 'held', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } } });
  srv.child.stdin.end();
  await srv.closed;
  const answer = srv.messages.find((m) => m.id === 'held' && !('method' in m));
  assert.ok(answer, srv.diag('the held call was never answered'));
  assert.equal(answer.result?.isError, true, JSON.stringify(answer));
  assert.equal(srv.exit.code, 0, srv.diag(`exit ${JSON.stringify(srv.exit)}`));
  srv.assertCleanStdout();
});

test('a call held for roots/list is answered when the server stops on SIGTERM', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startMuteRootsClient(t, ctx);
  await rootsRequest(srv, 0);
  await srv.send({ id: 'held', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } } });
  await srv.send({ id: 'p', method: 'ping' });
  await srv.response('p');
  srv.child.kill('SIGTERM');
  await srv.closed;
  const answer = srv.messages.find((m) => m.id === 'held' && !('method' in m));
  assert.ok(answer, srv.diag('the held call was never answered'));
  assert.equal(answer.result?.isError, true, JSON.stringify(answer));
  assert.match(answer.result.content[0].text, /server is stopping/);
  assert.equal(srv.exit.code, 0, srv.diag(`exit ${JSON.stringify(srv.exit)}`));
  srv.assertCleanStdout();
});

test('a client that lists roots, none of them on this machine, is confined to nothing', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  for (const roots of [[{ uri: 'https://example.invalid/repo' }]]) {
    const srv = await startMuteRootsClient(t, ctx);
    const ask = await rootsRequest(srv, 0);
    await srv.send({ id: ask.id, result: { roots } });
    await srv.send({ id: 'call', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } } });
    const answer = await srv.response('call', 30_000);
    assert.equal(answer.result?.isError, true, `roots ${JSON.stringify(roots)}: ${JSON.stringify(answer)}`);
    assert.match(answer.result.content[0].text, /lists no file:\/\/ root/);
    srv.assertCleanStdout();
  }
});

test('a client that lists no roots at all is not confined by roots', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startMuteRootsClient(t, ctx);
  const ask = await rootsRequest(srv, 0);
  await srv.send({ id: ask.id, result: { roots: [] } });
  await srv.send({ id: 'call', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } } });
  const answer = await srv.response('call', 30_000);
  assert.equal(answer.result?.isError, undefined, JSON.stringify(answer));
  srv.assertCleanStdout();
});
