// `make run`: one real MCP client session against codex-mcp, then the snippets that register it
// in the usual clients. It uses your own Codex login when there is one, and otherwise the
// offline scripted model the tests use; it says which. With --doctor it only runs
// `codex-mcp doctor` with that same Codex and configuration, and exits as doctor does.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startMockModel } from './lib/mock-model.mjs';
import { codexBin } from './lib/harness.mjs';
import { connectModern, callAsTask, waitTask } from './lib/modern-client.mjs';

const doctorOnly = process.argv.includes('--doctor');
const serverArg = process.argv.slice(2).find((a) => !a.startsWith('--'));
const server = path.resolve(serverArg || path.join(import.meta.dirname, '../../build/codex-mcp'));
// Not under /tmp: Codex will not set up its sandbox helpers for a CODEX_HOME there.
const scratch = fs.mkdtempSync(path.join('/var/tmp', 'codex-mcp-demo-'));
const workspace = path.join(scratch, 'workspace');
fs.mkdirSync(workspace);

const userHome = process.env.CODEX_HOME || path.join(os.homedir(), '.codex');
const loggedIn = fs.existsSync(path.join(userHome, 'auth.json')) ||
  !!process.env.OPENAI_API_KEY || !!process.env.CODEX_API_KEY;

let model = null;
const env = { ...getDefaultEnvironment() };
for (const k of ['OPENAI_API_KEY', 'CODEX_API_KEY']) if (process.env[k]) env[k] = process.env[k];
const args = ['--state-dir', path.join(scratch, 'state')];
let prompt;
if (loggedIn) {
  console.log(`Model: your own Codex login (${userHome}). This makes one small real request.\n`);
  env.CODEX_HOME = userHome;
  // Prefer the user's own codex; fall back to the one pinned for the tests.
  if (!process.env.CODEX_BIN && !process.env.PATH.split(':').some((d) => fs.existsSync(path.join(d, 'codex')))) {
    args.push('--codex-bin', codexBin());
  }
  prompt = 'Create a file hello.txt containing the words "Hello from Codex", then say in one sentence what you did.';
} else {
  model = await startMockModel();
  const home = path.join(scratch, 'codex-home');
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(home, 'config.toml'), [
    'model = "mock-model"', 'model_provider = "mock"', '', '[model_providers.mock]', 'name = "mock"',
    `base_url = "${model.url}"`, 'wire_api = "responses"', 'env_key = "MOCK_KEY"',
    'request_max_retries = 0', 'stream_max_retries = 0', '',
  ].join('\n'));
  // A fresh HOME keeps your shell start-up files out of the scripted run.
  fs.mkdirSync(path.join(scratch, 'home'));
  Object.assign(env, { CODEX_HOME: home, MOCK_KEY: 'offline', HOME: path.join(scratch, 'home') });
  args.push('--codex-bin', codexBin());
  console.log('Model: no Codex login found, so the offline scripted model the tests use answers.');
  console.log('       (Log in with `codex login`, or set OPENAI_API_KEY, to use a real model.)\n');
  prompt = 'WRITE hello.txt Hello from Codex';
}

if (doctorOnly) {
  console.log(`codex-mcp doctor ${args.join(' ')}\n`);
  const doctor = spawnSync(server, ['doctor', ...args], { env, stdio: 'inherit' });
  await model?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
  process.exit(doctor.status ?? 1);
}

// The same server in MCP 2026-07-28: no handshake, and a long run as a task of the extension.
let modernStderr = '';
async function modernSession() {
  const modern = await connectModern(server, args, env, { mode: 'pin' });
  try {
    const d = modern.discover;
    console.log(`\nMCP ${modern.version}, through the official 2.4.0 client: server/discover offers ` +
      `${d.supportedVersions.join(', ')} and ${Object.keys(d.capabilities.extensions ?? {}).join(', ')}`);
    const ask = loggedIn ? 'Say hello in three words.' : 'hello from 2026';
    const created = await callAsTask(modern, 'codex', { prompt: ask, cwd: workspace });
    console.log(`tools/call codex {prompt: ${JSON.stringify(ask)}} as a task`);
    console.log(`  resultType "${created.resultType}": task ${created.taskId}, ${created.status}`);
    const done = await waitTask(modern, created.taskId, { timeoutMs: 600_000 });
    console.log(`  tasks/get: ${done.status}: ${done.result.content[0].text}`);
  } finally {
    modernStderr = modern.stderr ? `\n--- 2026-07-28 server stderr ---\n${modern.stderr}` : '';
    await modern.close();
  }
}

const transport = new StdioClientTransport({ command: server, args, env, stderr: 'pipe' });
let stderr = '';
transport.stderr?.on('data', (d) => { stderr += d; });
const client = new Client({ name: 'codex-mcp-demo', version: '1.0.0' });
try {
  await client.connect(transport);
  const info = client.getServerVersion();
  console.log(`Connected to ${info.name} ${info.version} over stdio.\n`);

  const { tools } = await client.listTools();
  console.log('tools/list:');
  for (const t of tools) console.log(`  ${t.name.padEnd(22)} ${t.description}`);

  console.log(`\ntools/call codex  {prompt: ${JSON.stringify(prompt)}, sandbox: "workspace-write", cwd: ${workspace}}`);
  const first = await client.callTool(
    { name: 'codex', arguments: { prompt, sandbox: 'workspace-write', cwd: workspace } },
    undefined,
    { timeout: 600_000, onprogress: (p) => console.log(`  progress ${p.progress}: ${p.message}`) },
  );
  if (first.isError) throw new Error(`codex failed: ${first.content[0].text}`);
  console.log(`  answer:   ${first.content[0].text}`);
  console.log(`  threadId: ${first.structuredContent.threadId}`);
  const file = path.join(workspace, 'hello.txt');
  console.log(`  ${file}: ${fs.existsSync(file) ? JSON.stringify(fs.readFileSync(file, 'utf8')) : '(not written)'}`);

  const reply = await client.callTool(
    { name: 'codex-reply', arguments: { threadId: first.structuredContent.threadId, prompt: 'What did you just do?' } },
    undefined, { timeout: 600_000 });
  console.log(`\ntools/call codex-reply {threadId, prompt: "What did you just do?"}`);
  console.log(`  answer:   ${reply.content[0].text}`);
  await modernSession();
} catch (e) {
  console.error(`\nThe demo failed: ${e.message}\n--- server stderr ---\n${stderr}${modernStderr}`);
  process.exitCode = 1;
} finally {
  await client.close().catch(() => {});
  await model?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}

if (!process.exitCode) {
  console.log(`
Register the server in your client (binary: ${server}):

Claude Code:
  claude mcp add codex -- ${server}

Codex (~/.codex/config.toml):
  [mcp_servers.codex]
  command = "${server}"

Claude Desktop (claude_desktop_config.json) and Cursor (~/.cursor/mcp.json):
  { "mcpServers": { "codex": { "command": "${server}", "args": [] } } }

OpenAI Agents SDK (Python):
  async with MCPServerStdio(name="Codex CLI", params={"command": "${server}", "args": []},
                            client_session_timeout_seconds=360000) as codex_mcp_server:
      ...`);
}
