// Process lifecycle: Codex dies with the server (SIGKILL, SIGTERM), npm's Node wrapper is
// bypassed for the native binary, and a cancelled turn leaves its thread usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, waitFor, listProcesses, codexBin, TESTS_DIR, PEER_MODE, TEST_TIMEOUT } from './lib/harness.mjs';
import { smartScript, message, lastUserPrompt, userPrompts } from './lib/mock-model.mjs';
import { startRaw, initialize } from './lib/raw-client.mjs';

const SKIP = PEER_MODE && 'our process model';

/** Alive descendants of `pid` (walking ppid links in /proc). */
function descendants(pid) {
  const procs = listProcesses().filter((p) => p.state !== 'Z' && p.state !== 'X');
  const out = [];
  let frontier = [pid];
  while (frontier.length) {
    const children = procs.filter((p) => frontier.includes(p.ppid));
    out.push(...children);
    frontier = children.map((p) => p.pid);
  }
  return out;
}

// Every Codex process of the test, a warm app-server included: none may outlive the server.
const everyCodex = (ctx) => [...ctx.codexProcesses(), ...ctx.appServers()];

const describe = (ps) => ps.map((p) => `${p.pid} (ppid ${p.ppid}, ${p.comm}, ${p.exe}) ${p.cmdline.join(' ')}`).join('\n');

/** Start a raw server with a turn held by the mock ("SLEEP 60000"), Codex running. */
async function serverWithHeldTurn(t, ctx) {
  const srv = startRaw(t, ctx);
  await initialize(srv);
  await srv.send({ id: 'held', method: 'tools/call', params: { name: 'codex', arguments: {
    prompt: 'SLEEP 60000 held turn', cwd: ctx.workspace, sandbox: 'workspace-write' } } });
  await ctx.model.waitForRequests(1, 30_000);
  const codex = everyCodex(ctx);
  assert.ok(codex.length > 0, srv.diag('no Codex process while the turn runs'));
  // Codex is the server's child (through the trampoline, which execs it in place).
  assert.ok(descendants(srv.pid).some((p) => p.exe === fs.realpathSync(codexBin())),
    `Codex is not among the server's descendants:\n${describe(descendants(srv.pid))}`);
  return srv;
}

test('SIGKILL of the server takes its Codex down too', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await serverWithHeldTurn(t, ctx);
  const before = everyCodex(ctx);
  srv.child.kill('SIGKILL');
  const exit = await srv.exited;
  assert.equal(exit.signal, 'SIGKILL');
  try {
    await waitFor(() => everyCodex(ctx).length === 0, { timeoutMs: 10_000, what: 'Codex to die with the server' });
  } catch (e) {
    throw new Error(`${e.message}; still alive:\n${describe(everyCodex(ctx))}\n(were: ${describe(before)})`);
  }
  await waitFor(() => ctx.model.active === 0, { timeoutMs: 5000, what: 'the model connection to drop' });
});

test('SIGTERM mid-run: exit code 0, no Codex left', { timeout: TEST_TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await serverWithHeldTurn(t, ctx);
  srv.child.kill('SIGTERM');
  const exit = await srv.exited;
  assert.deepEqual([exit.code, exit.signal], [0, null], srv.diag(`server exit ${JSON.stringify(exit)}`));
  // The pending call was answered (as an error, naming its thread) before the server went.
  await srv.closed;
  const answer = srv.messages.find((m) => m.id === 'held');
  assert.ok(answer?.result, srv.diag(`the running call got no result before exit: ${JSON.stringify(answer)}`));
  assert.equal(answer.result.isError, true, JSON.stringify(answer));
  assert.equal(typeof answer.result.structuredContent?.threadId, 'string', `no threadId: ${JSON.stringify(answer)}`);
  // The server reaps its runs before exiting (stragglers in Codex's group get a SIGKILL).
  await ctx.assertNoCodexLeft(2000, srv.diag('after SIGTERM:'));
  await waitFor(() => ctx.model.active === 0, { timeoutMs: 5000, what: 'the model connection to drop' });
  srv.assertCleanStdout();
});

test('--codex-bin may be npm\'s Node wrapper; the server runs the native binary', { timeout: 90_000, skip: SKIP }, async (t) => {
  let release;
  const script = async (body, index, { signal }) => {
    if (lastUserPrompt(body).startsWith('SLEEP')) {
      const gate = new Promise((r) => { release = r; });
      await Promise.race([gate, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      return [message('released')];
    }
    return smartScript(body);
  };
  const ctx = await createContext(t, { script });
  const native = fs.realpathSync(codexBin());
  const wrappers = [
    path.join(TESTS_DIR, 'node_modules', '@openai', 'codex', 'bin', 'codex.js'),
    path.join(TESTS_DIR, 'node_modules', '.bin', 'codex'),
  ];
  for (const wrapper of wrappers) {
    assert.ok(fs.existsSync(wrapper), `${wrapper} missing (npm ci in tests/integration)`);
    assert.match(fs.readFileSync(wrapper, 'utf8').split('\n')[0], /node/, `${wrapper} is not a Node script`);
    const srv = await ctx.startServer({ codexBin: wrapper });

    const quick = await srv.call('codex', { prompt: `through ${path.basename(wrapper)}`, cwd: ctx.workspace });
    assert.ok(!quick.isError, srv.diag(`${wrapper}: ${resultText(quick)}`));
    assert.equal(quick.content[0].text, `echo: through ${path.basename(wrapper)} [user messages: 1]`);

    const before = ctx.model.requests.length;
    const pending = srv.call('codex-reply', { threadId: quick.structuredContent.threadId, prompt: 'SLEEP 60000 held' });
    await ctx.model.waitForRequests(before + 1, 30_000);
    const tree = descendants(srv.pid);
    release();
    const nodes = tree.filter((p) => p.comm === 'node' || path.basename(p.exe || '') === 'node' ||
      p.cmdline.some((a) => a.endsWith('codex.js')));
    assert.deepEqual(describe(nodes), '', `${wrapper}: Node runs under the server:\n${describe(tree)}`);
    assert.ok(tree.some((p) => p.exe === native), `${wrapper}: the native Codex is not under the server:\n${describe(tree)}`);

    const res = await pending;
    assert.ok(!res.isError, srv.diag(`${wrapper}: ${resultText(res)}`));
    assert.equal(res.content[0].text, 'released');
    await srv.close();
  }
});

test('a cancelled codex-reply leaves the thread usable', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const first = await srv.call('codex', { prompt: 'first', cwd: ctx.workspace });
  assert.ok(!first.isError, srv.diag(resultText(first)));
  const threadId = first.structuredContent.threadId;

  const ac = new AbortController();
  const before = ctx.model.requests.length;
  const pending = srv.call('codex-reply', { threadId, prompt: 'SLEEP 60000 to be cancelled' }, { signal: ac.signal });
  pending.catch(() => {}); // observed below
  await ctx.model.waitForRequests(before + 1, 30_000);
  ac.abort('test cancels');
  await assert.rejects(pending);
  await ctx.assertNoCodexProcesses(5000, srv.diag('after cancel:'));
  await waitFor(() => ctx.model.active === 0, { timeoutMs: 5000, what: 'the held response to be dropped' });

  const next = await srv.call('codex-reply', { threadId, prompt: 'after the cancel' });
  assert.ok(!next.isError, srv.diag(`reply after cancel: ${resultText(next)}`));
  assert.equal(next.structuredContent.threadId, threadId);
  assert.match(next.content[0].text, /^echo: after the cancel \[user messages: \d+\]$/);
  const prompts = userPrompts(ctx.model.requests.at(-1));
  assert.equal(prompts[0], 'first', `the thread's history is lost: ${JSON.stringify(prompts)}`);
  assert.equal(prompts.at(-1), 'after the cancel');

  // And once more, to be sure the thread is not left marked busy.
  const again = await srv.call('codex-reply', { threadId, prompt: 'once more' });
  assert.ok(!again.isError, srv.diag(resultText(again)));
  assert.equal(again.structuredContent.threadId, threadId);
});
