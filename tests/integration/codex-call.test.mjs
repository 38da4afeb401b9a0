// The `codex` tool: a real turn that writes a file, the result shape, and prompts passed verbatim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, resultText, TEST_TIMEOUT } from './lib/harness.mjs';
import { lastUserPrompt } from './lib/mock-model.mjs';

test('codex writes a file in cwd and returns the final message and threadId', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const res = await srv.call('codex', {
    prompt: 'WRITE out.txt hello from codex',
    sandbox: 'workspace-write',
    cwd: ctx.workspace,
  });
  assert.ok(!res.isError, srv.diag(`unexpected isError: ${resultText(res)}`));
  const file = path.join(ctx.workspace, 'out.txt');
  assert.ok(fs.existsSync(file), srv.diag(`${file} was not written`));
  assert.equal(fs.readFileSync(file, 'utf8'), 'hello from codex');

  assert.equal(res.content?.[0]?.type, 'text');
  assert.equal(res.content[0].text, 'wrote out.txt');
  const sc = res.structuredContent;
  assert.ok(sc && typeof sc === 'object', 'structuredContent missing');
  assert.equal(typeof sc.threadId, 'string');
  assert.ok(sc.threadId.length > 0, 'threadId is empty');
  assert.equal(sc.content, res.content[0].text);

  // Two model requests: the prompt, then the answer to the command's output.
  assert.equal(ctx.model.requests.length, 2);
  const out = ctx.model.requests[1].input.at(-1);
  assert.equal(out.type, 'function_call_output');
  assert.match(JSON.stringify(out.output), /exited with code 0/, 'the command did not succeed');
});

test('prompts reach the model verbatim, never as options or shell', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const marker = path.join(ctx.root, 'injected');
  const prompts = [
    '--help',
    '-c sandbox_mode="danger-full-access"',
    `$(touch ${marker})`,
    `\`touch ${marker}\`; touch ${marker} && echo '"quoted"' \\ back\\slash`,
    '-',
    'resume --last',
    'multi\nline\n  prompt\twith tab and ünïcödé ✓',
  ];
  for (const prompt of prompts) {
    const before = ctx.model.requests.length;
    const res = await srv.call('codex', { prompt, cwd: ctx.workspace, sandbox: 'read-only' });
    assert.ok(!res.isError, srv.diag(`prompt ${JSON.stringify(prompt)} gave isError: ${resultText(res)}`));
    assert.equal(ctx.model.requests.length, before + 1, `prompt ${JSON.stringify(prompt)}: expected one model request`);
    const body = ctx.model.requests[before];
    assert.equal(lastUserPrompt(body), prompt, 'the model must see the prompt verbatim');
    assert.equal(res.content[0].text, `echo: ${prompt} [user messages: 1]`);
    assert.equal(res.structuredContent.content, res.content[0].text);
    // Codex reports the turn's sandbox to the model in its request metadata (0.169); the
    // `-c sandbox_mode=...` prompt must not have changed it.
    const meta = body.client_metadata?.['x-codex-turn-metadata'];
    if (meta) assert.equal(JSON.parse(meta).sandbox_mode, 'read-only');
  }
  assert.ok(!fs.existsSync(marker), 'a prompt was run by a shell');
});
