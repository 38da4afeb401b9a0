// Test harness: temp CODEX_HOME + workspace + state dir, a scripted mock model, our MCP server
// started through the official SDK client, and /proc-based process checks.
//
//   const ctx = await createContext(t);          // t: node:test TestContext (cleanup is automatic)
//   const srv = await ctx.startServer();         // MCP client connected to a fresh server
//   const res = await srv.call('codex', { prompt: 'hi', cwd: ctx.workspace });
//
// Environment:
//   CODEX_MCP_BIN      our server binary (default <repo>/build/codex-mcp); it gets
//                      `--codex-bin <native codex> --state-dir <ctx.stateDir>` plus any extra args.
//   CODEX_MCP_CMD      alternative server command line (split on blanks), e.g.
//                      "<codex 0.153.4> mcp-server"; then none of our flags are passed (PEER mode).
//   CODEX_BIN          native Codex binary (default: the one of the installed @openai/codex).
//   CODEX_MCP_TEST_TMPDIR  where per-test dirs go (default /var/tmp, else tests/integration/.tmp).
//                      Not under the system temp dir ($TMPDIR or /tmp): Codex refuses to create
//                      its `codex-linux-sandbox` helper alias when CODEX_HOME is inside it, and then
//                      every sandboxed command fails with
//                      "bwrap: execvp codex-linux-sandbox: No such file or directory".
//                      Preferably not inside a git checkout either (Codex looks for the repo root).
//   CODEX_MCP_TEST_KEEP=1  keep the per-test dirs (server stderr is in <root>/server-*.log).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startMockModel, smartScript, lastUserPrompt, execCommand, message, slow } from './mock-model.mjs';

export const TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(TESTS_DIR, '..', '..');
export const PEER_MODE = !!process.env.CODEX_MCP_CMD;
/** Generous per-test timeout for node:test. */
export const TEST_TIMEOUT = 60_000;

// ---------------------------------------------------------------------------------------------
// Locating binaries

let cachedCodexBin;
/** Absolute path of the native Codex binary shipped in the installed @openai/codex package. */
export function codexBin() {
  if (process.env.CODEX_BIN) return process.env.CODEX_BIN;
  if (cachedCodexBin) return cachedCodexBin;
  const require = createRequire(path.join(TESTS_DIR, 'package.json'));
  const codexDir = path.dirname(require.resolve('@openai/codex/package.json'));
  // The platform package is an optional dependency; it may be hoisted next to @openai/codex or
  // nested under it. Search both, for every vendor triple it carries.
  const candidates = [];
  for (const base of [path.join(codexDir, '..'), path.join(codexDir, 'node_modules', '@openai')]) {
    let entries = [];
    try { entries = fs.readdirSync(base); } catch { continue; }
    for (const pkg of entries.filter((e) => e.startsWith('codex-') && e.includes(process.platform))) {
      const vendor = path.join(base, pkg, 'vendor');
      let triples = [];
      try { triples = fs.readdirSync(vendor); } catch { continue; }
      for (const triple of triples) candidates.push(path.join(vendor, triple, 'bin', 'codex'));
    }
  }
  // Also the layout used by the package itself (vendor/ inside @openai/codex).
  try {
    for (const triple of fs.readdirSync(path.join(codexDir, 'vendor'))) {
      candidates.push(path.join(codexDir, 'vendor', triple, 'codex', 'codex'));
      candidates.push(path.join(codexDir, 'vendor', triple, 'bin', 'codex'));
    }
  } catch { /* no vendor dir */ }
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  candidates.sort((a, b) => Number(b.includes(arch)) - Number(a.includes(arch)));
  for (const c of candidates) {
    try { fs.accessSync(c, fs.constants.X_OK); return (cachedCodexBin = c); } catch { /* next */ }
  }
  throw new Error(`native Codex binary not found under ${codexDir} (tried: ${candidates.join(', ') || 'nothing'}); ` +
    'run `npm ci` in tests/integration or set CODEX_BIN');
}

/** Our server binary. */
export function serverBin() {
  return process.env.CODEX_MCP_BIN || path.join(REPO_ROOT, 'build', 'codex-mcp');
}

// ---------------------------------------------------------------------------------------------
// Small utilities

export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` (sync or async) until it returns a truthy value; return that value. */
export async function waitFor(fn, { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

/** Concatenated text of a tool result's text content blocks. */
export function resultText(result) {
  return (result?.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

function tail(s, n = 4000) {
  return s.length > n ? `...${s.slice(-n)}` : s;
}

// ---------------------------------------------------------------------------------------------
// /proc

function readProc(pid, file) {
  try { return fs.readFileSync(`/proc/${pid}/${file}`); } catch { return null; }
}

function readLink(p) {
  try { return fs.readlinkSync(p); } catch { return null; }
}

/** All processes visible in /proc: { pid, ppid, pgid, state, comm, exe, cwd, cmdline[], env{} }. */
export function listProcesses() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(name, 'stat');
    if (!stat) continue;
    const s = stat.toString();
    const close = s.lastIndexOf(')');
    const rest = s.slice(close + 2).split(' ');
    const environ = readProc(name, 'environ');
    const env = {};
    if (environ) {
      for (const kv of environ.toString().split('\0')) {
        const i = kv.indexOf('=');
        if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
      }
    }
    const cmdline = readProc(name, 'cmdline');
    out.push({
      pid: Number(name),
      comm: s.slice(s.indexOf('(') + 1, close),
      state: rest[0],
      ppid: Number(rest[1]),
      pgid: Number(rest[2]),
      exe: readLink(`/proc/${name}/exe`),
      cwd: readLink(`/proc/${name}/cwd`),
      cmdline: cmdline ? cmdline.toString().split('\0').filter(Boolean) : [],
      env,
    });
  }
  return out;
}

const isAlive = (p) => p.state !== 'Z' && p.state !== 'X';

// ---------------------------------------------------------------------------------------------
// Per-test context

function isInside(dir, parent) {
  const rel = path.relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function tempBase() {
  if (process.env.CODEX_MCP_TEST_TMPDIR) return path.resolve(process.env.CODEX_MCP_TEST_TMPDIR);
  const sysTmp = fs.realpathSync(os.tmpdir());
  try {
    const varTmp = fs.realpathSync('/var/tmp');
    fs.accessSync(varTmp, fs.constants.W_OK);
    if (!isInside(varTmp, sysTmp)) return varTmp;
  } catch { /* not usable */ }
  return path.join(TESTS_DIR, '.tmp');
}

/** The backend the servers of this run use with the real Codex: 'app-server', 'exec', or 'peer'. */
export const BACKEND = PEER_MODE ? 'peer' : (process.env.CODEX_MCP_TEST_BACKEND || 'app-server');

/**
 * The backend a server runs: CODEX_MCP_TEST_BACKEND (ctest runs the suite once per backend),
 * else the server's choice. A stand-in for Codex other than the real one speaks only
 * `codex exec`. A test's own --backend comes later and wins.
 */
function backendArgs(bin) {
  if (bin && bin !== codexBin()) return ['--backend', 'exec'];
  const wanted = process.env.CODEX_MCP_TEST_BACKEND;
  return wanted ? ['--backend', wanted] : [];
}

/**
 * Create dirs and a mock model for one test; cleanup is registered with t.after().
 * opts.script: mock model script (default: the smart script).
 */
export async function createContext(t, { script } = {}) {
  const base = tempBase();
  fs.mkdirSync(base, { recursive: true });
  const root = fs.realpathSync(fs.mkdtempSync(path.join(base, 'codex-mcp-it-')));
  const codexHome = path.join(root, 'codex-home');
  const workspace = path.join(root, 'workspace');
  const stateDir = path.join(root, 'state');
  // An empty HOME: Codex snapshots the user's login shell (bash -lc sourcing ~/.bashrc) for every
  // session; a developer's dotfiles (pyenv rehash, ...) then linger as Codex children and slow tests.
  const home = path.join(root, 'home');
  for (const d of [codexHome, workspace, stateDir, home]) fs.mkdirSync(d);
  const model = await startMockModel(script);
  fs.writeFileSync(path.join(codexHome, 'config.toml'), [
    'model = "mock-model"',
    'model_provider = "mock"',
    '',
    '[model_providers.mock]',
    'name = "mock"',
    `base_url = "${model.url}"`,
    'wire_api = "responses"',
    'env_key = "MOCK_KEY"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ].join('\n'));

  const servers = [];
  const serverPids = new Set(); // pids of servers started by tests themselves (raw child_process)
  let serverCount = 0;

  const ctx = {
    root, codexHome, workspace, stateDir, home, model, servers, serverPids,

    /** { command, args, env } to start a server for this context (also for raw child_process). */
    serverCommand({ args = [], codexBin: bin, env = {} } = {}) {
      let command, fullArgs;
      if (PEER_MODE) {
        [command, ...fullArgs] = process.env.CODEX_MCP_CMD.trim().split(/\s+/);
        fullArgs.push(...args);
      } else {
        command = serverBin();
        fullArgs = ['--codex-bin', bin ?? codexBin(), '--state-dir', stateDir, ...backendArgs(bin), ...args];
      }
      return {
        command,
        args: fullArgs,
        env: { ...getDefaultEnvironment(), HOME: home, CODEX_HOME: codexHome, MOCK_KEY: 'x', ...env },
      };
    },

    /**
     * Start a server and connect an SDK client. opts: args (extra server args), codexBin
     * (override --codex-bin), env (extra env), cwd (server's working dir; default ctx.root),
     * listTools (false: do not list the tools, so no outputSchema is checked), capabilities (the
     * client's), setup(client) (to install request handlers).
     */
    async startServer(opts = {}) {
      const spec = ctx.serverCommand(opts);
      if (!PEER_MODE && !fs.existsSync(spec.command)) {
        throw new Error(`server binary ${spec.command} does not exist (build it, or set CODEX_MCP_BIN)`);
      }
      const n = ++serverCount;
      const logPath = path.join(root, `server-${n}.log`);
      const transport = new StdioClientTransport({ ...spec, cwd: opts.cwd ?? root, stderr: 'pipe' });
      const srv = {
        transport, logPath,
        stderr: '',
        notifications: [],   // every notification from the server, in order
        received: [],        // every message from the server
        sent: [],            // every message to the server
        clientErrors: [],    // errors reported by the SDK client (protocol problems)
        exited: null,        // { code, signal } once the process is gone
        pid: null,
      };
      transport.stderr.on('data', (d) => {
        srv.stderr += d;
        try { fs.appendFileSync(logPath, d); } catch { /* dir may be gone during cleanup */ }
      });
      const client = new Client({ name: 'codex-mcp-integration-tests', version: '0.0.0' }, { capabilities: opts.capabilities ?? {} });
      client.onerror = (e) => srv.clientErrors.push(e);
      opts.setup?.(client); // request handlers (elicitation...), before initialize
      srv.client = client;
      servers.push(srv);
      try {
        await client.connect(transport);
      } catch (e) {
        throw new Error(`could not start/initialize ${spec.command}: ${e.message}\nstderr:\n${tail(srv.stderr)}`);
      }
      // As a client would, list the tools first: from then on the SDK checks every call's
      // structuredContent against the tool's outputSchema (not recorded in received/sent).
      if (opts.listTools !== false) {
        try {
          await client.listTools();
        } catch (e) {
          throw new Error(`tools/list failed: ${e.message}\nstderr:\n${tail(srv.stderr)}`);
        }
      }
      srv.pid = transport.pid;
      const child = transport._process; // to observe the exit status
      child?.once('exit', (code, signal) => { srv.exited = { code, signal }; });
      // Record raw traffic. The SDK installed transport.onmessage in connect(); wrap it.
      const onmessage = transport.onmessage;
      transport.onmessage = (msg, extra) => {
        srv.received.push(msg);
        if (msg.method && msg.id === undefined) srv.notifications.push(msg);
        onmessage?.(msg, extra);
      };
      const send = transport.send.bind(transport);
      transport.send = (msg, o) => { srv.sent.push(msg); return send(msg, o); };

      /** Server stderr tail, for assertion messages. */
      srv.diag = (label = '') => `${label}\n--- server stderr (${logPath}) ---\n${tail(srv.stderr)}`;
      /** callTool with a long timeout; errors get the server's stderr attached. */
      srv.call = async (name, args, options = {}) => {
        try {
          return await client.callTool({ name, arguments: args }, undefined, { timeout: TEST_TIMEOUT, ...options });
        } catch (e) {
          if (options.signal?.aborted) throw e;
          e.message = srv.diag(`tools/call ${name} failed: ${e.message}`);
          throw e;
        }
      };
      srv.close = async () => {
        await client.close().catch(() => {});
        if (child && child.exitCode === null && child.signalCode === null) {
          await new Promise((r) => child.once('exit', r));
        }
      };
      return srv;
    },

    /**
     * Alive processes that belong to this test's Codex runs: not the server itself, nor the
     * one `codex app-server` it keeps (and its keeper), which outlives every turn by design.
     */
    codexProcesses() {
      const exclude = new Set([...serverPids, ...servers.map((s) => s.pid).filter(Boolean)]);
      const bin = fs.realpathSync(codexBin());
      const warm = (p) => p.cmdline.includes('app-server');
      return listProcesses().filter((p) => isAlive(p) && p.pid !== process.pid && !exclude.has(p.pid) && !warm(p) && (
        p.env.CODEX_HOME === codexHome ||
        (p.exe === bin && p.cwd && p.cwd.startsWith(root + path.sep)) ||
        p.cmdline.some((a) => a.startsWith(root + path.sep) && p.exe === bin)));
    },

    /**
     * The `codex app-server` processes of this test's servers (alive). A helper an app-server
     * forks has the same program and command line: only the topmost of each tree counts.
     */
    appServers() {
      const bin = fs.realpathSync(codexBin());
      const all = listProcesses().filter((p) => isAlive(p) && p.exe === bin && p.cmdline.includes('app-server') &&
        p.env.CODEX_HOME === codexHome);
      return all.filter((p) => !all.some((q) => q.pid === p.ppid));
    },

    /**
     * Whether a turn is seen running now. Over exec a turn is a Codex process; over app-server
     * it has none of its own, but the app-server is up and holds a request to the model open.
     */
    turnRunning() {
      if (BACKEND === 'app-server') return ctx.model.active > 0 && ctx.appServers().length > 0;
      return ctx.codexProcesses().length > 0;
    },

    /** Once the server is gone: no Codex of it is left, its app-server included. */
    async assertNoCodexLeft(timeoutMs = 5000, label = '') {
      await ctx.assertNoCodexProcesses(timeoutMs, label);
      await waitFor(() => ctx.appServers().length === 0, { timeoutMs, what: `${label} the app-server to exit` });
    },

    /** Poll until no process of this test's Codex runs is alive; fail listing them. */
    async assertNoCodexProcesses(timeoutMs = 5000, label = '') {
      try {
        await waitFor(() => ctx.codexProcesses().length === 0, { timeoutMs, what: 'Codex processes to exit' });
      } catch {
        const left = ctx.codexProcesses().map((p) => `${p.pid} (ppid ${p.ppid}, ${p.state}) ${p.cmdline.join(' ')}`);
        throw new Error(`${label} Codex processes still alive after ${timeoutMs} ms:\n${left.join('\n')}`);
      }
    },

    async cleanup() {
      // A server that failed to initialize has no close(): still end it, and go on cleaning up
      // (an unclosed mock model would keep this test process alive).
      for (const s of servers) await (s.close ? s.close() : s.transport.close()).catch(() => {});
      // Servers a test started itself stop too, before their directories go: a warm
      // app-server writes into CODEX_HOME until it is gone.
      const running = () => [...serverPids].filter((pid) => {
        try { return !/^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
      });
      for (const pid of running()) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
      await waitFor(() => running().length === 0, { timeoutMs: 5000, what: 'servers to stop' })
        .catch(() => { for (const pid of running()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } });
      // Never leave stray Codex processes of this test behind (only ones carrying our marker).
      const strays = () => [...ctx.codexProcesses(), ...ctx.appServers()];
      for (const p of strays()) {
        try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      await waitFor(() => strays().length === 0, { timeoutMs: 5000, what: 'stray Codex processes to go' }).catch(() => {});
      await model.close();
      if (process.env.CODEX_MCP_TEST_KEEP !== '1') {
        fs.rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      }
    },
  };
  t.after(() => ctx.cleanup());
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// Fleet tools (spawn_agent and kin)

/**
 * The SDK client's protocol errors, less one race of the SDK's own: it hands a response over at
 * once but a notification a microtask later, so a progress notification read in the same chunk
 * as the response it precedes is "for an unknown token". Those are dropped only after checking
 * the wire: every progress notification of that token came before its response.
 */
export function protocolErrors(srv) {
  return srv.clientErrors.filter((e) => {
    const m = /progress notification for an unknown token: (\{.*\})$/.exec(e.message);
    if (!m) return true;
    const token = JSON.parse(m[1]).params.progressToken;
    const answeredAt = srv.received.findIndex((x) => x.id === token && ('result' in x || 'error' in x));
    const lastProgress = srv.received.findLastIndex((x) => x.method === 'notifications/progress' && x.params?.progressToken === token);
    return answeredAt < 0 || lastProgress > answeredAt;
  });
}

/** Assert a tool result is not isError and return its structuredContent. */
export function structured(srv, res, what = 'tool call') {
  assert.ok(res && !res.isError, srv.diag(`${what}: unexpected isError: ${resultText(res)}`));
  assert.ok(res.structuredContent && typeof res.structuredContent === 'object',
    `${what}: no structuredContent: ${JSON.stringify(res)}`);
  return res.structuredContent;
}

/** Poll get_agent_status until pred(status) holds; return that status. */
export async function pollAgent(srv, taskId, pred, { timeoutMs = 30_000, what } = {}) {
  let last;
  try {
    return await waitFor(async () => {
      last = structured(srv, await srv.call('get_agent_status', { task_id: taskId }), 'get_agent_status');
      return pred(last) ? last : null;
    }, { timeoutMs, intervalMs: 100, what: what ?? `agent ${taskId}` });
  } catch (e) {
    e.message = srv.diag(`${e.message}; last status: ${JSON.stringify(last)}`);
    throw e;
  }
}

/** Poll until the task is no longer queued or running; return its status. */
export function waitAgentEnded(srv, taskId, opts = {}) {
  return pollAgent(srv, taskId, (s) => s.status !== 'queued' && s.status !== 'running',
    { what: `agent ${taskId} to end`, ...opts });
}

/**
 * The smart script, but the first request of a turn whose prompt contains "GATE" is held until
 * release() (or until Codex drops the connection). held() is how many are waiting now.
 */
export function gatedScript(base = smartScript) {
  let release;
  const gate = new Promise((r) => { release = r; });
  let waiting = 0;
  const script = async (body, index, ctx) => {
    const input = body?.input || [];
    const last = input[input.length - 1];
    if (lastUserPrompt(body).includes('GATE') && last?.type !== 'function_call_output') {
      waiting++;
      try {
        await Promise.race([gate, new Promise((r) => {
          if (ctx.signal.aborted) r();
          ctx.signal.addEventListener('abort', r, { once: true });
        })]);
      } finally {
        waiting--;
      }
    }
    return base(body, index, ctx);
  };
  return { script, release: () => release(), held: () => waiting };
}

/**
 * The smart script, plus "HOLD <command...>": the model has Codex run <command>, and then never
 * answers the command's output (the turn stays open however long Codex waits on the command).
 */
export function holdScript(body, index, ctx) {
  const prompt = lastUserPrompt(body).trim();
  if (!prompt.startsWith('HOLD ')) return smartScript(body, index, ctx);
  const input = body?.input || [];
  if (input[input.length - 1]?.type === 'function_call_output') return slow(Infinity, [message('never')]);
  return [execCommand(prompt.slice(5))];
}
