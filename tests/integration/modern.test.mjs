// MCP 2026-07-28 beside 2025-11-25 over stdio, through the official TypeScript client 2.4.0 in its
// three modes, against the real Codex and the scripted model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, resultText } from './lib/harness.mjs';
import { connectModern, MODERN_VERSION, META } from './lib/modern-client.mjs';

const TIMEOUT = 120_000;

function connect(ctx, opts) {
  const spec = ctx.serverCommand(opts.server);
  return connectModern(spec.command, spec.args, spec.env, { ctx, cwd: ctx.root, ...opts });
}

/** Every result the server sent on a modern connection says its resultType and who answered. */
function assertModernResults(conn) {
  const results = conn.wire.received.filter((m) => 'result' in m);
  assert.ok(results.length > 0, 'no results seen');
  for (const m of results) {
    assert.ok(['complete', 'input_required', 'task'].includes(m.result.resultType), `resultType: ${JSON.stringify(m)}`);
    assert.equal(m.result._meta?.[META.serverInfo]?.name, 'codex-mcp', `serverInfo: ${JSON.stringify(m)}`);
  }
}

async function codexThenReply(ctx, conn) {
  const first = await conn.client.callTool({ name: 'codex', arguments: { prompt: 'hello modern', cwd: ctx.workspace } });
  assert.equal(resultText(first), 'echo: hello modern [user messages: 1]');
  const threadId = first.structuredContent.threadId;
  assert.match(threadId, /^[0-9a-f-]{36}$/);
  const second = await conn.client.callTool({ name: 'codex-reply', arguments: { threadId, prompt: 'and again' } });
  assert.equal(resultText(second), 'echo: and again [user messages: 2]');
  assert.equal(second.structuredContent.threadId, threadId);
}

for (const mode of ['pin', 'auto']) {
  test(`2.4.0 client (${mode}) speaks 2026-07-28: discover, tools/list, codex and codex-reply`, { timeout: TIMEOUT }, async (t) => {
    const ctx = await createContext(t);
    const conn = await connect(ctx, { mode });
    assert.equal(conn.era, 'modern');
    assert.equal(conn.version, MODERN_VERSION);
    assert.deepEqual(conn.discover.supportedVersions, [MODERN_VERSION]);
    assert.match(conn.discover.instructions, /Codex/);
    assert.ok(conn.discover.capabilities.extensions['io.modelcontextprotocol/tasks']);
    assert.equal(conn.discover.capabilities.tasks, undefined, 'no 2025 tasks capability in 2026');
    // No initialize went over the wire: the era is per message, without a handshake.
    assert.equal(conn.wire.sent.filter((m) => m.method === 'initialize').length, 0);

    const { tools } = await conn.client.listTools();
    assert.ok(tools.some((x) => x.name === 'codex') && tools.some((x) => x.name === 'spawn_agent'));
    for (const tool of tools) assert.equal(tool.execution, undefined, `${tool.name} has no execution in 2026`);
    const listed = conn.wire.received.find((m) => m.result?.tools);
    assert.ok(Number.isInteger(listed.result.ttlMs) && ['public', 'private'].includes(listed.result.cacheScope));

    await codexThenReply(ctx, conn);
    assertModernResults(conn);
    for (const m of conn.wire.sent.filter((x) => x.method === 'tools/call')) {
      assert.equal(m.params._meta[META.protocolVersion], MODERN_VERSION, 'every request carries its envelope');
    }
  });
}

test('2.4.0 client by default stays on 2025-11-25, exactly as before', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const conn = await connect(ctx, { mode: 'legacy' });
  assert.equal(conn.era, 'legacy');
  assert.equal(conn.version, '2025-11-25');
  assert.ok(conn.serverCapabilities.tasks, 'the 2025 tasks capability on a legacy session');
  const { tools } = await conn.client.listTools();
  assert.deepEqual(tools.find((x) => x.name === 'codex').execution, { taskSupport: 'optional' });
  await codexThenReply(ctx, conn);
  for (const m of conn.wire.received.filter((x) => 'result' in x)) {
    assert.equal(m.result.resultType, undefined, `no resultType on the legacy wire: ${JSON.stringify(m)}`);
  }
});

test('a modern client that declares roots is asked for them, and runs stay inside', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const roots = [{ uri: `file://${ctx.workspace}`, name: 'workspace' }];
  const conn = await connect(ctx, { mode: 'pin', roots });
  const inside = await conn.client.callTool({ name: 'codex', arguments: { prompt: 'inside', cwd: ctx.workspace } });
  assert.equal(resultText(inside), 'echo: inside [user messages: 1]');
  // The client answered an input_required round, with the sealed state echoed on a new id.
  const asked = conn.wire.received.filter((m) => m.result?.resultType === 'input_required');
  assert.equal(asked.length, 1);
  assert.equal(asked[0].result.inputRequests.roots.method, 'roots/list');
  const retry = conn.wire.sent.filter((m) => m.method === 'tools/call').at(-1);
  assert.equal(retry.params.requestState, asked[0].result.requestState);
  assert.notEqual(retry.id, asked[0].id);

  const outside = await conn.client.callTool({ name: 'codex', arguments: { prompt: 'outside', cwd: ctx.home } });
  assert.equal(outside.isError, true);
  assert.match(resultText(outside), /outside the client's roots/);
  assert.equal(ctx.model.requests.length, 1, 'the refused run never reached the model');
});

test('a client that declares roots and lists none is not confined (the Inspector does that)', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  for (const mode of ['pin', 'legacy']) {
    const conn = await connect(ctx, { mode, roots: [] });
    const res = await conn.client.callTool({ name: 'codex', arguments: { prompt: `no roots ${mode}`, cwd: ctx.workspace } });
    assert.equal(res.isError, undefined, `${mode}: ${resultText(res)}`);
    assert.equal(resultText(res), `echo: no roots ${mode} [user messages: 1]`);
    await conn.close();
  }
});
