// MCP Tasks: tasks/list pages through every task (50 a page, opaque nextCursor); a bad cursor is
// -32602.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListTasksResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { createContext, resultText } from './lib/harness.mjs';
import { taskCall, listTasks, taskResult, assertRpcError, assertTask, assertRelated } from './lib/tasks.mjs';

const TIMEOUT = 120_000;

test('tasks/list pages 55 tasks with nextCursor, each exactly once; a bad cursor is -32602', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  assert.deepEqual(await listTasks(srv), { tasks: [] }, 'no tasks yet: an empty page, no nextCursor');

  // codex-reply on an unknown thread is an immediate isError: each makes a failed task, cheaply.
  const created = await Promise.all(Array.from({ length: 55 }, (_, i) =>
    taskCall(srv, 'codex-reply', { prompt: `reply ${i}`, threadId: `no-such-thread-${i}` })));
  const ids = created.map((c) => c.task.taskId);
  assert.equal(new Set(ids).size, 55, 'task ids are unique');
  // Each has ended: tasks/result says why.
  for (let i = 0; i < 55; i++) {
    const r = await taskResult(srv, ids[i]);
    assertRelated(r, ids[i]);
    assert.equal(r.isError, true, JSON.stringify(r));
    assert.match(resultText(r), new RegExp(`no-such-thread-${i}\\b`));
  }

  const pages = [];
  let cursor;
  for (;;) {
    const page = await listTasks(srv, cursor);
    pages.push(page);
    assert.ok(pages.length <= 5, 'paging does not end');
    for (const task of page.tasks) assertTask(task, { status: 'failed' });
    if (page.nextCursor === undefined) break;
    assert.equal(typeof page.nextCursor, 'string');
    cursor = page.nextCursor;
  }
  assert.deepEqual(pages.map((p) => p.tasks.length), [50, 5], 'pages of 50');
  const listed = pages.flatMap((p) => p.tasks.map((x) => x.taskId));
  assert.equal(listed.length, new Set(listed).size, `a task listed twice: ${listed}`);
  assert.deepEqual([...listed].sort(), [...ids].sort(), 'every task, exactly once');

  // Paging again from the start gives the same pages.
  const again = await listTasks(srv);
  assert.deepEqual(again.tasks.map((x) => x.taskId), pages[0].tasks.map((x) => x.taskId));
  assert.equal(typeof again.nextCursor, 'string');

  // Cursors the server never gave, and a cursor that is no string.
  for (const bad of ['garbage', 'eyJvZmZzZXQiOjB9', '.']) {
    await assertRpcError(listTasks(srv, bad), -32602, undefined, `cursor ${JSON.stringify(bad)}`);
  }
  await assertRpcError(srv.client.request({ method: 'tasks/list', params: { cursor: 5 } }, ListTasksResultSchema),
    -32602, undefined, 'cursor 5');
});

test('tasks/list: a cursor with trailing junk is not one the server gave: -32602', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer();
  const created = await Promise.all(Array.from({ length: 51 }, (_, i) =>
    taskCall(srv, 'codex-reply', { prompt: `reply ${i}`, threadId: `no-such-thread-${i}` })));
  for (const c of created) await taskResult(srv, c.task.taskId);
  const first = await listTasks(srv);
  assert.equal(first.tasks.length, 50);
  assert.equal(typeof first.nextCursor, 'string');
  assert.equal((await listTasks(srv, first.nextCursor)).tasks.length, 1, 'the real cursor works');
  for (const bad of [`${first.nextCursor}x`, `${first.nextCursor} trailing`, `${first.nextCursor}.0`]) {
    await assertRpcError(listTasks(srv, bad), -32602, undefined, `cursor ${JSON.stringify(bad)}`);
  }
});
