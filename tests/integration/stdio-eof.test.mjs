// Closing the server's stdin ends it: exit code 0 within 2 s, with no Codex process left behind,
// even while a turn is running. Raw newline-delimited JSON-RPC over child_process, no SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createContext, waitFor, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';

function startRaw(t, ctx) {
  const spec = ctx.serverCommand();
  const child = spawn(spec.command, spec.args, { env: spec.env, cwd: ctx.root, stdio: ['pipe', 'pipe', 'pipe'] });
  ctx.serverPids.add(child.pid);
  const srv = { child, lines: [], messages: [], stderr: '', exit: null };
  srv.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    srv.exit = { code, signal, at: Date.now() };
    resolve(srv.exit);
  }));
  child.on('error', (e) => {
    srv.stderr += `spawn error: ${e.message}\n`;
    srv.exit ??= { code: null, signal: null, error: e.message, at: Date.now() };
  });
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      srv.lines.push(line);
      srv.messages.push(JSON.parse(line)); // every stdout line must be one JSON message
    }
  });
  child.stderr.on('data', (d) => { srv.stderr += d; });
  srv.send = (msg) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  srv.response = (id, timeoutMs = 30_000) => waitFor(() => {
    const m = srv.messages.find((x) => x.id === id && !x.method);
    if (!m && srv.exit) throw new Error(srv.diag(`server exited (${JSON.stringify(srv.exit)}) before answering ${id}`));
    return m;
  }, { timeoutMs, what: `response ${id}` });
  srv.diag = (label) => `${label}\n--- server stderr ---\n${srv.stderr.slice(-4000)}`;
  t.after(() => { if (!srv.exit) child.kill('SIGKILL'); });
  return srv;
}

async function initialize(srv) {
  srv.send({ id: 1, method: 'initialize', params: {
    protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-test', version: '0' } } });
  const init = await srv.response(1);
  assert.ok(init.result, srv.diag(`initialize failed: ${JSON.stringify(init)}`));
  srv.send({ method: 'notifications/initialized' });
}

async function closeStdinAndExpectExit(srv) {
  const closedAt = Date.now();
  srv.child.stdin.end();
  const timeout = new Promise((resolve) => setTimeout(resolve, 2000, null).unref());
  const exit = await Promise.race([srv.exited, timeout]);
  assert.ok(exit, srv.diag('server did not exit within 2 s of stdin EOF'));
  assert.equal(exit.signal, null, srv.diag(`server killed by ${exit.signal}`));
  assert.equal(exit.code, 0, srv.diag(`server exit code ${exit.code}`));
  assert.ok(exit.at - closedAt <= 2000);
}

test('stdin EOF while idle: exit code 0', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  await initialize(srv);
  srv.send({ id: 2, method: 'tools/list', params: {} });
  const list = await srv.response(2);
  assert.ok(list.result?.tools?.some((x) => x.name === 'codex'), srv.diag('tools/list lacks codex'));
  await closeStdinAndExpectExit(srv);
});

test('stdin EOF during a running turn: exit code 0 within 2 s, no Codex left', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = startRaw(t, ctx);
  await initialize(srv);
  srv.send({ id: 2, method: 'tools/call', params: { name: 'codex', arguments: {
    prompt: 'SLEEP 60000 never answered', cwd: ctx.workspace, sandbox: 'workspace-write' } } });
  await ctx.model.waitForRequests(1, 30_000);
  // Our server runs one Codex process per turn (the old server ran turns in-process).
  if (!PEER_MODE) assert.ok(ctx.turnRunning(), 'no running turn seen');
  await closeStdinAndExpectExit(srv);
  await ctx.assertNoCodexLeft(2000, srv.diag('after EOF:'));
  await waitFor(() => ctx.model.active === 0, { timeoutMs: 2000, what: 'the model connection to close' });
});
