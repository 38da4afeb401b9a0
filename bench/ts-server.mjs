// The official TypeScript MCP server (@modelcontextprotocol/server 2.4.0, mounted on node:http
// with @modelcontextprotocol/node 2.1.2) serving codex-mcp's own tool list over Streamable HTTP:
// the reference the HTTP load benchmark (bench/http-load.mjs) measures codex-mcp against.
//
//   node bench/ts-server.mjs --tools FILE [--listen 127.0.0.1:0] [--fake-stream PATH]
//
// FILE is codex-mcp's `tools/list` result (tools with name, title, description, inputSchema,
// outputSchema, annotations); every tool is registered under the same name with the same schemas.
// Like codex-mcp it prints `listening on http://HOST:PORT/mcp` on stderr once it accepts.
//
// One endpoint, /mcp, both eras:
// - 2025-11-25 with sessions: a POST `initialize` without the 2026 `_meta` envelope makes a
//   session (McpServer + NodeStreamableHTTPServerTransport, the SDK's sessionful wiring, whose
//   answers are SSE by default); requests with its `Mcp-Session-Id` go to that session's
//   transport; GET and DELETE with it as well.
// - 2026-07-28 stateless, and 2025 requests without a session: createMcpHandler, which makes a
//   server from the same factory for each request (its documented mode of serving), answering
//   JSON unless the handler emits a notification first, then SSE.
// This is the split the SDK documents for a sessionful legacy deployment next to the modern
// entry (`isLegacyRequest` in front of `createMcpHandler`); the server routes on the body it has
// already parsed instead of having the SDK parse it a second time.
//
// Tool behaviour:
// - get_agent_status: the answer codex-mcp gives for a task id it does not know (isError, short
//   text): the cheap call of the load test.
// - spawn_agent: what a TypeScript codex-mcp would do: runs the Codex stand-in (--fake-stream,
//   bench/fake_stream.c, the one codex-mcp's side runs), reads its JSONL, and sends one
//   notifications/progress for each event with the text codex-mcp's description of it has,
//   then answers with a report. Progress therefore comes at the rate the same program produces
//   events, on both sides.
// - every other tool: an isError "not served by the reference server".
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import {
  localhostHostValidation,
  localhostOriginValidation,
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
} from '@modelcontextprotocol/node';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const toolsFile = arg('--tools');
if (!toolsFile) {
  console.error('usage: ts-server.mjs --tools FILE [--listen HOST:PORT] [--fake-stream PATH]');
  process.exit(2);
}
const [host, port] = arg('--listen', '127.0.0.1:0').split(':');
const fakeStream = arg('--fake-stream');
const tools = JSON.parse(fs.readFileSync(toolsFile, 'utf8'));
// Schemas are converted once; every server instance shares them.
const schemas = tools.map((t) => ({
  ...t,
  input: fromJsonSchema(t.inputSchema ?? { type: 'object' }),
  output: t.outputSchema ? fromJsonSchema(t.outputSchema) : undefined,
}));

const notServed = (name) => ({ isError: true, content: [{ type: 'text', text: `${name}: not served by the reference server` }] });

// codex-mcp's one-line descriptions of the Codex events the stand-in prints (src/codex/events.c).
function describe(ev) {
  switch (ev.type) {
    case 'thread.started': return `started thread ${ev.thread_id ?? ''}`;
    case 'turn.started': return 'turn started';
    case 'turn.completed': return 'turn completed';
    case 'item.completed': {
      const it = ev.item ?? {};
      if (it.type === 'command_execution') return `ran: ${String(it.command).slice(0, 255)} (exit ${it.exit_code})`;
      if (it.type === 'agent_message') return `message: ${String(it.text).slice(0, 119)}`;
      return null;
    }
    default: return null;
  }
}

// spawn_agent: the stand-in run, its events as progress, then a report shaped by the outputSchema.
function runAgent({ prompt, cwd }, ctx) {
  if (!fakeStream) return notServed('spawn_agent');
  const token = ctx.mcpReq._meta?.progressToken;
  const created = new Date().toISOString();
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(fakeStream, [], { cwd: cwd || process.cwd(), stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdin.end(prompt);
    child.stdout.setEncoding('utf8');
    let buf = '';
    let n = 0;
    let threadId = null;
    let last = '';
    let commands = 0;
    const sends = [];
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let ev;
        try { ev = JSON.parse(line); } catch { continue; }
        if (ev.type === 'thread.started') threadId = ev.thread_id;
        if (ev.item?.type === 'command_execution') commands++;
        if (ev.item?.type === 'agent_message') last = ev.item.text;
        const message = describe(ev);
        if (message && token !== undefined) {
          sends.push(ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: ++n, message } }));
        }
      }
    });
    child.on('close', async (code) => {
      await Promise.allSettled(sends);
      const now = new Date().toISOString();
      const secs = (Date.now() - t0) / 1000;
      const status = code === 0 ? 'completed' : 'failed';
      resolve({
        isError: code !== 0,
        content: [{ type: 'text', text: last || `exited ${code}` }],
        structuredContent: {
          task_id: randomUUID(), status, tool: 'spawn_agent', created_at: created, started_at: created,
          completed_at: now, elapsed_seconds: secs, last_activity: now, log_file: null, thread_id: threadId,
          cwd: cwd ?? null, output: last,
          report: {
            status, duration_seconds: secs, exit_code: code ?? -1, files_changed: [], commands: [], commands_total: commands,
            usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0 },
          },
        },
      });
    });
  });
}

const handlers = {
  get_agent_status: ({ task_id }) => ({ isError: true, content: [{ type: 'text', text: `task_id: no task ${task_id}` }] }),
  spawn_agent: runAgent,
};

// One factory backs both eras (the SDK's advice), as in a real deployment.
function factory() {
  const server = new McpServer({ name: 'ts-reference', version: '2.4.0' });
  for (const t of schemas) {
    server.registerTool(t.name, {
      title: t.title, description: t.description, inputSchema: t.input, outputSchema: t.output, annotations: t.annotations,
    }, handlers[t.name] ?? (() => notServed(t.name)));
  }
  return server;
}

const modern = toNodeHandler(createMcpHandler(factory));
const sessions = new Map();
const validHost = localhostHostValidation();
const validOrigin = localhostOriginValidation();

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
function jsonError(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function serve(req, res) {
  if (!req.url.startsWith('/mcp')) return jsonError(res, 404, -32601, 'Not found');
  if (!validHost(req, res) || !validOrigin(req, res)) return;
  let body;
  if (req.method === 'POST') {
    const raw = await readBody(req);
    try { body = JSON.parse(raw.toString('utf8')); } catch { return jsonError(res, 400, -32700, 'Parse error'); }
  }
  const sid = req.headers['mcp-session-id'];
  if (sid !== undefined) {
    const transport = sessions.get(sid);
    if (!transport) return jsonError(res, 404, -32001, 'Session not found');
    return transport.handleRequest(req, res, body);
  }
  if (body?.method === 'initialize' && !body.params?._meta?.['io.modelcontextprotocol/protocolVersion']) {
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    transport.onclose = () => { if (transport.sessionId) sessions.delete(transport.sessionId); };
    await factory().connect(transport);
    return transport.handleRequest(req, res, body);
  }
  return modern(req, res, body);
}

const server = http.createServer((req, res) => {
  serve(req, res).catch((e) => {
    if (!res.headersSent) jsonError(res, 500, -32603, String(e?.message ?? e));
    else res.destroy();
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
server.listen(Number(port), host, () => {
  const a = server.address();
  console.error(`listening on http://${a.address}:${a.port}/mcp`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
