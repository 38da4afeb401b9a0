// Nesting: a Codex run whose config lists codex-mcp as an MCP server starts another codex-mcp,
// whose runs can start another, and so on. Real Codex at every level, one scripted model for all:
// "NEST <k>" is the prompt of a run k deep, and the model answers it by calling the `codex` tool
// of the codex-mcp that Codex started for that run, with "NEST <k+1>".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, serverBin, codexBin, PEER_MODE } from './lib/harness.mjs';
import { message, lastUserPrompt, userPrompts, smartScript } from './lib/mock-model.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'drives codex-mcp options and its debug log';

let callId = 0;

/**
 * What an MCP tool call answered, as Codex hands it to the model ("Wall time: ...", "Output:",
 * then the result; a string, or content parts when the result is an error): its text, or the
 * content of its structured result.
 */
function toolText(output) {
  const raw = typeof output === 'string' ? output
    : Array.isArray(output) ? output.map((part) => part.text ?? '').join('\n') : JSON.stringify(output);
  const text = raw
    .replace(/^Wall time: [^\n]*\nOutput:\n?/, '').trim();
  try {
    const result = JSON.parse(text);
    if (typeof result?.content === 'string') return result.content;
  } catch { /* plain text */ }
  return text;
}

/** A context whose model runs the chain; at level `stopAt` it answers without calling the tool. */
async function chainContext(t, stopAt) {
  const where = {};
  const ctx = await createContext(t, { script: nestScript(where, stopAt) });
  where.workspace = ctx.workspace;
  return ctx;
}

function nestScript(where, stopAt) {
  return (body, index, state) => {
    const m = /^NEST (\d+)$/.exec(lastUserPrompt(body).trim());
    if (!m) return smartScript(body, index, state);
    const level = Number(m[1]);
    const last = body.input?.at(-1);
    if (last?.type === 'function_call_output') {
      return [message(`level ${level} heard: ${toolText(last.output)}`)];
    }
    if (level >= stopAt) return [message(`the model stopped at level ${level}`)];
    // Codex 0.169 offers an MCP server S's tools to the model in the namespace mcp__S.
    return [{
      type: 'function_call', id: `fc_nest_${++callId}`, call_id: `call_nest_${callId}`,
      namespace: 'mcp__codex', name: 'codex',
      arguments: JSON.stringify({ prompt: `NEST ${level + 1}`, cwd: where.workspace }),
    }];
  };
}

/**
 * Lists codex-mcp as the MCP server `codex` in the config every level shares. Its stderr goes to
 * a log the test reads; `sh -c 'exec ...'` becomes the server, so no process stands in between.
 */
function listCodexMcp(ctx, { args = [], passDepth = false } = {}) {
  const log = path.join(ctx.root, 'nested.log');
  const argv = ['-c', 'exec "$@" 2>>"$0"', log, serverBin(), '--codex-bin', codexBin(),
    '--state-dir', path.join(ctx.root, 'nested-state'), '--tools', 'compat', '--log-level', 'debug', ...args];
  fs.appendFileSync(path.join(ctx.codexHome, 'config.toml'), [
    '',
    '[mcp_servers.codex]',
    'command = "/bin/sh"',
    `args = ${JSON.stringify(argv)}`,
    'required = true',
    'default_tools_approval_mode = "approve"',
    'tool_timeout_sec = 100',
    // Codex hands MCP servers only a few variables (HOME, PATH, ...) unless told otherwise.
    `env = { CODEX_HOME = ${JSON.stringify(ctx.codexHome)}, MOCK_KEY = "x" }`,
    ...(passDepth ? ['env_vars = ["CODEX_MCP_DEPTH"]'] : []),
    '',
  ].join('\n'));
  return log;
}

/** What each nested server logged of its depth: [{ depth, inProc, env }], by depth. */
function depthsLogged(log) {
  const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  const re = /nesting depth (\d+) \((\d+) codex-mcp servers? above in \/proc; CODEX_MCP_DEPTH=(\w+)\)/g;
  return [...text.matchAll(re)]
    .map((m) => ({ depth: Number(m[1]), inProc: Number(m[2]), env: m[3] }))
    .sort((a, b) => a.depth - b.depth);
}

/** The levels whose runs reached the model. */
function levelsRun(ctx) {
  const levels = new Set();
  for (const body of ctx.model.requests) {
    const m = /^NEST (\d+)$/.exec((userPrompts(body)[0] ?? '').trim());
    if (m) levels.add(Number(m[1]));
  }
  return [...levels].sort();
}

test('each nested codex-mcp counts the servers above it in /proc; its runs learn their depth', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await chainContext(t, 2);
  // No limit anywhere, and the variable passed on: both signs can be read at every level.
  const log = listCodexMcp(ctx, { args: ['--max-depth', '0'], passDepth: true });
  const srv = await ctx.startServer({ args: ['--max-depth', '0', '--log-level', 'debug'] });
  const res = await srv.call('codex', { prompt: 'NEST 0', cwd: ctx.workspace }, { timeout: TIMEOUT });
  assert.ok(!res.isError, srv.diag(`isError: ${resultText(res)}`));
  assert.equal(resultText(res), 'level 0 heard: level 1 heard: the model stopped at level 2');
  assert.deepEqual(levelsRun(ctx), [0, 1, 2]);

  assert.match(srv.stderr, /nesting depth 0 \(0 codex-mcp servers above in \/proc; CODEX_MCP_DEPTH=unset\)/);
  // The runs at levels 0, 1 and 2 each started one: 1, 2 and 3 deep.
  assert.deepEqual(depthsLogged(log), [
    { depth: 1, inProc: 1, env: '1' },
    { depth: 2, inProc: 2, env: '2' },
    { depth: 3, inProc: 3, env: '3' },
  ], fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : 'no log');

  await srv.close();
  await ctx.assertNoCodexProcesses(10_000, 'after the chain ended:');
});

test('past --max-depth (default 2) a nested codex-mcp refuses to start runs, and the model reads why', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  // A guard: were nothing refused, the model itself would stop the chain at level 2.
  const ctx = await chainContext(t, 2);
  const log = listCodexMcp(ctx);
  const srv = await ctx.startServer();
  const res = await srv.call('codex', { prompt: 'NEST 0', cwd: ctx.workspace }, { timeout: TIMEOUT });
  assert.ok(!res.isError, srv.diag(`isError: ${resultText(res)}`));
  const text = resultText(res);
  // Level 1's run called the server 2 deep, which refused; the refusal came back up both levels.
  assert.match(text, /^level 0 heard: level 1 heard: codex-mcp is nested 2 deep \(/, text);
  assert.match(text, /--max-depth 2 allows no deeper Codex runs/);
  assert.deepEqual(levelsRun(ctx), [0, 1], 'no run may start 2 deep');
  // Codex passed no CODEX_MCP_DEPTH: /proc alone told each server its depth.
  assert.deepEqual(depthsLogged(log), [
    { depth: 1, inProc: 1, env: 'unset' },
    { depth: 2, inProc: 2, env: 'unset' },
  ]);

  await srv.close();
  await ctx.assertNoCodexProcesses(10_000, 'after the chain ended:');
});
