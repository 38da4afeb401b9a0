// Faults over HTTP, with the fake Codex: a client that reads slowly holds up its own run only, and
// one that stops reading its SSE stream is cut off while its run goes on; a client that leaves in
// the middle of an answer cancels it; 10,000 connections opened and dropped leave no descriptor
// behind and memory back down; SIGTERM answers what is in flight and exits within 2 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createContext, waitFor, delay, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, childrenOf, procStatusBytes, mib, MiB, SANITIZED } from './lib/fault.mjs';
import { startHttpServer, post, modern, fdCount, rawStreamingCall } from './lib/http.mjs';

const TIMEOUT = 180_000;
const SKIP = PEER_MODE && 'needs --codex-bin';
const rss = (pid) => procStatusBytes(pid, 'VmRSS');

/** The body of a chunked answer. */
function dechunk(raw) {
  let body = '';
  for (let at = 0; ;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.slice(at, eol), 16);
    if (!(size > 0)) return body;
    body += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

async function assertServing(url, what) {
  const { body, headers } = modern(99, 'tools/list');
  const res = await post(url, body, { headers });
  assert.equal(res.status, 200, `${what}: ${res.text}`);
}

test('a client that stops reading is cut off past --http-max-backlog; its run goes on, others are served', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex(), args: ['--codex-events', '--http-max-backlog', String(MiB)] });
  const port = Number(new URL(srv.url).port);
  const fdsBefore = fdCount(srv.pid);
  const { sock, head } = await rawStreamingCall(port, 1, 'codex', { prompt: 'flood 64M', cwd: ctx.workspace });
  assert.match(head, /^HTTP\/1.1 200 /);
  assert.match(head, /text\/event-stream/i);
  let closed = false;
  sock.on('close', () => { closed = true; });
  sock.on('error', () => {});
  // We read nothing: the server must give up on us, not hold the flood for us.
  await waitFor(() => /stopped reading/.test(srv.stderr), { timeoutMs: 60_000, what: srv.diag('the server to cut the client off') });
  await assertServing(srv.url, 'while the flood runs');
  // The run is not cancelled: the fake floods to its end and exits on its own.
  await waitFor(() => /task \w+ completed/.test(srv.stderr), { timeoutMs: 120_000, what: srv.diag('the run to complete') });
  sock.resume();
  await waitFor(() => closed, { timeoutMs: 30_000, what: 'the cut connection to close' });
  assert.ok(rss(srv.pid) < (SANITIZED ? 512 : 64) * MiB, `server RSS ${mib(rss(srv.pid))}`);
  await waitFor(() => fdCount(srv.pid) <= fdsBefore, { timeoutMs: 10_000, what: `descriptors back to ${fdsBefore} (now ${fdCount(srv.pid)})` });
});

test('a client that reads slowly holds up its own run only, and gets all of it', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  // ASan keeps freed memory in quarantine, where it would count as the stream's.
  const env = SANITIZED ? { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS}:quarantine_size_mb=0` } : {};
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex(), env, args: ['--codex-events', '--log-level', 'debug'] });
  const port = Number(new URL(srv.url).port);
  await assertServing(srv.url, 'at start');
  const before = rss(srv.pid);
  // 8 MiB of events, every one a codex/event on the stream (10 MiB of SSE), read in sips.
  const { sock, head } = await rawStreamingCall(port, 1, 'codex', { prompt: 'flood 8M 1K', cwd: ctx.workspace });
  assert.match(head, /^HTTP\/1.1 200 /);
  let text = head.slice(head.indexOf('\r\n\r\n') + 4);
  let ended = false;
  let peak = before;
  // What Node has buffered, every 20 ms: far slower than the flood.
  sock.setEncoding('latin1');
  const sipping = setInterval(() => {
    peak = Math.max(peak, rss(srv.pid));
    const d = sock.read();
    if (d) text += d;
    // The answer's last chunk ends it; the connection itself is kept alive.
    ended = text.endsWith('\r\n0\r\n\r\n');
  }, 20);
  t.after(() => clearInterval(sipping));
  await waitFor(() => /paused: the client has not read/.test(srv.stderr), { timeoutMs: 30_000, what: srv.diag('the run to be paused for its client') });
  // Meanwhile another client's run goes at its own pace.
  const { body, headers } = modern(2, 'tools/call', { name: 'codex', arguments: { prompt: 'flood 2M 1K', cwd: ctx.workspace } }, 'codex');
  const other = await post(srv.url, body, { headers });
  assert.equal(other.status, 200, other.text);
  assert.match(other.text, /fake flood done: \d+ events/);
  assert.ok(!ended, 'the slow client was served before the other one');
  // Without flow control, the stream would pass --http-max-backlog and the client be cut.
  await waitFor(() => ended, { timeoutMs: 60_000, what: srv.diag('the slow client to get all of its answer') });
  clearInterval(sipping);
  const answer = dechunk(text);
  const events = answer.match(/"method":"codex\/event"/g)?.length ?? 0;
  const done = /fake flood done: (\d+) events/.exec(answer);
  assert.ok(done, `no final answer in ${text.slice(-300)}`);
  assert.ok(events >= Number(done[1]), `${events} codex/event for ${done[1]} events flooded`);
  // The stream held a little at a time, not the flood.
  assert.ok(peak - before < (SANITIZED ? 8 : 2) * MiB, `server RSS grew by ${mib(peak - before)}`);
});

test('a client that leaves in the middle of an SSE answer cancels it; nothing leaks', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex(), args: ['--codex-events'] });
  const port = Number(new URL(srv.url).port);
  await assertServing(srv.url, 'at start');
  const fdsBefore = fdCount(srv.pid);
  const { sock } = await rawStreamingCall(port, 1, 'codex', { prompt: 'start flood 4M hang', cwd: ctx.workspace });
  sock.resume();
  let bytes = 0;
  await new Promise((r) => sock.on('data', (d) => { bytes += d.length; if (bytes > 256 * 1024) r(); }));
  await waitFor(() => childrenOf(srv.pid).length > 0, { what: 'the fake Codex to run' });
  sock.destroy(); // in the middle of the answer
  await waitFor(() => childrenOf(srv.pid).length === 0, { timeoutMs: 10_000, what: srv.diag('the run to be cancelled') });
  await waitFor(() => fdCount(srv.pid) <= fdsBefore, { timeoutMs: 10_000, what: `descriptors back to ${fdsBefore} (now ${fdCount(srv.pid)})` });
  await assertServing(srv.url, 'after');
});

test('10,000 connections opened and dropped leave no descriptor behind and memory back down', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex() });
  const port = Number(new URL(srv.url).port);
  await assertServing(srv.url, 'at start');
  // Warm up the allocator with one round, then measure from there.
  const round = async (n) => {
    const kinds = [
      '',                                                         // connect and leave
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n',                // half the headers
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc"', // half a body
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
        'MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/list\r\nContent-Length: 125\r\n\r\n' +
        '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'.slice(0, 125),
    ];
    for (let done = 0; done < n; done += 250) {
      await Promise.all(Array.from({ length: 250 }, (_, i) => new Promise((resolve) => {
        const sock = net.connect(port, '127.0.0.1', () => {
          const kind = kinds[(done + i) % kinds.length];
          if (kind) sock.write(kind);
          setImmediate(() => sock.destroy());
        });
        sock.on('error', () => {});
        sock.on('close', resolve);
      })));
    }
  };
  await round(1000);
  await delay(500);
  const fdsBefore = fdCount(srv.pid);
  const rssBefore = rss(srv.pid);
  await round(10_000);
  await waitFor(() => fdCount(srv.pid) <= fdsBefore, { timeoutMs: 15_000, what: `descriptors back to ${fdsBefore} (now ${fdCount(srv.pid)})` });
  // The server gives memory back a second after a burst of connections ends. AddressSanitizer's
  // allocator keeps freed memory in quarantine by design: memory is checked in the plain run.
  if (!SANITIZED) {
    await waitFor(() => rss(srv.pid) <= rssBefore + 4 * MiB, { timeoutMs: 10_000,
      what: `memory to come back down: ${mib(rssBefore)} before, ${mib(rss(srv.pid))} now` });
  }
  await assertServing(srv.url, 'after the storm');
});

test('SIGTERM answers the calls in flight with "server is stopping" and exits within 2 s', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startHttpServer(ctx, { codexBin: fakeCodex() });
  // A legacy session's call and a modern call, both on a run that never ends by itself.
  const init = await post(srv.url, { jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  const sid = init.headers.get('mcp-session-id');
  const legacy = post(srv.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'codex', arguments: { prompt: 'start hang', cwd: ctx.workspace } } },
    { headers: { 'mcp-session-id': sid } });
  const m = modern(3, 'tools/call', { name: 'codex', arguments: { prompt: 'start hang', cwd: ctx.workspace } }, 'codex');
  const current = post(srv.url, m.body, { headers: m.headers });
  await waitFor(() => childrenOf(srv.pid).length === 2, { what: srv.diag('both runs to start') });
  const started = Date.now();
  srv.child.kill('SIGTERM');
  const [a, b] = await Promise.all([legacy, current]);
  for (const [what, res] of [['2025', a], ['2026', b]]) {
    assert.equal(res.status, 200, `${what}: ${res.text}`);
    assert.equal(res.json?.result?.isError, true, `${what}: ${res.text}`);
    assert.match(JSON.stringify(res.json.result.content), /server is stopping|stopped/, `${what}: ${res.text}`);
  }
  await srv.exitPromise;
  const took = Date.now() - started;
  assert.deepEqual({ code: srv.exited.code, signal: srv.exited.signal }, { code: 0, signal: null }, srv.diag());
  assert.ok(took < (SANITIZED ? 8000 : 4000), `exit took ${took} ms`);
  await ctx.assertNoCodexProcesses(2000, 'after SIGTERM:');
});
