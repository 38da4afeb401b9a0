// Prompts that look like flags or shell reach the model verbatim, as the prompt, and never as
// argv: Codex's /proc/<pid>/cmdline is read while the turn is held at the model, and the
// model's request is checked. Real Codex, scripted model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BACKEND, createContext, resultText, structured, waitFor, waitAgentEnded, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { lastUserPrompt, message } from './lib/mock-model.mjs';

const SKIP = PEER_MODE && 'our flags';

/** Every request is held until release(); the answer is "seen: <prompt>". */
function holdingScript() {
  let release;
  const gate = new Promise((r) => { release = r; });
  let held = 0;
  const script = async (body, index, ctx) => {
    held++;
    await Promise.race([gate, new Promise((r) => ctx.signal.addEventListener('abort', r, { once: true }))]);
    return [message(`seen: ${lastUserPrompt(body)}`)];
  };
  return { script, release: () => release(), held: () => held };
}

const touched = path.join('/tmp', `codex-mcp-sec-${process.pid}-${Date.now()}`);
const PROMPTS = [
  '--help',
  '-c sandbox_mode="danger-full-access"',
  `$(touch ${touched})`,
  `\`touch ${touched}\`; touch ${touched}`,
  '-',
  '--version --dangerously-bypass-approvals-and-sandbox',
];

/** Processes of this test's runs whose argv mentions any of the prompts' telltale pieces. */
function argvLeaks(ctx) {
  const needles = ['--help', 'sandbox_mode="danger-full-access"', 'sandbox_mode=danger-full-access', touched, '--version', '--dangerously'];
  return [...ctx.codexProcesses(), ...ctx.appServers()].filter((p) => p.cmdline.some((a) => needles.some((n) => a.includes(n))))
    .map((p) => `${p.pid}: ${JSON.stringify(p.cmdline)}`);
}

test('flag-like and shell-like prompts reach the model verbatim, never argv; nothing is executed', { timeout: 120_000, skip: SKIP }, async (t) => {
  const hold = holdingScript();
  const ctx = await createContext(t, { script: hold.script });
  const srv = await ctx.startServer({ args: ['--max-agents', String(2 * PROMPTS.length)] });

  // Each prompt through `codex` (blocking) and spawn_agent_async, all held at the model at once.
  const calls = PROMPTS.map((prompt) => srv.call('codex', { prompt, cwd: ctx.workspace }));
  const agents = [];
  for (const prompt of PROMPTS) {
    agents.push(structured(srv, await srv.call('spawn_agent_async', { prompt, cwd: ctx.workspace }), 'spawn').task_id);
  }
  await waitFor(() => hold.held() === 2 * PROMPTS.length, { timeoutMs: 60_000, what: 'every turn to reach the model' });
  // A Codex per turn over exec; one app-server for them all, which reads prompts as messages.
  const procs = BACKEND === 'app-server' ? ctx.appServers() : ctx.codexProcesses();
  const wanted = BACKEND === 'app-server' ? 1 : 2 * PROMPTS.length;
  assert.ok(procs.length >= wanted, `only ${procs.length} Codex processes seen`);
  for (const p of procs.filter((x) => x.cmdline.includes('exec'))) {
    assert.equal(p.cmdline.at(-1), '-', `Codex ${p.pid} does not read its prompt from stdin: ${JSON.stringify(p.cmdline)}`);
  }
  assert.deepEqual(argvLeaks(ctx), [], 'a prompt reached argv');

  // The model got each prompt exactly, twice (once per tool).
  const got = ctx.model.requests.map(lastUserPrompt);
  for (const prompt of PROMPTS) {
    assert.equal(got.filter((x) => x === prompt).length, 2, `the model did not get ${JSON.stringify(prompt)} verbatim: ${JSON.stringify(got)}`);
  }
  hold.release();
  const results = await Promise.all(calls);
  results.forEach((res, i) => {
    assert.ok(!res.isError, srv.diag(resultText(res)));
    assert.equal(resultText(res), `seen: ${PROMPTS[i]}`);
  });
  for (const id of agents) assert.equal((await waitAgentEnded(srv, id)).status, 'completed');

  // A reply with such a prompt: the thread id goes to argv (resume <id>), the prompt does not.
  const threadId = results[0].structuredContent.threadId;
  const reply = await srv.call('codex-reply', { threadId, prompt: '--help' });
  assert.equal(resultText(reply), 'seen: --help');
  assert.equal(lastUserPrompt(ctx.model.requests.at(-1)), '--help');
  assert.ok(!fs.existsSync(touched), `${touched} was created: a prompt was run by a shell`);
  assert.ok(!fs.existsSync(path.join(ctx.workspace, touched)));
});

test('a prompt is passed on stdin: a prompt of 512 KiB, and one with every kind of quote and newline', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const odd = `line one\n--help\n'single' "double" \`back\` $HOME \\ ; | & > /dev/null\n\t-c x=y\r\nend`;
  const res = await srv.call('codex', { prompt: odd, cwd: ctx.workspace });
  assert.ok(!res.isError, srv.diag(resultText(res)));
  assert.equal(lastUserPrompt(ctx.model.requests.at(-1)), odd);
  const big = `big ${'x'.repeat(512 * 1024)}`; // Codex takes at most 1 MiB
  const res2 = await srv.call('codex', { prompt: big, cwd: ctx.workspace });
  assert.ok(!res2.isError, srv.diag(resultText(res2)));
  assert.equal(lastUserPrompt(ctx.model.requests.at(-1)), big);
});
