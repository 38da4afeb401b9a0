// MCP 2026-07-28 ("modern") client for tests: the official TypeScript client 2.4.0
// (@modelcontextprotocol/client) plus the tasks extension client (@modelcontextprotocol/ext-tasks 0.2.2).
//
//   const spec = ctx.serverCommand();                       // harness.mjs: { command, args, env }
//   const conn = await connectModern(spec.command, spec.args, spec.env, { ctx, mode: 'pin' });
//   conn.era, conn.version                                  // 'modern', '2026-07-28' (or 'legacy', '2025-11-25')
//   await conn.client.listTools();  await conn.client.callTool({ name, arguments }, { onprogress });
//   conn.wire.sent, conn.wire.received                      // every JSON-RPC message, as on the wire
//   const created = await callAsTask(conn, 'codex', { prompt, cwd });   // CreateTaskResult, wire shape
//   const done = await waitTask(conn, created.taskId);      // tasks/get until terminal; .result inlined
//   await cancelTask(conn, id);  await updateTask(conn, id, { key: { action: 'accept', content } });
//   await conn.close();                                     // also done by ctx.cleanup() when ctx is given
//
// Modes (opts.mode): 'pin' = { pin: '2026-07-28' }: server/discover must offer it, else connect() throws;
// 'auto' = discover, and on anything but a modern answer fall back to initialize; 'legacy' = plain
// 2025 initialize (the client's own default). The probe runs IN PLACE: we use a subclass of the
// SDK's StdioClientTransport, because the base class spawns a hidden sibling server process (same
// command and args, so the same --state-dir; stderr discarded) just to send it server/discover.
// opts.siblingProbe: true restores that. In place, the probe is the first line the server reads
// (id "server-discover-probe-1", a string); after a legacy verdict initialize follows on the same pipe.
//
// Capabilities: opts.capabilities (default {}) as the client declares them in every request's _meta;
// opts.roots ([{ uri, name }]) adds `roots` and answers roots/list, opts.elicit (async params => result)
// adds `elicitation` and answers elicitation/create. On a modern connection the client fulfils an
// input_required (MRTR) result of callTool itself with these handlers and retries; pass
// { allowInputRequired: true } to callTool to get the input_required result instead.
// The tasks extension is NOT declared in the client's capabilities (a plain callTool would then
// throw UNSUPPORTED_RESULT_TYPE on resultType "task"); the task helpers below declare it per request
// through ext-tasks (conn.tasks, a session with rawDispatch over this transport, string ids "raw-N").
// Failed JSON-RPC calls throw errors with .code (SDK ProtocolError or ext-tasks JsonRpcResponseError),
// so tasks.mjs's assertRpcError works on them.
//
// Environment: like harness.mjs, the transport spawns with getDefaultEnvironment() (HOME, LOGNAME, PATH,
// SHELL, TERM, USER) overlaid with `env`; a variable of the test process not in either is not passed.

import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient } from '@modelcontextprotocol/ext-tasks/client';

export const MODERN_VERSION = '2026-07-28';
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
};
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
export const isTerminal = (status) => TERMINAL.has(status);
const DEFAULT_TIMEOUT = 60_000;

/** Any subclass of the SDK's stdio transport probes in place (the SDK checks for the exact base class). */
class InPlaceStdioClientTransport extends StdioClientTransport {}

/**
 * Record every message, and route responses to our own string-id requests (rawRequest) past the client.
 * Installed before connect(): Protocol (and the probe) assign transport.onmessage/onclose later.
 */
function tapTransport(transport) {
  const wire = { sent: [], received: [], pending: new Map(), seq: 0, slot: new AsyncLocalStorage() };
  const send = transport.send.bind(transport);
  transport.send = (msg, options) => { wire.sent.push(msg); return send(msg, options); };
  let onmessage, onclose;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    set: (fn) => { onmessage = fn; },
    get: () => onmessage && ((msg, extra) => {
      wire.received.push(msg);
      const waiter = !('method' in msg) && wire.pending.get(msg.id);
      if (waiter) return waiter(msg);
      return onmessage(msg, extra);
    }),
  });
  Object.defineProperty(transport, 'onclose', {
    configurable: true,
    set: (fn) => { onclose = fn; },
    get: () => onclose && (() => {
      for (const waiter of wire.pending.values()) waiter(null);
      return onclose();
    }),
  });
  /** Send {method, params} with a fresh string id; resolves to the raw response message. */
  wire.request = (request, { timeout = DEFAULT_TIMEOUT, signal } = {}) => new Promise((resolve, reject) => {
    const id = `raw-${++wire.seq}`;
    const seen = wire.slot.getStore(); // the response arrives in another async context
    const done = (fn, v) => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); wire.pending.delete(id); fn(v); };
    const onAbort = () => done(reject, signal.reason);
    const timer = setTimeout(() => done(reject, new Error(`${request.method} (${id}): no response in ${timeout} ms`)), timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    wire.pending.set(id, (msg) => {
      if (!msg) return done(reject, new Error(`${request.method} (${id}): connection closed`));
      seen?.push(msg); // hands the exact wire answer to callAsTask/getTask/...
      done(resolve, msg);
    });
    transport.send({ jsonrpc: '2.0', id, ...request }).catch((e) => done(reject, e));
  });
  return wire;
}

/**
 * Spawn `command args` and connect a 2.4.0 Client. opts: mode ('pin' | 'auto' | 'legacy', default
 * 'pin'), capabilities, roots, elicit, cwd, ctx (harness context: cleanup closes the connection),
 * clientInfo, timeout (connect and default request timeout), probeTimeoutMs (default 10 s),
 * siblingProbe, stderrLog (file to append the server's stderr to).
 * Returns conn: { client, transport, wire, tasks, pid, era, version, discover, serverInfo,
 * serverCapabilities, stderr, exited, rawRequest(method, params, opts), close() }.
 */
export async function connectModern(command, args = [], env = {}, opts = {}) {
  const { mode = 'pin', roots, elicit, cwd, ctx, timeout = DEFAULT_TIMEOUT } = opts;
  const clientInfo = opts.clientInfo ?? { name: 'codex-mcp-integration-tests', version: '0.0.0' };
  const capabilities = { ...opts.capabilities };
  if (roots) capabilities.roots ??= {};
  if (elicit) capabilities.elicitation ??= { form: {} };

  // opts.url: over Streamable HTTP to a server already listening there (command is only a label).
  const Transport = opts.siblingProbe ? StdioClientTransport : InPlaceStdioClientTransport;
  const transport = opts.url
    ? new StreamableHTTPClientTransport(new URL(opts.url), { requestInit: opts.requestInit })
    : new Transport({ command, args, env, cwd, stderr: 'pipe' });
  const conn = { transport, stderr: '', exited: null, pid: null, tasks: null };
  transport.stderr?.on('data', (d) => {
    conn.stderr += d;
    if (opts.stderrLog) try { fs.appendFileSync(opts.stderrLog, d); } catch { /* dir may be gone */ }
  });
  const wire = conn.wire = tapTransport(transport);

  const versionNegotiation = mode === 'legacy' ? undefined : {
    mode: mode === 'pin' ? { pin: MODERN_VERSION } : 'auto',
    probe: { timeoutMs: opts.probeTimeoutMs ?? 10_000 },
  };
  const client = conn.client = new Client(clientInfo, { capabilities, versionNegotiation });
  if (roots) client.setRequestHandler('roots/list', async () => ({ roots }));
  if (elicit) client.setRequestHandler('elicitation/create', async (req) => elicit(req.params));
  ctx?.servers.push(conn);
  try {
    await client.connect(transport, { timeout });
  } catch (e) {
    e.message = `connect (${mode}) to ${command} failed: ${e.message}\n--- server stderr ---\n${conn.stderr.slice(-4000)}`;
    throw e;
  }
  conn.pid = transport.pid;
  const child = transport._process; // private, as in harness.mjs: to observe the exit status
  child?.once('exit', (code, signal) => { conn.exited = { code, signal }; });
  Object.assign(conn, {
    era: client.getProtocolEra(),
    version: client.getNegotiatedProtocolVersion(),
    discover: client.getDiscoverResult(),
    serverInfo: client.getServerVersion(),
    serverCapabilities: client.getServerCapabilities(),
  });

  // Task session: tools/call and tasks/* go through rawDispatch (the client's codec rejects
  // resultType "task"), framed by ext-tasks with the same envelope the client sends plus the extension.
  if (conn.era === 'modern' && opts.tasks !== false) {
    conn.tasks = createTaskSessionFromClient(client, {
      endpointId: `${command} ${args.join(' ')}`,
      rawDispatch: async (request, o = {}) => {
        const msg = await wire.request(request, { timeout: o.context?.requestTimeoutMs ?? timeout, signal: o.signal });
        return 'error' in msg ? { kind: 'error', error: msg.error } : { kind: 'result', result: msg.result };
      },
      v2RequestFraming: { protocolVersion: conn.version, clientInfo, clientCapabilities: capabilities },
      tools: { currentTool: () => undefined }, // else the session fetches tools/list on first use
      onInputRequest: async (request) => {     // tasks driven by ext-tasks itself (conn.tasks.callTool)
        if (request.kind === 'roots' && roots) return { roots };
        if (request.kind === 'elicitation' && elicit) return elicit(request.params);
        throw new Error(`no handler for task input ${request.kind}`);
      },
    });
  }

  /**
   * One raw request with the client's envelope (our capabilities, plus the tasks extension unless
   * o.tasks === false); o.meta adds/overrides _meta keys. Resolves to the response message as received.
   */
  conn.rawRequest = (method, params = {}, o = {}) => {
    const clientCapabilities = o.tasks === false ? capabilities
      : { ...capabilities, extensions: { ...capabilities.extensions, [TASKS_EXTENSION]: {} } };
    const _meta = { [META.protocolVersion]: conn.version, [META.clientInfo]: clientInfo,
      [META.clientCapabilities]: clientCapabilities, ...params._meta, ...o.meta };
    return wire.request({ method, params: { ...params, _meta } }, { timeout: o.timeout ?? timeout });
  };

  conn.close = async () => {
    await conn.tasks?.close().catch(() => {});
    await client.close().catch(() => {});
    if (child && child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  };
  return conn;
}

/** Run fn with the raw responses its rawDispatch calls receive collected; returns [value, responses]. */
async function capture(conn, fn) {
  if (!conn.tasks) throw new Error(`tasks need a modern connection with a task session (era ${conn.era})`);
  const seen = [];
  const value = await conn.wire.slot.run(seen, fn);
  return [value, seen];
}

/** The result of the last response, exactly as on the wire. */
const wireResult = (seen, what) => {
  const msg = seen.at(-1);
  if (!msg || !('result' in msg)) throw new Error(`${what}: no result seen on the wire`);
  return msg.result;
};

/**
 * tools/call declaring the tasks extension; the server must answer with a task. Resolves to the
 * CreateTaskResult as on the wire (ext-tasks validated it). The execution is detached: nothing polls
 * it behind the test's back. o: timeout, meta (_meta keys for the call), signal.
 * (For ext-tasks' own driving, polling and input handling: conn.tasks.callTool(name, args).)
 */
export async function callAsTask(conn, name, args = {}, o = {}) {
  const [execution, seen] = await capture(conn, () => conn.tasks.callTool(name, args, {
    task: { preference: 'require' }, requestTimeoutMs: o.timeout, metadata: o.meta, signal: o.signal,
  }));
  await execution.detach();
  return wireResult(seen, `tools/call ${name}`);
}

/** tasks/get; the GetTaskResult as on the wire (status, and result/error/inputRequests inlined). */
export async function getTask(conn, taskId) {
  const [, seen] = await capture(conn, () => conn.tasks.task(taskId).snapshot());
  return wireResult(seen, `tasks/get ${taskId}`);
}

/** tasks/cancel; the ack as on the wire ({ resultType: 'complete', _meta }). */
export async function cancelTask(conn, taskId) {
  const [, seen] = await capture(conn, () => conn.tasks.task(taskId).cancel());
  return wireResult(seen, `tasks/cancel ${taskId}`);
}

/** tasks/update with inputResponses (key -> ElicitResult / ListRootsResult / CreateMessageResult). */
export async function updateTask(conn, taskId, inputResponses) {
  const [, seen] = await capture(conn, () => conn.tasks.task(taskId).update(inputResponses));
  return wireResult(seen, `tasks/update ${taskId}`);
}

/** Poll tasks/get until until(task) holds (default: a terminal status); return that task. */
export async function waitTask(conn, taskId, { until = (t) => isTerminal(t.status), timeoutMs = 30_000, intervalMs } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await getTask(conn, taskId);
    if (until(task)) return task;
    if (Date.now() > deadline) {
      throw new Error(`task ${taskId}: condition not reached in ${timeoutMs} ms; last: ${JSON.stringify(task)}\n` +
        `--- server stderr ---\n${conn.stderr.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs ?? Math.min(task.pollIntervalMs ?? 100, 500)));
  }
}
