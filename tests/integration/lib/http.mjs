// codex-mcp over Streamable HTTP, for tests: start it on a free loopback port, and connect the
// official clients to it.
//
//   const srv = await startHttpServer(ctx, { args: [...] });  // srv.url, srv.pid, srv.stderr, srv.diag()
//   const c = await connectLegacyHttp(srv.url);               // SDK 1.32.2 Client over StreamableHTTPClientTransport
//   await srv.stop();                                          // SIGTERM, and wait for the exit (also at cleanup)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const tail = (s, n = 4000) => s.slice(-n);

/** Starts `codex-mcp --http 127.0.0.1:0` for ctx and resolves once it listens. */
export async function startHttpServer(ctx, { args = [], env = {}, codexBin, listen = '127.0.0.1:0', startTimeoutMs = 15_000 } = {}) {
  const spec = ctx.serverCommand({ args: ['--http', listen, ...args], env, codexBin });
  const child = spawn(spec.command, spec.args, { env: spec.env, cwd: ctx.root, stdio: ['ignore', 'ignore', 'pipe'] });
  const srv = { child, pid: child.pid, stderr: '', url: null, exited: null };
  ctx.serverPids.add(child.pid);
  const exited = srv.exitPromise = new Promise((r) => child.once('exit', (code, signal) => { srv.exited = { code, signal }; r(); }));
  child.stderr.on('data', (d) => { srv.stderr += d; });
  srv.diag = (label = '') => `${label}\n--- server stderr ---\n${tail(srv.stderr)}`;
  srv.stop = async (signal = 'SIGTERM') => {
    if (!srv.exited) child.kill(signal);
    await exited;
    return srv.exited;
  };
  ctx.servers.push({ close: () => srv.stop() });
  srv.url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(srv.diag('the server did not say where it listens'))), startTimeoutMs);
    const look = () => {
      const m = /listening on (http:\/\/\S+)/.exec(srv.stderr);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stderr.on('data', look);
    child.once('exit', () => { clearTimeout(timer); reject(new Error(srv.diag('the server exited before listening'))); });
    look();
  });
  return srv;
}

/** The 2025-11-25 client of SDK 1.32.2 over Streamable HTTP, with its traffic recorded. */
export async function connectLegacyHttp(url, { capabilities = {}, requestInit } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit });
  const client = new Client({ name: 'codex-mcp-http-tests', version: '0.0.0' }, { capabilities });
  const conn = { client, transport, notifications: [], sent: [], received: [] };
  await client.connect(transport);
  const onmessage = transport.onmessage;
  transport.onmessage = (msg, extra) => {
    conn.received.push(msg);
    if (msg.method && msg.id === undefined) conn.notifications.push(msg);
    onmessage?.(msg, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = (msg, o) => { conn.sent.push(msg); return send(msg, o); };
  conn.close = () => client.close().catch(() => {});
  return conn;
}

/**
 * One POST to /mcp on a connection of its own: { status, headers, text, json } (json is the first
 * SSE data or the body). No keep-alive: a pooled socket the server has since closed (after its
 * idle timeout, or a server that stopped on the same port) would fail the request.
 */
export function post(url, body, { headers = {}, raw = false } = {}) {
  const payload = raw ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
        'content-length': Buffer.byteLength(payload), connection: 'close', ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try {
          const data = /^data: (.*)$/m.exec(text);
          json = JSON.parse(data ? data[1] : text);
        } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** A modern request's body and headers. */
export function modern(id, method, params = {}, name) {
  const body = { jsonrpc: '2.0', id, method, params: { ...params, _meta: { ...ENVELOPE, ...params._meta } } };
  const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method };
  if (name !== undefined) headers['mcp-name'] = name;
  return { body, headers };
}

/**
 * Descriptors the process holds now, files aside: sockets, pipes, event and timer descriptors.
 * (SQLite opens its -wal and -shm files with the first write, which is not a leak.)
 */
export function fdCount(pid) {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try { if (!fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('/')) n++; } catch { /* closed meanwhile */ }
  }
  return n;
}

/**
 * A modern tools/call on a raw socket: resolves once the SSE stream's headers are in, with
 * the socket (paused: nothing more is read until the caller resumes it) and what came so far.
 */
export function rawStreamingCall(port, id, name, args) {
  const { body, headers } = modern(id, 'tools/call', { name, arguments: args }, name);
  const text = JSON.stringify(body);
  const head = Object.entries({ ...headers, host: '127.0.0.1', 'content-type': 'application/json',
    accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(text) })
    .map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(`POST /mcp HTTP/1.1\r\n${head}\r\n${text}`));
    let got = '';
    const onData = (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        sock.off('data', onData);
        sock.pause();
        resolve({ sock, head: got });
      }
    };
    sock.on('data', onData);
    sock.on('error', reject);
  });
}
