// MCP Tasks (spec 2025-11-25) helpers over the official SDK client of a harness server.
//
//   const created = await taskCall(srv, 'codex', { prompt, cwd }, { ttl: 5000 });  // CreateTaskResult
//   const task = await getTask(srv, created.task.taskId);                           // tasks/get
//   const result = await taskResult(srv, id);                                       // tasks/result
//   await assertRpcError(getTask(srv, 'nope'), -32602, /no task/);
//
// The SDK (1.32) has these under client.experimental.tasks; its schemas validate the answers
// (CreateTaskResultSchema, GetTaskResultSchema, CallToolResultSchema, ...).

import assert from 'node:assert/strict';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitFor, TEST_TIMEOUT } from './harness.mjs';

export const RELATED_TASK = 'io.modelcontextprotocol/related-task';
export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
export const isTerminal = (status) => TERMINAL.has(status);

/**
 * A task-augmented tools/call: params.task = `task` (any value, sent as is). Resolves to the
 * CreateTaskResult. options: SDK request options (onprogress, timeout, ...).
 */
export function taskCall(srv, name, args, task = {}, options = {}) {
  return srv.client.request({ method: 'tools/call', params: { name, arguments: args, task } },
    CreateTaskResultSchema, { timeout: TEST_TIMEOUT, ...options });
}

export const getTask = (srv, id, options = {}) =>
  srv.client.experimental.tasks.getTask(id, { timeout: TEST_TIMEOUT, ...options });
export const taskResult = (srv, id, options = {}) =>
  srv.client.experimental.tasks.getTaskResult(id, CallToolResultSchema, { timeout: TEST_TIMEOUT, ...options });
export const listTasks = (srv, cursor, options = {}) =>
  srv.client.experimental.tasks.listTasks(cursor, { timeout: TEST_TIMEOUT, ...options });
export const cancelTask = (srv, id, options = {}) =>
  srv.client.experimental.tasks.cancelTask(id, { timeout: TEST_TIMEOUT, ...options });

/** Assert `promise` rejects with a JSON-RPC error of `code` (and a message matching `re`). */
export async function assertRpcError(promise, code, re, what = '') {
  let value;
  try {
    value = await promise;
  } catch (e) {
    assert.equal(e.code, code, `${what}: want error ${code}, got ${e.code}: ${e.message}`);
    if (re) assert.match(e.message, re, what);
    return e;
  }
  assert.fail(`${what}: want error ${code}, got a result: ${JSON.stringify(value)}`);
}

/** Assert the shape of a Task object (what tasks/get, tasks/cancel and CreateTaskResult carry). */
export function assertTask(task, { id, status, ttl } = {}) {
  assert.equal(typeof task.taskId, 'string', JSON.stringify(task));
  if (id !== undefined) assert.equal(task.taskId, id);
  if (status !== undefined) assert.equal(task.status, status, `task status: ${JSON.stringify(task)}`);
  if (ttl !== undefined) assert.equal(task.ttl, ttl, `task ttl: ${JSON.stringify(task)}`);
  assert.match(task.createdAt, ISO);
  assert.match(task.lastUpdatedAt, ISO);
  assert.ok(Date.parse(task.lastUpdatedAt) >= Date.parse(task.createdAt), `lastUpdatedAt before createdAt: ${JSON.stringify(task)}`);
  assert.equal(typeof task.pollInterval, 'number');
  assert.ok(task.pollInterval > 0);
}

/** A CallToolResult without its _meta (what a plain call would return). */
export function withoutMeta(result) {
  const { _meta, ...rest } = result;
  return rest;
}

/** Assert the result carries related-task metadata for `id`. */
export function assertRelated(result, id) {
  assert.deepEqual(result._meta?.[RELATED_TASK], { taskId: id }, `no related-task _meta for ${id}: ${JSON.stringify(result._meta)}`);
}

/** Poll tasks/get until pred(task) holds; return that task. */
export async function pollTask(srv, id, pred, { timeoutMs = 30_000, what } = {}) {
  let last;
  try {
    return await waitFor(async () => {
      last = await getTask(srv, id);
      return pred(last) ? last : null;
    }, { timeoutMs, intervalMs: 100, what: what ?? `task ${id}` });
  } catch (e) {
    e.message = srv.diag(`${e.message}; last: ${JSON.stringify(last)}`);
    throw e;
  }
}

/** The notifications/tasks/status the server sent for `id`, in order. */
export function statusNotifications(srv, id) {
  return srv.notifications.filter((n) => n.method === 'notifications/tasks/status' && n.params?.taskId === id);
}

/** Wait for a notifications/tasks/status for `id` with a terminal status; return it. */
export function waitTerminalNotification(srv, id, timeoutMs = 30_000) {
  return waitFor(() => statusNotifications(srv, id).find((n) => isTerminal(n.params.status)),
    { timeoutMs, what: `notifications/tasks/status (terminal) for ${id}` });
}

/** Track whether a promise has settled (without swallowing its outcome). */
export function track(promise) {
  const t = { settled: false, promise };
  promise.then(() => { t.settled = true; }, () => { t.settled = true; });
  return t;
}
