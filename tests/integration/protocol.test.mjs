// MCP / JSON-RPC conformance of the stdio transport, with raw newline-delimited JSON over
// child_process (no SDK): version negotiation, error codes, notifications, framing limits,
// logging, and tool argument errors. Every stdout line must be a JSON-RPC 2.0 message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { startRaw, initialize } from './lib/raw-client.mjs';

const MAX = 64 * 1024 * 1024; // the server's default --max-message-bytes (67108864)
const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

const rpc = (msg) => JSON.stringify({ jsonrpc: '2.0', ...msg });

/** Assert that `answers` is exactly one JSON-RPC error with `code` and `id`. */
function assertOneError(srv, what, answers, code, id) {
  assert.equal(answers.length, 1, srv.diag(`${what}: expected one answer, got ${JSON.stringify(answers)}`));
  const [a] = answers;
  assert.ok(a.error, `${what}: expected an error, got ${JSON.stringify(a)}`);
  assert.equal(a.error.code, code, `${what}: wrong error code in ${JSON.stringify(a)}`);
  assert.equal(typeof a.error.message, 'string');
  assert.ok(a.error.message.length > 0, `${what}: empty error message`);
  assert.deepEqual(a.id, id, `${what}: wrong id in ${JSON.stringify(a)}`);
  assert.ok(!('result' in a), `${what}: error with a result`);
}

/** A ping whose line is exactly `size` bytes (ASCII), padded in params._meta. */
function pingOfSize(id, size) {
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"ping","params":{"_meta":{"padding":"`;
  const tail = '"}}}';
  const pad = size - head.length - tail.length;
  assert.ok(pad > 0);
  const line = head + 'x'.repeat(pad) + tail;
  assert.equal(Buffer.byteLength(line), size);
  return line;
}

test('initialize echoes supported protocol versions and offers the newest otherwise', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const cases = [
    ['2025-11-25', '2025-11-25'],
    ['2025-06-18', '2025-06-18'],
    ['2025-03-26', '2025-03-26'],
    ['2024-11-05', '2024-11-05'],
    ['1999-01-01', '2025-11-25'],
  ];
  for (const [asked, expected] of cases) {
    const srv = startRaw(t, ctx);
    await srv.send({ id: 1, method: 'initialize', params: {
      protocolVersion: asked, capabilities: {}, clientInfo: { name: 'raw-test', version: '0' } } });
    const init = await srv.response(1);
    assert.ok(init.result, srv.diag(`initialize(${asked}) failed: ${JSON.stringify(init)}`));
    if (!PEER_MODE) assert.equal(init.result.protocolVersion, expected, `initialize(${asked})`);
    const caps = init.result.capabilities;
    assert.ok(caps && typeof caps.tools === 'object', `capabilities lack tools: ${JSON.stringify(caps)}`);
    if (!PEER_MODE) assert.ok(caps && typeof caps.logging === 'object', `capabilities lack logging: ${JSON.stringify(caps)}`);
    const info = init.result.serverInfo;
    assert.ok(info && typeof info.name === 'string' && info.name.length > 0, `serverInfo.name missing: ${JSON.stringify(info)}`);
    assert.ok(typeof info.version === 'string' && info.version.length > 0, `serverInfo.version missing: ${JSON.stringify(info)}`);
    await srv.send({ method: 'notifications/initialized' });

    // A second initialize is an invalid request; the session keeps its version.
    const again = await srv.exchange(rpc({ id: 2, method: 'initialize', params: {
      protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw-test', version: '0' } } }));
    assertOneError(srv, 'second initialize', again, -32600, 2);
    srv.assertCleanStdout();
    srv.child.stdin.end();
    const exit = await srv.exited;
    assert.equal(exit.code, 0, srv.diag(`server exit ${JSON.stringify(exit)}`));
  }
});

test('malformed traffic gets the JSON-RPC error codes; notifications and responses get nothing', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  await initialize(srv);

  // Parse errors: id null.
  for (const line of ['{not json', '{"jsonrpc":"2.0","id":3,"method":"ping"', '\u00ff\u00fe garbage', '{"a":1}}']) {
    assertOneError(srv, `unparsable ${JSON.stringify(line)}`, await srv.exchange(line), -32700, null);
  }

  // Invalid requests: the id is echoed when it is a valid id, else null.
  const invalid = [
    ['missing jsonrpc', '{"id":20,"method":"ping"}', 20],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","id":21,"method":"ping"}', 21],
    ['jsonrpc number', '{"jsonrpc":2.0,"id":22,"method":"ping"}', 22],
    ['missing method', '{"jsonrpc":"2.0","id":23}', 23],
    ['method not a string', '{"jsonrpc":"2.0","id":24,"method":7}', 24],
    ['method null', '{"jsonrpc":"2.0","id":25,"method":null}', 25],
    ['id null', '{"jsonrpc":"2.0","id":null,"method":"ping"}', null],
    ['id object', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', null],
    ['id array', '{"jsonrpc":"2.0","id":[1],"method":"ping"}', null],
    ['id boolean', '{"jsonrpc":"2.0","id":true,"method":"ping"}', null],
    ['a number', '42', null],
    ['a string', '"ping"', null],
    ['a batch', `[${rpc({ id: 26, method: 'ping' })}]`, null],
  ];
  for (const [what, line, id] of invalid) {
    assertOneError(srv, what, await srv.exchange(line), -32600, id);
  }

  // Unknown methods.
  assertOneError(srv, 'unknown method', await srv.exchange(rpc({ id: 30, method: 'no/such/method' })), -32601, 30);
  assertOneError(srv, 'unknown method, string id', await srv.exchange(rpc({ id: 'm-31', method: 'resources/list', params: {} })), -32601, 'm-31');

  // tools/call with bad params.
  const badCalls = [
    ['unknown tool', { id: 40, method: 'tools/call', params: { name: 'no-such-tool', arguments: {} } }],
    ['name missing', { id: 41, method: 'tools/call', params: { arguments: { prompt: 'x' } } }],
    ['name not a string', { id: 42, method: 'tools/call', params: { name: 5, arguments: { prompt: 'x' } } }],
    ['arguments a string', { id: 43, method: 'tools/call', params: { name: 'codex', arguments: 'prompt' } }],
    ['arguments an array', { id: 44, method: 'tools/call', params: { name: 'codex', arguments: [{ prompt: 'x' }] } }],
    ['arguments a number', { id: 45, method: 'tools/call', params: { name: 'codex', arguments: 5 } }],
    ['no params', { id: 46, method: 'tools/call' }],
  ];
  for (const [what, msg] of badCalls) {
    assertOneError(srv, `tools/call ${what}`, await srv.exchange(rpc(msg)), -32602, msg.id);
  }

  // Notifications, known and unknown, get no answer (not even for request methods).
  const notifications = [
    { method: 'notifications/initialized' },
    { method: 'notifications/cancelled', params: { requestId: 12345, reason: 'never sent' } },
    { method: 'notifications/cancelled', params: { requestId: 'no-such-request' } },
    { method: 'notifications/progress', params: { progressToken: 'tok', progress: 1 } },
    { method: 'notifications/roots/list_changed' },
    { method: 'notifications/no-such-thing', params: { a: 1 } },
    { method: 'some/unknown/method' },
    { method: 'ping' },
    { method: 'tools/list', params: {} },
  ];
  for (const n of notifications) {
    assert.deepEqual(await srv.exchange(rpc(n)), [], `notification ${JSON.stringify(n)} was answered`);
  }

  // Responses to ids this server never used get no answer.
  const responses = [
    { id: 4242, result: {} },
    { id: 'never-sent', result: { anything: true } },
    { id: 77, error: { code: -32601, message: 'nope' } },
    { id: null, error: { code: -32700, message: 'parse error' } },
  ];
  for (const r of responses) {
    assert.deepEqual(await srv.exchange(rpc(r)), [], `response ${JSON.stringify(r)} was answered`);
  }

  // CRLF lines are requests like any other; empty lines are skipped without an answer.
  const crlf = await srv.exchange(`${rpc({ id: 'crlf', method: 'ping' })}\r`);
  assert.deepEqual(crlf, [{ jsonrpc: '2.0', id: 'crlf', result: {} }]);
  assert.deepEqual(await srv.exchange(''), [], 'an empty line was answered');
  assert.deepEqual(await srv.exchange('\r'), [], 'an empty CRLF line was answered');
  await srv.writeRaw('\n\n\r\n\n');
  const list = await srv.exchange(rpc({ id: 'after-blank', method: 'tools/list' }));
  assert.equal(list.length, 1);
  assert.equal(list[0].id, 'after-blank');
  assert.ok(list[0].result?.tools?.some((x) => x.name === 'codex'), srv.diag('tools/list after blank lines'));

  // Two requests in one write, one split over two writes.
  await srv.writeRaw(`${rpc({ id: 'two-a', method: 'ping' })}\n${rpc({ id: 'two-b', method: 'ping' })}\n`);
  const split = rpc({ id: 'split', method: 'ping' });
  await srv.writeRaw(split.slice(0, 10));
  await srv.writeRaw(`${split.slice(10)}\n`);
  for (const id of ['two-a', 'two-b', 'split']) assert.deepEqual((await srv.response(id)).result, {});

  assert.equal(ctx.model.requests.length, 0, 'nothing here may reach the model');
  assert.deepEqual(ctx.codexProcesses(), [], 'nothing here may start Codex');
  srv.assertCleanStdout();
});

test('a 64 MiB line is served; a longer one is a parse error and the server goes on', { timeout: 120_000, skip: PEER_MODE && 'our limit' }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  await initialize(srv);

  // Exactly the limit, with LF and with CRLF.
  assert.deepEqual(await srv.exchange(pingOfSize('big', MAX), 60_000), [{ jsonrpc: '2.0', id: 'big', result: {} }],
    srv.diag('64 MiB ping'));
  assert.deepEqual(await srv.exchange(`${pingOfSize('big-crlf', MAX)}\r`, 60_000), [{ jsonrpc: '2.0', id: 'big-crlf', result: {} }],
    srv.diag('64 MiB ping with CRLF'));

  // One byte over: -32700 with id null, then the next request is served.
  assertOneError(srv, '64 MiB + 1 byte', await srv.exchange(pingOfSize('too-big', MAX + 1), 60_000), -32700, null);
  assert.deepEqual((await srv.exchange(rpc({ id: 'after-1', method: 'ping' }))), [{ jsonrpc: '2.0', id: 'after-1', result: {} }]);

  // Far over (the server has to discard across many reads).
  assertOneError(srv, '72 MiB', await srv.exchange(pingOfSize('way-too-big', MAX + 8 * 1024 * 1024), 60_000), -32700, null);
  assert.deepEqual((await srv.exchange(rpc({ id: 'after-2', method: 'ping' }))), [{ jsonrpc: '2.0', id: 'after-2', result: {} }]);

  // The oversized requests were never answered under their own ids.
  assert.equal(srv.messages.filter((m) => m.id === 'too-big' || m.id === 'way-too-big').length, 0);
  srv.assertCleanStdout();
  srv.child.stdin.end();
  const exit = await srv.exited;
  assert.equal(exit.code, 0, srv.diag(`server exit ${JSON.stringify(exit)}`));
});

test('logging/setLevel turns on notifications/message; none before', { timeout: TEST_TIMEOUT, skip: PEER_MODE && 'our logging' }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  await initialize(srv);
  const logs = () => srv.messages.filter((m) => m.method === 'notifications/message');

  await srv.send({ id: 'call-1', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'before logging', cwd: ctx.workspace } } });
  const first = await srv.response('call-1');
  assert.ok(first.result && !first.result.isError, srv.diag(`call-1: ${JSON.stringify(first)}`));
  assert.deepEqual(logs(), [], 'notifications/message before logging/setLevel');

  // A bad level is invalid params and changes nothing.
  assertOneError(srv, 'setLevel bogus', await srv.exchange(rpc({ id: 'lvl-bad', method: 'logging/setLevel', params: { level: 'loud' } })), -32602, 'lvl-bad');

  assert.deepEqual(await srv.exchange(rpc({ id: 'lvl', method: 'logging/setLevel', params: { level: 'debug' } })),
    [{ jsonrpc: '2.0', id: 'lvl', result: {} }]);
  const before = srv.messages.length;
  await srv.send({ id: 'call-2', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'with logging', cwd: ctx.workspace } } });
  const second = await srv.response('call-2');
  assert.ok(second.result && !second.result.isError, srv.diag(`call-2: ${JSON.stringify(second)}`));
  const during = srv.messages.slice(before, srv.messages.indexOf(second)).filter((m) => m.method === 'notifications/message');
  assert.ok(during.length >= 1, srv.diag(`no notifications/message during the call after setLevel debug: ${JSON.stringify(srv.messages.slice(before))}`));
  for (const m of logs()) {
    assert.ok(LEVELS.includes(m.params?.level), `bad level in ${JSON.stringify(m)}`);
    assert.ok('data' in m.params, `no data in ${JSON.stringify(m)}`);
    assert.ok(!('id' in m), 'a log message must be a notification');
  }

  // At "error", a successful call logs nothing below error.
  assert.deepEqual(await srv.exchange(rpc({ id: 'lvl-err', method: 'logging/setLevel', params: { level: 'error' } })),
    [{ jsonrpc: '2.0', id: 'lvl-err', result: {} }]);
  const mark = srv.messages.length;
  await srv.send({ id: 'call-3', method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'quiet again', cwd: ctx.workspace } } });
  const third = await srv.response('call-3');
  assert.ok(third.result && !third.result.isError, srv.diag(`call-3: ${JSON.stringify(third)}`));
  const low = srv.messages.slice(mark).filter((m) => m.method === 'notifications/message' &&
    LEVELS.indexOf(m.params.level) < LEVELS.indexOf('error'));
  assert.deepEqual(low, [], 'log messages below the level set');
  srv.assertCleanStdout();
});

test('tool argument errors are isError results naming the argument', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  await initialize(srv);
  const cases = [
    ['codex', { prompt: 5 }, 'prompt'],
    ['codex', {}, 'prompt'],
    ['codex', { prompt: 'x', sandbox: 'bogus' }, 'sandbox'],
    ['codex', { prompt: 'x', 'approval-policy': 'sometimes' }, 'approval-policy'],
    ['codex', { prompt: 'x', config: 'model=x' }, 'config'],
    ['codex', { prompt: 'x', cwd: 7 }, 'cwd'],
    ['codex', { prompt: 'x', 'bogus-argument': 1 }, 'bogus-argument'],
    ['codex-reply', { threadId: 'abc', prompt: 5 }, 'prompt'],
    ['codex-reply', { prompt: 'x' }, 'threadId'],
  ];
  let id = 100;
  for (const [name, args, names] of cases) {
    const what = `${name} ${JSON.stringify(args)}`;
    const answers = await srv.exchange(rpc({ id: ++id, method: 'tools/call', params: { name, arguments: args } }));
    assert.equal(answers.length, 1, srv.diag(`${what}: ${JSON.stringify(answers)}`));
    const [a] = answers;
    assert.equal(a.id, id);
    assert.ok(a.result, `${what}: expected a tool result, got ${JSON.stringify(a)}`);
    assert.equal(a.result.isError, true, `${what}: expected isError: ${JSON.stringify(a)}`);
    const text = (a.result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
    assert.ok(text.includes(names), `${what}: error text does not name ${names}: ${text}`);
  }
  assert.equal(ctx.model.requests.length, 0, 'a rejected call reached the model');
  assert.deepEqual(ctx.codexProcesses(), [], 'a rejected call started Codex');
  srv.assertCleanStdout();
});
