// Options of the `codex` tool reach Codex (and the model) as asked: approval-policy, profile,
// include-plan-tool, config, base-instructions, developer-instructions, and the danger gate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BACKEND, createContext, resultText, waitFor, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { smartScript, itemText, userPrompts } from './lib/mock-model.mjs';

// The default base instructions of Codex 0.169 for a model it does not know.
const DEFAULT_BASE = 'You are a coding agent running in the Codex CLI';

function ok(srv, res, what) {
  assert.ok(!res.isError, srv.diag(`${what}: unexpected isError: ${resultText(res)}`));
  assert.equal(typeof res.structuredContent?.threadId, 'string', `${what}: no threadId`);
  return res.structuredContent.threadId;
}

/** Texts of the developer-role messages of a request, in order. */
function developerTexts(body) {
  return (body.input || []).filter((it) => it.type === 'message' && it.role === 'developer').map(itemText);
}

/** The sandbox Codex reports for the turn in its request metadata (0.169), if any. */
function turnSandbox(body) {
  const meta = body.client_metadata?.['x-codex-turn-metadata'];
  return meta ? JSON.parse(meta).sandbox_mode : undefined;
}

/** The smart script, but the first request waits until release() (or the connection drops). */
function gatedScript() {
  let release;
  const gate = new Promise((r) => { release = r; });
  const script = async (body, index, { signal }) => {
    if (index === 0) {
      await Promise.race([gate, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    }
    return smartScript(body);
  };
  return { script, release: () => release() };
}

test('approval-policy "untrusted" runs (as on-request over exec) and completes', { timeout: TEST_TIMEOUT, skip: PEER_MODE && 'our mapping' }, async (t) => {
  const { script, release } = gatedScript();
  const ctx = await createContext(t, { script });
  const srv = await ctx.startServer();
  const pending = srv.call('codex', { prompt: 'untrusted please', cwd: ctx.workspace, 'approval-policy': 'untrusted' });
  await ctx.model.waitForRequests(1, 30_000);
  if (BACKEND === 'app-server') {
    // app-server takes "untrusted" as it is, and tells the model so.
    release();
    const told = JSON.stringify(ctx.model.requests[0]);
    assert.ok(told.includes('approval_policy` is `unless-trusted`'), 'the model was not told the untrusted policy');
  } else {
    // While the turn is held, Codex's command line shows the policy it was given: exec
    // refuses "untrusted", so it gets the nearest, on-request.
    const codex = ctx.codexProcesses().find((p) => p.cmdline[1] === 'exec');
    release();
    assert.ok(codex, `no "codex exec" process while the turn runs: ${JSON.stringify(ctx.codexProcesses().map((p) => p.cmdline))}`);
    assert.ok(codex.cmdline.includes('--config=approval_policy="on-request"'), `Codex was not given on-request: ${codex.cmdline.join(' ')}`);
    assert.ok(!codex.cmdline.some((a) => a.includes('untrusted')), `Codex was given "untrusted": ${codex.cmdline.join(' ')}`);
  }
  const res = await pending;
  ok(srv, res, 'approval-policy untrusted');
  assert.equal(res.content[0].text, 'echo: untrusted please [user messages: 1]');

  for (const policy of ['on-request', 'never', 'on-failure']) {
    const r = await srv.call('codex', { prompt: `policy ${policy}`, cwd: ctx.workspace, 'approval-policy': policy });
    ok(srv, r, `approval-policy ${policy}`);
    assert.equal(r.content[0].text, `echo: policy ${policy} [user messages: 1]`);
  }
});

test('profile selects a Codex profile; include-plan-tool is accepted', { timeout: TEST_TIMEOUT, skip: PEER_MODE && 'profile files are newer than 0.153.4' }, async (t) => {
  const ctx = await createContext(t);
  // Codex 0.169 keeps profiles in CODEX_HOME/<name>.config.toml (it refuses a legacy
  // [profiles.<name>] table in config.toml together with --profile).
  fs.writeFileSync(path.join(ctx.codexHome, 'p1.config.toml'), 'model = "mock-profile-model"\n');
  const srv = await ctx.startServer();

  const plain = await srv.call('codex', { prompt: 'no profile', cwd: ctx.workspace });
  ok(srv, plain, 'no profile');
  assert.equal(ctx.model.requests.at(-1).model, 'mock-model');

  const res = await srv.call('codex', { prompt: 'with profile', cwd: ctx.workspace, profile: 'p1' });
  const threadId = ok(srv, res, 'profile p1');
  assert.equal(res.content[0].text, 'echo: with profile [user messages: 1]');
  assert.equal(ctx.model.requests.at(-1).model, 'mock-profile-model', 'the profile\'s model was not used');

  // A reply keeps the thread's profile.
  const reply = await srv.call('codex-reply', { threadId, prompt: 'reply with profile' });
  assert.equal(ok(srv, reply, 'reply on the profile thread'), threadId);
  assert.equal(ctx.model.requests.at(-1).model, 'mock-profile-model', 'the reply lost the profile');

  for (const flag of [true, false]) {
    const r = await srv.call('codex', { prompt: `plan tool ${flag}`, cwd: ctx.workspace, 'include-plan-tool': flag });
    ok(srv, r, `include-plan-tool ${flag}`);
    assert.equal(r.content[0].text, `echo: plan tool ${flag} [user messages: 1]`);
  }
  const bad = await srv.call('codex', { prompt: 'x', cwd: ctx.workspace, 'include-plan-tool': 'yes' });
  assert.equal(bad.isError, true, `include-plan-tool "yes" accepted: ${resultText(bad)}`);
  assert.match(resultText(bad), /include-plan-tool/);
});

test('config overrides reach the model: model_reasoning_effort', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  ok(srv, await srv.call('codex', { prompt: 'default effort', cwd: ctx.workspace }), 'default effort');
  assert.notEqual(ctx.model.requests.at(-1).reasoning?.effort, 'high', 'the default effort is already "high"; the test proves nothing');

  const res = await srv.call('codex', { prompt: 'high effort', cwd: ctx.workspace, config: { model_reasoning_effort: 'high' } });
  ok(srv, res, 'config model_reasoning_effort');
  const body = ctx.model.requests.at(-1);
  assert.equal(body.reasoning?.effort, 'high', `reasoning in the request: ${JSON.stringify(body.reasoning)}`);
});

test('base-instructions replace the default instructions; developer-instructions are a developer message', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  ok(srv, await srv.call('codex', { prompt: 'defaults', cwd: ctx.workspace }), 'defaults');
  const plain = ctx.model.requests.at(-1);
  assert.ok(developerTexts(plain)[0]?.startsWith(DEFAULT_BASE),
    `without base-instructions the first developer message should be Codex's default: ${developerTexts(plain)[0]?.slice(0, 200)}`);

  const base = 'BASE-INSTRUCTIONS-7f3a: you are a test double.\nSecond line.';
  const developer = 'DEVELOPER-INSTRUCTIONS-91c2: always answer briefly.';
  const res = await srv.call('codex', {
    prompt: 'custom instructions', cwd: ctx.workspace, 'base-instructions': base, 'developer-instructions': developer,
  });
  const threadId = ok(srv, res, 'instructions');
  assert.equal(res.content[0].text, 'echo: custom instructions [user messages: 1]');
  const body = ctx.model.requests.at(-1);
  const dev = developerTexts(body);
  assert.equal(dev[0], base, `the first developer message is not the base instructions: ${dev[0]?.slice(0, 200)}`);
  assert.ok(!JSON.stringify(body).includes(DEFAULT_BASE), 'the default instructions are still sent');
  assert.ok(dev.some((d) => d.includes(developer)), `developer-instructions not in a developer message: ${JSON.stringify(dev.map((d) => d.slice(0, 80)))}`);
  assert.ok(!userPrompts(body).some((p) => p.includes(developer) || p.includes(base)), 'instructions sent as a user prompt');

  // A reply keeps them, once each.
  const reply = await srv.call('codex-reply', { threadId, prompt: 'still custom?' });
  assert.equal(ok(srv, reply, 'reply'), threadId);
  const next = ctx.model.requests.at(-1);
  const nextDev = developerTexts(next);
  assert.equal(nextDev[0], base, 'the reply lost the base instructions');
  assert.ok(!JSON.stringify(next).includes(DEFAULT_BASE), 'the reply sent the default instructions');
  assert.equal(nextDev.filter((d) => d.includes(developer)).length, 1, 'developer-instructions missing or repeated in the reply');
  assert.equal(nextDev.filter((d) => d === base).length, 1, 'base instructions repeated in the reply');
});

test('danger-full-access is refused without --allow-danger', { timeout: TEST_TIMEOUT, skip: PEER_MODE && 'our gate' }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const attempts = [
    { sandbox: 'danger-full-access' },
    { config: { sandbox_mode: 'danger-full-access' } },
  ];
  for (const extra of attempts) {
    const res = await srv.call('codex', { prompt: 'let me out', cwd: ctx.workspace, ...extra });
    const text = resultText(res);
    assert.equal(res.isError, true, srv.diag(`${JSON.stringify(extra)} was not refused: ${text}`));
    assert.ok(text.includes('--allow-danger'), `the refusal should mention --allow-danger: ${text}`);
  }
  assert.equal(ctx.model.requests.length, 0, 'a refused call reached the model');
  assert.deepEqual(ctx.codexProcesses(), []);
  // Other sandboxes are fine.
  const fine = await srv.call('codex', { prompt: 'stay in', cwd: ctx.workspace, sandbox: 'workspace-write' });
  ok(srv, fine, 'workspace-write');
  assert.equal(turnSandbox(ctx.model.requests.at(-1)), 'workspace-write');
});

test('danger-full-access is accepted with --allow-danger', { timeout: TEST_TIMEOUT, skip: PEER_MODE && 'our flag' }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ args: ['--allow-danger'] });
  const attempts = [
    { sandbox: 'danger-full-access' },
    { config: { sandbox_mode: 'danger-full-access' } },
  ];
  for (const extra of attempts) {
    const res = await srv.call('codex', { prompt: 'WRITE free.txt out', cwd: ctx.workspace, ...extra });
    ok(srv, res, JSON.stringify(extra));
    assert.equal(res.content[0].text, 'wrote free.txt');
    assert.equal(fs.readFileSync(path.join(ctx.workspace, 'free.txt'), 'utf8'), 'out');
    fs.rmSync(path.join(ctx.workspace, 'free.txt'));
    // Codex 0.169 reports the turn's sandbox in the request metadata.
    const sandbox = turnSandbox(ctx.model.requests.at(-1));
    assert.equal(sandbox, 'danger-full-access', `${JSON.stringify(extra)}: Codex ran with ${sandbox}`);
  }
  await waitFor(() => ctx.codexProcesses().length === 0, { timeoutMs: 5000, what: 'Codex to exit' });
});
