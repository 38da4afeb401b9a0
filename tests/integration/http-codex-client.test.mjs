// Codex itself as the client over HTTP, configured as the README says
// ([mcp_servers.NAME] url and bearer_token_env_var): it connects with its token and offers our
// tools to its model; with a wrong token it is refused and offers none of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, codexBin, TEST_TIMEOUT } from './lib/harness.mjs';
import { startHttpServer } from './lib/http.mjs';

function codexExec(ctx, token) {
  const child = spawn(codexBin(), ['exec', '--skip-git-repo-check', 'say hi'], {
    env: { ...process.env, HOME: ctx.home, CODEX_HOME: ctx.codexHome, MOCK_KEY: 'x', CODEX_MCP_TOKEN: token },
    cwd: ctx.workspace, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

/** The names of our tools the model was offered, from Codex's namespace for the server. */
function offered(request) {
  const ns = (request?.tools ?? []).find((t) => t.name === 'mcp__codexmcp');
  return ns ? (JSON.stringify(ns).match(/"name":"[a-z_]+"/g) ?? []).map((m) => m.slice(8, -1)).filter((n) => n !== 'mcp__codexmcp') : [];
}

test('Codex reaches codex-mcp over HTTP with its bearer token, and not without it', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const token = crypto.randomBytes(24).toString('hex');
  fs.writeFileSync(path.join(ctx.root, 'tokens'), `${token}\n`);
  const srv = await startHttpServer(ctx, { args: ['--http-token-file', path.join(ctx.root, 'tokens')] });
  fs.appendFileSync(path.join(ctx.codexHome, 'config.toml'),
    `\n[mcp_servers.codexmcp]\nurl = "${srv.url}"\nbearer_token_env_var = "CODEX_MCP_TOKEN"\n`);

  const ok = await codexExec(ctx, token);
  assert.equal(ok.code, 0, ok.stderr.slice(-2000));
  const tools = offered(ctx.model.requests.at(-1));
  for (const name of ['codex', 'codex_reply', 'spawn_agent', 'get_agent_status', 'kill_agent']) {
    assert.ok(tools.includes(name), `the model was not offered ${name}: ${tools.join(', ')}`);
  }

  const refused = await codexExec(ctx, 'not-the-token-at-all');
  assert.match(refused.stderr, /invalid_token/, 'Codex did not report the refusal');
  assert.deepEqual(offered(ctx.model.requests.at(-1)), [], 'tools offered without a valid token');
});
