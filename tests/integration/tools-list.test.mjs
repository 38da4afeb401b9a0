// tools/list must offer `codex` and `codex-reply` exactly as the old `codex mcp-server` (0.153.4) did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createContext, TESTS_DIR, TEST_TIMEOUT } from './lib/harness.mjs';

const FIXTURE = JSON.parse(fs.readFileSync(path.join(TESTS_DIR, 'fixtures', 'tools-0.153.4.json'), 'utf8'));
const KEYS = ['name', 'title', 'description', 'inputSchema', 'outputSchema'];
const pick = (tool) => Object.fromEntries(KEYS.filter((k) => k in tool).map((k) => [k, tool[k]]));

test('tools/list has codex and codex-reply identical to codex mcp-server 0.153.4', { timeout: TEST_TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const { tools } = await srv.client.listTools();
  assert.ok(Array.isArray(tools), 'tools/list returned no tools array');
  for (const expected of FIXTURE) {
    const matches = tools.filter((x) => x.name === expected.name);
    assert.equal(matches.length, 1, `exactly one tool named ${expected.name} (got ${tools.map((x) => x.name).join(', ')})`);
    assert.deepEqual(pick(matches[0]), pick(expected), `tool ${expected.name} differs from the 0.153.4 fixture`);
  }
  assert.equal(ctx.model.requests.length, 0, 'tools/list must not talk to the model');
});
