// A raw newline-delimited JSON-RPC client for our server over child_process (no SDK), for tests
// that need to send malformed or unusual traffic and to see every byte the server writes.
//
//   const srv = startRaw(t, ctx, { args: ['--codex-events'] });
//   await initialize(srv);                  // initialize + notifications/initialized
//   srv.send({ id: 2, method: 'ping' });    // adds "jsonrpc":"2.0"
//   srv.writeLine('{not json');             // any raw text; a '\n' is appended
//   const answers = await srv.exchange('{"jsonrpc":"2.0","id":null,"method":"ping"}');
//       // -> every message the server wrote in answer to that line (see exchange())
//
// srv.badLines collects stdout lines that are not JSON-RPC 2.0 messages; srv.assertCleanStdout()
// fails the test if there were any.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { waitFor } from './harness.mjs';

/** Is `m` a well-formed JSON-RPC 2.0 response or notification (what a server may send)? */
export function isJsonRpcMessage(m) {
  if (!m || typeof m !== 'object' || Array.isArray(m) || m.jsonrpc !== '2.0') return false;
  const validId = (id) => typeof id === 'string' || typeof id === 'number';
  if ('method' in m) {
    return typeof m.method === 'string' && (!('id' in m) || validId(m.id)) &&
      (!('params' in m) || (typeof m.params === 'object' && m.params !== null));
  }
  if (!('id' in m) || !(validId(m.id) || m.id === null)) return false;
  if ('result' in m) return !('error' in m);
  return !!m.error && Number.isInteger(m.error.code) && typeof m.error.message === 'string';
}

export function startRaw(t, ctx, opts = {}) {
  const spec = ctx.serverCommand(opts);
  const child = spawn(spec.command, spec.args, { env: spec.env, cwd: opts.cwd ?? ctx.root, stdio: ['pipe', 'pipe', 'pipe'] });
  ctx.serverPids.add(child.pid);
  const srv = { child, pid: child.pid, lines: [], messages: [], badLines: [], stderr: '', exit: null };
  srv.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    srv.exit = { code, signal, at: Date.now() };
    resolve(srv.exit);
  }));
  // 'close' comes after 'exit' once stdout and stderr are drained: everything the server wrote is in.
  srv.closed = new Promise((resolve) => child.on('close', resolve));
  child.on('error', (e) => {
    srv.stderr += `spawn error: ${e.message}\n`;
    srv.exit ??= { code: null, signal: null, error: e.message, at: Date.now() };
  });
  // A server that dies early must not crash the test process with EPIPE.
  child.stdin.on('error', (e) => { srv.stderr += `stdin error: ${e.message}\n`; });
  child.stdout.setEncoding('utf8');
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      srv.lines.push(line);
      let msg;
      try { msg = JSON.parse(line); } catch { msg = undefined; }
      if (msg === undefined || !isJsonRpcMessage(msg)) srv.badLines.push(line);
      else srv.messages.push(msg);
    }
  });
  child.stdout.on('end', () => { if (buf.length) srv.badLines.push(`(unterminated) ${buf}`); });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { srv.stderr += d; });

  srv.diag = (label = '') => `${label}\n--- server stderr ---\n${srv.stderr.slice(-4000)}`;
  /** Write raw text plus '\n' (the text itself may end in '\r'). Resolves once flushed. */
  srv.writeLine = (text) => new Promise((resolve) => {
    if (!child.stdin.write(`${text}\n`)) child.stdin.once('drain', resolve);
    else resolve();
  });
  srv.writeRaw = (text) => new Promise((resolve) => {
    if (!child.stdin.write(text)) child.stdin.once('drain', resolve);
    else resolve();
  });
  srv.send = (msg) => srv.writeLine(JSON.stringify({ jsonrpc: '2.0', ...msg }));
  /** The response (result or error) with this id, once it arrives. */
  srv.response = (id, timeoutMs = 30_000) => waitFor(() => {
    const m = srv.messages.find((x) => x.id === id && !('method' in x));
    if (!m && srv.exit) throw new Error(srv.diag(`server exited (${JSON.stringify(srv.exit)}) before answering ${JSON.stringify(id)}`));
    return m;
  }, { timeoutMs, what: `response ${JSON.stringify(id)}` });

  let syncCount = 0;
  /**
   * Send `text` as one line, then a ping; return every message the server wrote after the
   * previous exchange and before the ping's answer. The server handles lines in order and
   * answers synchronous requests at once, so this is exactly what it said about `text`
   * (an empty array: it said nothing). Notifications are included.
   */
  srv.exchange = async (text, timeoutMs = 30_000) => {
    const start = srv.messages.length;
    const syncId = `sync-${++syncCount}`;
    await srv.writeLine(text);
    await srv.send({ id: syncId, method: 'ping' });
    const pong = await srv.response(syncId, timeoutMs);
    assert.deepEqual(pong.result, {}, `ping ${syncId} failed: ${JSON.stringify(pong)}`);
    const end = srv.messages.indexOf(pong);
    return srv.messages.slice(start, end);
  };
  srv.assertCleanStdout = () => {
    assert.deepEqual(srv.badLines, [], srv.diag('stdout lines that are not JSON-RPC 2.0 messages'));
  };
  t.after(() => { if (!srv.exit) child.kill('SIGKILL'); });
  return srv;
}

/** initialize (answer asserted) and notifications/initialized; returns the initialize result. */
export async function initialize(srv, protocolVersion = '2025-06-18') {
  srv.send({ id: 'init', method: 'initialize', params: {
    protocolVersion, capabilities: {}, clientInfo: { name: 'raw-test', version: '0' } } });
  const init = await srv.response('init');
  assert.ok(init.result, srv.diag(`initialize failed: ${JSON.stringify(init)}`));
  await srv.send({ method: 'notifications/initialized' });
  return init.result;
}
