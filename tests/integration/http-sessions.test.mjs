// 2025 sessions over HTTP end when they should, and take their calls with them: DELETE cancels
// what they run, an idle session expires, the session and connection caps hold, and quiet SSE
// streams get keep-alive comments. The fake Codex runs what the sessions start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createContext, waitFor, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, childrenOf } from './lib/fault.mjs';
import { startHttpServer, post, modern } from './lib/http.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'needs --codex-bin';
const INIT = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

async function session(url) {
  const res = await post(url, INIT);
  assert.equal(res.status, 200, res.text);
  return res.headers.get('mcp-session-id');
}

const hang = (ctx, id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'start hang', cwd: ctx.workspace } } });

test('DELETE ends a session and cancels the calls it runs', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex() });
  const sid = await session(srv.url);
  const pending = post(srv.url, hang(ctx, 2), { headers: { 'mcp-session-id': sid } }).catch((e) => e);
  await waitFor(() => childrenOf(srv.pid).length === 1, { what: srv.diag('the run to start') });
  const del = await fetch(srv.url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
  assert.equal(del.status, 200);
  await waitFor(() => childrenOf(srv.pid).length === 0, { timeoutMs: 10_000, what: srv.diag('the run to be cancelled') });
  await pending; // its stream was cut
  const after = await post(srv.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { headers: { 'mcp-session-id': sid } });
  assert.equal(after.status, 404);
});

test('a session unused for --http-session-idle ends; one in use does not', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex(), args: ['--http-session-idle', '2'] });
  const idle = await session(srv.url);
  const busy = await session(srv.url);
  // A call in flight keeps its session alive however long it runs.
  const pending = post(srv.url, hang(ctx, 2), { headers: { 'mcp-session-id': busy } }).catch((e) => e);
  await waitFor(() => childrenOf(srv.pid).length === 1, { what: srv.diag('the run to start') });
  await waitFor(() => /session \w+… ended after 2 s unused/.test(srv.stderr), { timeoutMs: 15_000, what: srv.diag('the idle session to end') });
  const gone = await post(srv.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { headers: { 'mcp-session-id': idle } });
  assert.equal(gone.status, 404, gone.text);
  const alive = await post(srv.url, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, { headers: { 'mcp-session-id': busy } });
  assert.equal(alive.status, 200, alive.text);
  assert.equal(childrenOf(srv.pid).length, 1, 'the busy session\'s run was stopped');
  await srv.stop();
  await pending;
});

test('--http-max-sessions and --http-max-connections hold', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex(), args: ['--http-max-sessions', '2', '--http-max-connections', '4'] });
  await session(srv.url);
  await session(srv.url);
  const third = await post(srv.url, INIT);
  assert.equal(third.status, 503, third.text);
  assert.match(third.json.error.message, /too many sessions/);
  // Connections past the cap wait unaccepted until one of those open goes. (The client's own
  // keep-alive connections count: hold as many as fill the cap.)
  const port = Number(new URL(srv.url).port);
  const socks = [];
  const { body, headers } = modern(5, 'tools/list');
  const text = JSON.stringify(body);
  const request = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    'Accept: application/json, text/event-stream\r\n' +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`;
  const ask = () => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    const answer = { text: '', closed: false };
    s.on('data', (d) => { answer.text += d; });
    s.on('close', () => { answer.closed = true; });
    s.on('error', () => {});
    socks.push(s);
    return answer;
  };
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    socks.push(s);
  }
  const waiting = ask();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(waiting.text, '', 'a connection past the cap was served');
  for (const s of socks.slice(0, 4)) s.destroy();
  await waitFor(() => waiting.closed, { what: 'the waiting connection to be served' });
  assert.match(waiting.text, /^HTTP\/1.1 200 /);
  for (const s of socks) s.destroy();
});

test('a quiet SSE stream gets keep-alive comments', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex(), args: ['--http-keepalive', '1'] });
  const sid = await session(srv.url);
  const ac = new AbortController();
  t.after(() => ac.abort());
  const res = await fetch(srv.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid }, signal: ac.signal });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  let text = '';
  const started = Date.now();
  while (!text.includes(': keep-alive')) {
    const { value, done } = await reader.read();
    assert.ok(!done, 'the stream ended');
    text += new TextDecoder().decode(value);
  }
  assert.ok(Date.now() - started < 10_000);
});
