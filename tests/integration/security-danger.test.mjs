// Dangerous modes are refused without --allow-danger, however they are asked for (sandbox,
// config.sandbox_mode, a profile's sandbox_mode, an approval bypass, spawn_agent's sandbox,
// config keys that run programs or widen what Codex may reach), and accepted with it. The fake Codex's `argv` word answers with the argv it got, so the test
// also sees what would have reached Codex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, resultText, structured, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { fakeCodex } from './lib/fault.mjs';

const SKIP = PEER_MODE && 'our flags';

const DANGEROUS = [
  ['codex', { sandbox: 'danger-full-access' }, /\n--sandbox=danger-full-access\n/],
  ['codex', { config: { sandbox_mode: 'danger-full-access' } }, /\n--config=sandbox_mode="danger-full-access"\n/],
  ['codex', { config: { profiles: { x: { sandbox_mode: 'danger-full-access' } } } }, /\n--config=profiles\.x\.sandbox_mode="danger-full-access"\n/],
  ['codex', { config: { 'profiles.x.sandbox_mode': 'danger-full-access' } }, /\n--config=profiles\.x\.sandbox_mode="danger-full-access"\n/],
  ['codex', { config: { profiles: { 'x.sandbox_mode': 'danger-full-access' } } }, /\n--config=profiles\.x\.sandbox_mode="danger-full-access"\n/],
  ['codex', { config: { dangerously_bypass_approvals_and_sandbox: true } }, /\n--config=dangerously_bypass_approvals_and_sandbox=true\n/],
  ['codex', { config: { profiles: { y: { dangerously_bypass_approvals_and_sandbox: true } } } }, /dangerously_bypass_approvals_and_sandbox=true/],
  ['codex', { sandbox: 'read-only', config: { sandbox_mode: 'danger-full-access' } }, /sandbox_mode="danger-full-access"/],
  ['spawn_agent', { sandbox: 'danger-full-access' }, /\n--sandbox=danger-full-access\n/],
  ['spawn_agent_async', { sandbox: 'danger-full-access' }, null],
  // Keys that run programs outside the sandbox, widen it, trust a directory, send requests
  // and keys elsewhere, or hand secrets to commands: only named keys pass without a flag.
  ['codex', { config: { notify: ['sh', '-c', 'touch /tmp/pwned'] } }, /\n--config=notify=\["sh", ?"-c", ?"touch \/tmp\/pwned"\]\n/],
  ['codex', { config: { mcp_servers: { x: { command: 'sh', args: ['-c', 'id'] } } } }, /\n--config=mcp_servers\.x\.command="sh"\n/],
  ['codex', { config: { 'mcp_servers.x.command': 'sh' } }, null],
  ['codex', { config: { hooks: { Stop: [{ hooks: [{ type: 'command', command: 'id' }] }] } } }, null],
  ['codex', { config: { model_providers: { x: { base_url: 'http://example.invalid', env_key: 'OPENAI_API_KEY' } } } }, null],
  ['codex', { config: { openai_base_url: 'http://example.invalid' } }, null],
  ['codex', { config: { sandbox_workspace_write: { writable_roots: ['/'] } } }, null],
  ['codex', { config: { sandbox_workspace_write: { network_access: true } } }, null],
  ['codex', { config: { default_permissions: ':danger-full-access' } }, null],
  ['codex', { config: { projects: { '/': { trust_level: 'trusted' } } } }, null],
  ['codex', { config: { shell_environment_policy: { inherit: 'all' } } }, null],
  ['codex', { config: { model_instructions_file: '/etc/shadow' } }, null],
  ['codex', { config: { approvals_reviewer: 'auto_review' } }, null],
  ['codex', { config: { profiles: { x: { notify: ['id'] } } } }, null],
  ['codex', { config: { 'model.x': 1, '"notify"': ['id'] } }, null],
];

test('dangerous modes are refused without --allow-danger, before anything runs', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ codexBin: fakeCodex() });
  for (const [tool, args] of DANGEROUS) {
    const res = await srv.call(tool, { prompt: 'argv', cwd: ctx.workspace, ...args });
    const text = resultText(res);
    assert.equal(res.isError, true, srv.diag(`${tool} ${JSON.stringify(args)} was not refused: ${text}`));
    assert.match(text, /--allow-danger/, `${tool} ${JSON.stringify(args)}: the refusal should name --allow-danger: ${text}`);
  }
  const tasks = structured(srv, await srv.call('list_agent_tasks', {}), 'list_agent_tasks');
  assert.equal(tasks.total, 0, `a refused call made a task: ${JSON.stringify(tasks)}`);
  // Safe modes and the model's own settings still work.
  for (const args of [{ sandbox: 'workspace-write' }, { sandbox: 'read-only' }, { config: { sandbox_mode: 'workspace-write' } },
    { config: { model: 'm', model_reasoning_effort: 'low', approval_policy: 'never', tools: { web_search: true } } },
    { config: { profiles: { fast: { model: 'm', sandbox_mode: 'read-only' } }, 'profiles.slow.model_verbosity': 'high' } }]) {
    const res = await srv.call('codex', { prompt: 'argv', cwd: ctx.workspace, ...args });
    assert.ok(!res.isError, srv.diag(resultText(res)));
  }
});

test('with --allow-danger the same calls are accepted, and reach Codex as asked', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ codexBin: fakeCodex(), args: ['--allow-danger'] });
  for (const [tool, args, argvRe] of DANGEROUS) {
    const res = await srv.call(tool, { prompt: 'argv', cwd: ctx.workspace, ...args });
    assert.ok(!res.isError, srv.diag(`${tool} ${JSON.stringify(args)} refused with --allow-danger: ${resultText(res)}`));
    if (!argvRe) continue;
    const argv = tool === 'codex' ? resultText(res) : res.structuredContent.output;
    assert.match(argv, argvRe, `${tool} ${JSON.stringify(args)}: Codex got ${JSON.stringify(argv)}`);
  }
});

test('codex-reply on a danger-full-access thread is refused once the server runs without --allow-danger', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv1 = await ctx.startServer({ codexBin: fakeCodex(), args: ['--allow-danger'] });
  const first = await srv1.call('codex', { prompt: 'argv', cwd: ctx.workspace, sandbox: 'danger-full-access' });
  assert.ok(!first.isError, srv1.diag(resultText(first)));
  const viaConfig = await srv1.call('codex', { prompt: 'argv', cwd: ctx.workspace, config: { sandbox_mode: 'danger-full-access' } });
  assert.ok(!viaConfig.isError, srv1.diag(resultText(viaConfig)));
  await srv1.close();

  const srv2 = await ctx.startServer({ codexBin: fakeCodex() });
  for (const [what, res] of [['sandbox', first], ['config.sandbox_mode', viaConfig]]) {
    const reply = await srv2.call('codex-reply', { threadId: res.structuredContent.threadId, prompt: 'argv' });
    assert.equal(reply.isError, true,
      `a reply to a thread begun with ${what} danger-full-access ran without --allow-danger; Codex got:\n${resultText(reply)}`);
    assert.match(resultText(reply), /--allow-danger/);
  }
});

test('--allow-config lets clients set the keys it names, and only those', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({
    codexBin: fakeCodex(),
    args: ['--allow-config', 'shell_environment_policy', '--allow-config', 'mcp_servers.*.url'],
  });
  const accepted = [
    [{ shell_environment_policy: { inherit: 'all', ignore_default_excludes: true } }, /\n--config=shell_environment_policy\.inherit="all"\n/],
    [{ mcp_servers: { docs: { url: 'http://127.0.0.1:9/mcp' } } }, /\n--config=mcp_servers\.docs\.url="http:\/\/127\.0\.0\.1:9\/mcp"\n/],
  ];
  for (const [config, argvRe] of accepted) {
    const res = await srv.call('codex', { prompt: 'argv', cwd: ctx.workspace, config });
    assert.ok(!res.isError, srv.diag(`${JSON.stringify(config)} refused: ${resultText(res)}`));
    assert.match(resultText(res), argvRe);
  }
  for (const config of [{ mcp_servers: { docs: { command: 'sh' } } }, { notify: ['id'] }, { shell: 1 }]) {
    const res = await srv.call('codex', { prompt: 'argv', cwd: ctx.workspace, config });
    assert.equal(res.isError, true, srv.diag(`${JSON.stringify(config)} was not refused: ${resultText(res)}`));
    assert.match(resultText(res), /--allow-config/);
  }
});
