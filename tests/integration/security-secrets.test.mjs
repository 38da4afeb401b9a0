// Secrets in the server's environment (OPENAI_API_KEY, CODEX_API_KEY) and given with --env
// never show in results, notifications (progress, log messages at debug, codex/event), agent
// logs or the server's stderr at --log-level debug, even when the model's output and Codex's
// commands print them. Real Codex with the scripted model; the fake Codex for stderr and for
// messages cut short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, structured, waitAgentEnded, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { taskCall, taskResult, pollTask } from './lib/tasks.mjs';
import { fakeCodex } from './lib/fault.mjs';

const SKIP = PEER_MODE && 'our flags';
const SECRETS = { OPENAI_API_KEY: 'sk-test-secret-value-1', CODEX_API_KEY: 'another-secret-2', X_TOKEN: 'third-secret-3' };
const VALUES = Object.values(SECRETS);

async function startSecretServer(ctx, opts = {}) {
  const srv = await ctx.startServer({
    ...opts,
    env: { OPENAI_API_KEY: SECRETS.OPENAI_API_KEY, CODEX_API_KEY: SECRETS.CODEX_API_KEY },
    // The operator lets clients hand Codex's commands the whole environment, so the secrets
    // do reach the commands: what is tested is that nothing brings them back out.
    args: ['--env', `X_TOKEN=${SECRETS.X_TOKEN}`, '--log-level', 'debug', '--codex-events',
      '--allow-config', 'shell_environment_policy', ...(opts.args ?? [])],
  });
  await srv.client.setLoggingLevel('debug');
  return srv;
}

/** Every place a secret could show: what the client got, the agent logs, the server's stderr. */
function places(ctx, srv) {
  const out = { 'messages to the client': JSON.stringify(srv.received), 'server stderr': srv.stderr };
  const logDir = path.join(ctx.stateDir, 'logs');
  for (const f of fs.existsSync(logDir) ? fs.readdirSync(logDir) : []) out[`agent log ${f}`] = fs.readFileSync(path.join(logDir, f), 'utf8');
  return out;
}

function assertNoSecrets(ctx, srv, { partial = false } = {}) {
  for (const [where, text] of Object.entries(places(ctx, srv))) {
    for (const v of VALUES) {
      assert.ok(!text.includes(v), `${v} shows in ${where}: ...${text.slice(Math.max(0, text.indexOf(v) - 200), text.indexOf(v) + 50)}...`);
      // Half a secret is a leak too.
      const half = v.slice(0, Math.ceil(v.length / 2));
      if (partial) assert.ok(!text.includes(half), `"${half}" (half of ${v}) shows in ${where}: ...${text.slice(Math.max(0, text.indexOf(half) - 200), text.indexOf(half) + 50)}...`);
    }
  }
}

const PRINT = 'RUN printenv OPENAI_API_KEY; printenv CODEX_API_KEY; printenv X_TOKEN';
// Codex leaves *KEY*, *TOKEN* out of commands' environments unless told otherwise.
const INHERIT = { shell_environment_policy: { inherit: 'all', ignore_default_excludes: true } };

test('secrets printed by commands and by the model never reach results, notifications, logs or stderr', { timeout: 120_000, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startSecretServer(ctx);

  const res = await srv.call('codex', { prompt: PRINT, cwd: ctx.workspace, config: INHERIT }, { onprogress: () => {} });
  assert.ok(!res.isError, srv.diag(resultText(res)));
  // The command did print them (the model saw its output), and the answer masks them.
  const seenByModel = JSON.stringify(ctx.model.requests.at(-1));
  for (const v of VALUES) assert.ok(seenByModel.includes(v), `the command did not print ${v}: the test proves nothing`);
  assert.match(resultText(res), /\[redacted\]/, resultText(res));

  // The model says them itself.
  const said = await srv.call('codex', { prompt: `repeat ${VALUES.join(' and ')}`, cwd: ctx.workspace }, { onprogress: () => {} });
  assert.ok(!said.isError);
  assert.equal(resultText(said), 'echo: repeat [redacted] and [redacted] and [redacted] [user messages: 1]');

  // As agents: blocking, async (status, list, paged output), and as an MCP task.
  const agent = structured(srv, await srv.call('spawn_agent', { prompt: PRINT, cwd: ctx.workspace }), 'spawn_agent');
  assert.equal(agent.status, 'completed');
  const asyncRun = structured(srv, await srv.call('spawn_agent_async', { prompt: PRINT, cwd: ctx.workspace }), 'async');
  await waitAgentEnded(srv, asyncRun.task_id);
  await srv.call('get_agent_status', { task_id: asyncRun.task_id });
  await srv.call('get_agent_status', { task_id: asyncRun.task_id, offset: 3, limit: 20 });
  await srv.call('list_agent_tasks', {});
  await srv.call('list_running_agents', {});
  const created = await taskCall(srv, 'codex', { prompt: PRINT, cwd: ctx.workspace, config: INHERIT }, { ttl: 60000 });
  await pollTask(srv, created.task.taskId, (x) => x.status !== 'working');
  srv.received.push(await taskResult(srv, created.task.taskId));
  // A reply to the thread whose history holds them.
  await srv.call('codex-reply', { threadId: res.structuredContent.threadId, prompt: PRINT }, { onprogress: () => {} });

  assert.ok(srv.notifications.some((n) => n.method === 'codex/event'), 'no codex/event: the check proves little');
  assert.ok(srv.notifications.some((n) => n.method === 'notifications/message'), 'no log messages: the check proves little');
  console.log('# log messages:', JSON.stringify([...new Set(srv.notifications.filter((n) => n.method === 'notifications/message').map((n) => n.params.level))]));
  assertNoSecrets(ctx, srv);
});

test('secrets in Codex\'s stderr (a failing run\'s tail, debug logs) are masked', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startSecretServer(ctx, { codexBin: fakeCodex() });
  const res = await srv.call('codex', { prompt: 'printenv OPENAI_API_KEY printenv CODEX_API_KEY printenv X_TOKEN exit 3', cwd: ctx.workspace }, { onprogress: () => {} });
  assert.equal(res.isError, true);
  assert.match(resultText(res), /status 3/);
  assert.match(resultText(res), /printenv X_TOKEN=\[redacted\]/, `the tail should be there, masked: ${resultText(res)}`);
  const agent = await srv.call('spawn_agent', { prompt: 'printenv OPENAI_API_KEY printenv X_TOKEN segv', cwd: ctx.workspace });
  assert.equal(agent.isError, true);
  assert.ok(srv.notifications.some((n) => n.method === 'notifications/message' && n.params.level === 'debug' &&
    /codex stderr: fake-codex: printenv X_TOKEN=\[redacted\]/.test(n.params.data)), 'no debug log message with the stderr line');
  assert.match(srv.stderr, /debug: codex stderr: fake-codex: printenv OPENAI_API_KEY=\[redacted\]/);
  assertNoSecrets(ctx, srv);
});

// Expected to fail while messages are cut to length before they are masked: a secret that
// straddles the cut (120 characters of an agent message in progress and in the agent log)
// is not recognised, and its first half shows.
test('a secret cut short in a progress message or a log line does not show in part', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await startSecretServer(ctx, { codexBin: fakeCodex() });
  // The fake's `echo` answers with the whole prompt; the progress message keeps its first 120
  // characters, so the secret starts at 105 and is cut after 15.
  const pad = 'p'.repeat(105 - 'echo '.length);
  const prompt = `echo ${pad}${SECRETS.OPENAI_API_KEY} and more`;
  assert.equal(prompt.indexOf(SECRETS.OPENAI_API_KEY), 105);
  const res = await srv.call('spawn_agent', { prompt, cwd: ctx.workspace }, { onprogress: () => {} });
  assert.ok(!res.isError);
  assert.ok(res.structuredContent.output.includes('[redacted]'));
  assertNoSecrets(ctx, srv, { partial: true });
});
