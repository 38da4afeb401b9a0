// Bad input over HTTP: each malformed request gets the spec's status and a JSON-RPC error, and the
// server keeps serving. Origin and Host are checked; a slowloris client is dropped; GET and DELETE
// follow the 2025 session rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createContext, waitFor, TEST_TIMEOUT } from './lib/harness.mjs';
import { startHttpServer, post, modern } from './lib/http.mjs';

const INIT = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

function assertError(res, status, code, re, what) {
  assert.equal(res.status, status, `${what}: status ${res.status}, body ${res.text}`);
  assert.equal(res.json?.jsonrpc, '2.0', `${what}: not a JSON-RPC answer: ${res.text}`);
  assert.equal(res.json.error?.code, code, `${what}: ${res.text}`);
  if (re) assert.match(res.json.error.message, re, what);
}

/** Every answer must leave the server serving: a modern tools/list still works. */
async function assertServing(url) {
  const { body, headers } = modern(99, 'tools/list');
  const res = await post(url, body, { headers });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.json.result.tools.length > 0);
}

test('malformed requests get their status and a JSON-RPC error', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { args: ['--max-message-bytes', '65536'] });
  const url = srv.url;

  assertError(await post(url, '{not json', { raw: true }), 400, -32700, /parse error/, 'non-JSON');
  assertError(await post(url, '', { raw: true }), 400, -32700, null, 'empty body');
  assertError(await post(url, INIT, { headers: { 'content-type': 'text/plain' } }), 415, -32600, /Content-Type/, 'text/plain');
  assertError(await post(url, INIT, { headers: { accept: 'application/json' } }), 406, -32600, /Accept/, 'Accept without SSE');
  assertError(await post(url, INIT, { headers: { accept: 'text/event-stream' } }), 406, -32600, /Accept/, 'Accept without JSON');
  assertError(await post(url, [INIT], {}), 400, -32600, /batch/, 'a batch');
  assertError(await post(url, { jsonrpc: '1.0', id: 1, method: 'x' }), 400, -32600, /invalid request/, 'not JSON-RPC 2.0');
  assertError(await post(url, 'x'.repeat(70000), { raw: true }), 413, -32600, /longer than 65536/, 'a body over the limit');
  await assertServing(url);

  // 2025: no session, an unknown one, a wrong version header.
  const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
  assertError(await post(url, list), 400, -32600, /Mcp-Session-Id/, 'no session');
  assertError(await post(url, list, { headers: { 'mcp-session-id': 'f'.repeat(32) } }), 404, -32001, /session not found/, 'unknown session');
  const init = await post(url, INIT);
  assert.equal(init.status, 200, init.text);
  const sid = init.headers.get('mcp-session-id');
  assert.match(sid, /^[0-9a-f]{32}$/);
  assertError(await post(url, list, { headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' } }), 400, -32600,
    /MCP-Protocol-Version/, 'unsupported version header');
  const ok = await post(url, list, { headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
  assert.equal(ok.status, 200);
  assert.ok(ok.json.result.tools.length > 0);

  // 2026: headers must match the body.
  const call = modern(3, 'tools/call', { name: 'get_agent_status', arguments: { task_id: 'nope' } }, 'get_agent_status');
  assertError(await post(url, call.body, { headers: { ...call.headers, 'mcp-name': 'kill_agent' } }), 400, -32020, /Mcp-Name/, 'Mcp-Name differs');
  const noName = { ...call.headers };
  delete noName['mcp-name'];
  assertError(await post(url, call.body, { headers: noName }), 400, -32020, /Mcp-Name/, 'Mcp-Name missing');
  assertError(await post(url, call.body, { headers: { ...call.headers, 'mcp-method': 'tools/list' } }), 400, -32020, /Mcp-Method/, 'Mcp-Method differs');
  const noVersion = { ...call.headers };
  delete noVersion['mcp-protocol-version'];
  assertError(await post(url, call.body, { headers: noVersion }), 400, -32020, /MCP-Protocol-Version/, 'version header missing');
  // Base64-encoded header values are decoded before they are compared.
  const b64 = `=?base64?${Buffer.from('get_agent_status').toString('base64')}?=`;
  const encoded = await post(url, call.body, { headers: { ...call.headers, 'mcp-name': b64 } });
  assert.equal(encoded.status, 200, encoded.text);
  assert.equal(encoded.json.result.isError, true, 'an unknown task is a tool error, not a protocol one');
  // A modern header with a body that has no envelope; an unknown version; a removed method.
  assertError(await post(url, list, { headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' } }), 400, -32602,
    /_meta/, 'no envelope');
  const v999 = modern(4, 'tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' } });
  const r999 = await post(url, v999.body, { headers: { ...v999.headers, 'mcp-protocol-version': 'v999.0.0' } });
  assertError(r999, 400, -32022, null, 'unsupported version');
  assert.deepEqual(r999.json.error.data, { supported: ['2026-07-28'], requested: 'v999.0.0' });
  // A long version of many-byte characters: the message quoting it stays valid JSON text.
  const long = `2026-${'é'.repeat(40)}`;
  const vlong = modern(7, 'tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': long } });
  const rlong = await post(url, vlong.body, { headers: { ...vlong.headers, 'mcp-protocol-version': `=?base64?${Buffer.from(long).toString('base64')}?=` } });
  assertError(rlong, 400, -32022, /unsupported protocol version/, 'a long non-ASCII version');
  assert.equal(rlong.json.error.data.requested, long);
  const ping = modern(5, 'ping');
  assertError(await post(url, ping.body, { headers: ping.headers }), 404, -32601, null, 'a removed method');
  const unknown = modern(6, 'no/such');
  assertError(await post(url, unknown.body, { headers: unknown.headers }), 404, -32601, null, 'an unknown method');
  // A notification is accepted with 202 and no body.
  const note = await post(url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
    { headers: { 'mcp-session-id': sid } });
  assert.equal(note.status, 202);
  assert.equal(note.text, '');
  await assertServing(url);
});

test('Origin and Host are checked; paths and methods other than ours are refused', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { args: ['--http-allow-origin', 'https://app.example.org'] });
  const url = srv.url;
  const port = new URL(url).port;
  const list = modern(1, 'tools/list');

  assertError(await post(url, list.body, { headers: { ...list.headers, origin: 'http://evil.example.com' } }), 403, -32000, /Origin/, 'foreign origin');
  assertError(await post(url, list.body, { headers: { ...list.headers, origin: 'null' } }), 403, -32000, /Origin/, 'null origin');
  for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`, 'https://app.example.org']) {
    const res = await post(url, list.body, { headers: { ...list.headers, origin } });
    assert.equal(res.status, 200, `${origin}: ${res.text}`);
  }
  // DNS rebinding: a foreign Host is refused, loopback names are served on any port.
  for (const [host, status] of [['evil.example.com', 403], [`evil.example.com:${port}`, 403], ['localhost', 200],
    [`127.0.0.1:${port}`, 200], ['[::1]:9', 200]]) {
    const res = await rawHttp(port, `POST /mcp HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      'Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/list\r\n' +
      `Content-Length: ${Buffer.byteLength(JSON.stringify(list.body))}\r\nConnection: close\r\n\r\n${JSON.stringify(list.body)}`);
    assert.match(res, new RegExp(`^HTTP/1.1 ${status} `), `Host ${host}: ${res.slice(0, 200)}`);
  }
  const wrongPath = await fetch(new URL('/other', url), { method: 'POST' });
  assert.equal(wrongPath.status, 404);
  const put = await fetch(url, { method: 'PUT' });
  assert.equal(put.status, 405);
  // No 2025 session: GET and DELETE have nothing to serve.
  assert.equal((await fetch(url, { headers: { accept: 'text/event-stream' } })).status, 405);
  assert.equal((await fetch(url, { method: 'DELETE' })).status, 405);
  assert.equal((await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' } })).status, 404);
  // No OAuth: no metadata.
  assert.equal((await fetch(new URL('/.well-known/oauth-protected-resource', url))).status, 404);
  await assertServing(url);
});

test('a 2025 session: GET stream, DELETE ends it, and what it ended is gone', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx);
  const url = srv.url;
  const init = await post(url, INIT);
  const sid = init.headers.get('mcp-session-id');
  const ac = new AbortController();
  const get = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid }, signal: ac.signal });
  assert.equal(get.status, 200);
  assert.match(get.headers.get('content-type'), /text\/event-stream/);
  const reader = get.body.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /^: /, 'the stream opens with a comment');
  ac.abort();
  const del = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
  assert.equal(del.status, 200);
  const after = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { headers: { 'mcp-session-id': sid } });
  assertError(after, 404, -32001, /session not found/, 'a deleted session');
  assert.equal((await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sid } })).status, 404);
});

test('a slowloris client is dropped after --http-timeout while others are served', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { args: ['--http-timeout', '2'] });
  const port = Number(new URL(srv.url).port);
  const sock = net.connect(port, '127.0.0.1');
  let closed = false;
  sock.on('close', () => { closed = true; });
  sock.on('error', () => {});
  await new Promise((r) => sock.once('connect', r));
  sock.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  const started = Date.now();
  // Meanwhile the server answers everyone else at once.
  await assertServing(srv.url);
  assert.ok(!closed, 'dropped too early');
  await waitFor(() => closed, { timeoutMs: 15_000, what: 'the slow connection to be closed' });
  assert.ok(Date.now() - started >= 1500, 'closed before the timeout');
  await assertServing(srv.url);
});

/** Sends raw bytes, returns the raw answer (the server closes after it). */
function rawHttp(port, text) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(text));
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}
