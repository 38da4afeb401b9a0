// Raw JSON-RPC against the 2026-07-28 era: every error code the revision names, each answered once
// with the request's id, and nothing else said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext } from './lib/harness.mjs';
import { startRaw } from './lib/raw-client.mjs';

const V = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} } };
const env = (caps = {}, extra = {}) => ({ [V]: '2026-07-28', [CAPS]: caps, ...extra });

async function answer(srv, msg) {
  const said = await srv.exchange(JSON.stringify({ jsonrpc: '2.0', ...msg }));
  assert.equal(said.length, 1, `one answer to ${JSON.stringify(msg)}: ${JSON.stringify(said)}`);
  assert.deepEqual(said[0].id, msg.id);
  return said[0];
}

async function assertError(srv, msg, code, re) {
  const got = await answer(srv, msg);
  assert.equal(got.error?.code, code, `${JSON.stringify(msg)} -> ${JSON.stringify(got)}`);
  if (re) assert.match(got.error.message, re);
  return got.error;
}

test('the envelope: -32602 when malformed, -32022 for a version not served', { timeout: 60_000 }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  await assertError(srv, { id: 1, method: 'tools/list', params: { _meta: { [V]: '2026-07-28' } } }, -32602, /clientCapabilities/);
  await assertError(srv, { id: 2, method: 'tools/list', params: { _meta: { [V]: 2026, [CAPS]: {} } } }, -32602);
  await assertError(srv, { id: 3, method: 'tools/list', params: { _meta: env({}, { 'io.modelcontextprotocol/logLevel': 'loud' }) } }, -32602);
  const unsupported = await assertError(srv, { id: 4, method: 'tools/list', params: { _meta: { [V]: 'v999.0.0', [CAPS]: {} } } }, -32022);
  assert.deepEqual(unsupported.data, { supported: ['2026-07-28'], requested: 'v999.0.0' });
  // No clientInfo is fine.
  const ok = await answer(srv, { id: 5, method: 'server/discover', params: { _meta: env() } });
  assert.equal(ok.result.resultType, 'complete');
  srv.assertCleanStdout();
});

test('methods 2026-07-28 does not have are -32601, initialize with an envelope among them', { timeout: 60_000 }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  let id = 10;
  for (const method of ['initialize', 'ping', 'logging/setLevel', 'tasks/result', 'tasks/list', 'resources/subscribe', 'no/such']) {
    await assertError(srv, { id: id++, method, params: { protocolVersion: '2025-11-25', capabilities: {}, level: 'info', _meta: env(TASKS) } }, -32601);
  }
  srv.assertCleanStdout();
});

test('capabilities come from each request alone: -32021 without the tasks extension', { timeout: 60_000 }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  // An earlier request that declared it does not count for a later one.
  await answer(srv, { id: 1, method: 'server/discover', params: { _meta: env(TASKS) } });
  for (const [i, method] of ['tasks/get', 'tasks/update', 'tasks/cancel'].entries()) {
    const e = await assertError(srv, { id: 20 + i, method, params: { taskId: 'x', inputResponses: {}, _meta: env() } }, -32021);
    assert.deepEqual(e.data, { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } });
  }
  // Declared, but no such task: -32602; a taskId that is no string: -32602.
  await assertError(srv, { id: 30, method: 'tasks/get', params: { taskId: 'nope', _meta: env(TASKS) } }, -32602, /no task/);
  await assertError(srv, { id: 31, method: 'tasks/cancel', params: { taskId: 7, _meta: env(TASKS) } }, -32602);
  await assertError(srv, { id: 32, method: 'tasks/update', params: { taskId: 'nope', inputResponses: [], _meta: env(TASKS) } }, -32602);
  // The 2025 "task" param is ignored on a modern call of a tool that is no run (one answered
  // from memory at once: the store's readers answer a moment later, off the loop).
  const listed = await answer(srv, { id: 33, method: 'tools/call', params: { name: 'list_running_agents', arguments: {}, task: { ttl: 5 }, _meta: env() } });
  assert.equal(listed.result.resultType, 'complete');
  assert.equal(listed.result.task, undefined);
  srv.assertCleanStdout();
});

test('a requestState the client changed, or moved to other arguments, is refused with -32602', { timeout: 60_000 }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  const call = (id, args, more = {}) => ({ id, method: 'tools/call', params: { name: 'codex', arguments: args, ...more, _meta: env({ roots: {} }) } });
  const args = { prompt: 'p', cwd: ctx.workspace };
  const first = await answer(srv, call(1, args));
  assert.equal(first.result.resultType, 'input_required');
  const state = first.result.requestState;
  assert.match(state, /^v1\./);
  const roots = { roots: { roots: [{ uri: `file://${ctx.workspace}` }] } };
  const flipped = state.slice(0, 10) + (state[10] === 'A' ? 'B' : 'A') + state.slice(11);
  await assertError(srv, call(2, args, { requestState: flipped, inputResponses: roots }), -32602, /requestState/);
  await assertError(srv, call(3, { ...args, prompt: 'other' }, { requestState: state, inputResponses: roots }), -32602, /requestState/);
  await assertError(srv, call(4, args, { requestState: 42, inputResponses: roots }), -32602);
  // Without the answer it asks again rather than fail.
  const again = await answer(srv, call(5, args, { requestState: state }));
  assert.equal(again.result.resultType, 'input_required');
  assert.equal(ctx.model.requests.length, 0, 'nothing ran');
  srv.assertCleanStdout();
});

test('a sealing key that cannot be read is said in the answer, and nothing runs', { timeout: 60_000 }, async (t) => {
  const ctx = await createContext(t);
  fs.mkdirSync(path.join(ctx.stateDir, 'seal.key'));
  const srv = startRaw(t, ctx);
  const call = { id: 1, method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'p', cwd: ctx.workspace }, _meta: env({ roots: {} }) } };
  await assertError(srv, call, -32603, /cannot ask for the client's roots: .*seal\.key/);
  // A client that declares no roots is not asked, and runs.
  const plain = await answer(srv, { id: 2, method: 'tools/call', params: { name: 'list_running_agents', arguments: {}, _meta: env() } });
  assert.equal(plain.result.resultType, 'complete');
  srv.assertCleanStdout();
});
