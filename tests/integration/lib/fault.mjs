// Helpers for the fault tests (fault-*.test.mjs): the fake Codex, memory readings, and /proc
// scans that are cheap enough to sample often.
//
//   const srv = await ctx.startServer({ codexBin: fakeCodex() });
//   await srv.call('codex', { prompt: 'exit 3', cwd: ctx.workspace });
//   vmHWM(srv.pid)                  // peak RSS of the server so far, in bytes
//
// Environment: FAKE_CODEX (set by ctest) is the fake's path; default <repo>/build/tests/...

import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { REPO_ROOT, waitFor } from './harness.mjs';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** The server runs under AddressSanitizer (scripts/run-sanitized.sh): slower, and far bigger. */
export const SANITIZED = !!process.env.ASAN_OPTIONS;

/** The fake Codex (tests/fake-codex/fake_codex.c). */
/** The fake `codex app-server` (tests/fake-codex/fake_app_server.c); FAKE_APP_SERVER is set by ctest. */
export function fakeAppServer() {
  const bin = process.env.FAKE_APP_SERVER || path.join(REPO_ROOT, 'build', 'tests', 'fake-codex', 'fake-app-server');
  if (!fs.existsSync(bin)) throw new Error(`fake app-server ${bin} does not exist (build the fake-app-server target, or set FAKE_APP_SERVER)`);
  return bin;
}

export function fakeCodex() {
  const bin = process.env.FAKE_CODEX || path.join(REPO_ROOT, 'build', 'tests', 'fake-codex', 'fake-codex');
  if (!fs.existsSync(bin)) throw new Error(`fake Codex ${bin} does not exist (build the fake-codex target, or set FAKE_CODEX)`);
  return bin;
}

/** The db-locker helper, built next to the fake. */
export function dbLocker() {
  return path.join(path.dirname(fakeCodex()), 'db-locker');
}

/**
 * Another process holding a lock on the database `db` until release(); `locked` resolves
 * once it holds it. Killed when the test ends.
 */
export function startLocker(t, db) {
  const locker = spawn(dbLocker(), [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  locker.stdout.on('data', (d) => { out += d; });
  locker.stderr.on('data', (d) => { err += d; });
  t.after(() => locker.kill('SIGKILL'));
  return {
    locked: waitFor(() => { if (locker.exitCode !== null) throw new Error(`db-locker: ${err}`); return out.includes('locked'); },
      { timeoutMs: 10_000, what: 'db-locker to lock' }),
    release: () => new Promise((r) => { if (locker.exitCode !== null) r(); else { locker.once('exit', r); locker.stdin.end(); } }),
  };
}

/** One field of /proc/<pid>/status in bytes (VmHWM, VmRSS), or null once the process is gone. */
export function procStatusBytes(pid, field) {
  let text;
  try { text = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return null; }
  const m = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) * 1024 : null;
}

export const vmHWM = (pid) => procStatusBytes(pid, 'VmHWM');
export const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

/** { pid, ppid, pgid, state, comm } of every process, from /proc/<pid>/stat only. */
export function procStats() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (name.charCodeAt(0) > 57) continue;
    let s;
    try { s = fs.readFileSync(`/proc/${name}/stat`, 'latin1'); } catch { continue; }
    const close = s.lastIndexOf(')');
    const rest = s.slice(close + 2).split(' ');
    out.push({ pid: Number(name), comm: s.slice(s.indexOf('(') + 1, close), state: rest[0],
      ppid: Number(rest[1]), pgid: Number(rest[2]) });
  }
  return out;
}

export const alive = (p) => p.state !== 'Z' && p.state !== 'X';

/** Alive children of `pid`. */
export const childrenOf = (pid) => procStats().filter((p) => p.ppid === pid && alive(p));

/** Is the process alive (not a zombie)? */
export function isAlive(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch { return false; }
}

/** Alive `sleep <arg>` processes (the fake's `spawn <arg>` grandchildren). */
export function sleepers(arg) {
  return procStats().filter((p) => p.comm === 'sleep' && alive(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').split('\0')[1] === String(arg); } catch { return false; }
  });
}

/** A number no other test uses, for `spawn <n>` (the sleep's argument marks it). */
export function marker() {
  return 100000 + Math.floor(Math.random() * 800000);
}

/**
 * A server on raw pipes that keeps nothing it does not need: every stdout line goes to
 * onLine(buffer) (the line without its newline, a Buffer); JSON-RPC answers to our own
 * requests are parsed and kept. For runs that print gigabytes.
 *   const srv = startLean(t, ctx, { args, onLine });
 *   await srv.request('initialize', {...});
 */
export function startLean(t, ctx, { args = [], codexBin, env = {}, onLine = () => {}, command, commandArgs } = {}) {
  const spec = ctx.serverCommand({ args, codexBin, env });
  const child = spawn(command ?? spec.command, commandArgs ?? spec.args, { env: spec.env, cwd: ctx.root, stdio: ['pipe', 'pipe', 'pipe'] });
  ctx.serverPids.add(child.pid);
  const srv = { child, pid: child.pid, stderr: '', exit: null, answers: new Map(), bytes: 0, lines: 0 };
  srv.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    srv.exit = { code, signal, at: Date.now() };
    resolve(srv.exit);
  }));
  child.stdin.on('error', () => {});
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { srv.stderr = (srv.stderr + d).slice(-200_000); });
  let pending = [];
  let pendingLen = 0;
  child.stdout.on('data', (chunk) => {
    srv.bytes += chunk.length;
    let start = 0;
    let i;
    while ((i = chunk.indexOf(10, start)) >= 0) {
      let line = chunk.subarray(start, i);
      if (pending.length) {
        line = Buffer.concat([...pending, line], pendingLen + line.length);
        pending = [];
        pendingLen = 0;
      }
      start = i + 1;
      srv.lines++;
      // Our answers are small and carry an "id" near the start: parse those only.
      const head = line.subarray(0, 64).toString('latin1');
      if (head.includes('"id"') && !head.includes('"method"') && line.length < 1 * MiB) {
        try {
          const msg = JSON.parse(line.toString('utf8'));
          if (msg.id !== undefined && !('method' in msg)) srv.answers.set(msg.id, msg);
        } catch { /* not ours */ }
      }
      onLine(line);
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLen += chunk.length - start;
    }
  });
  let nextId = 1;
  srv.diag = (label = '') => `${label}\n--- server stderr ---\n${srv.stderr.slice(-4000)}`;
  srv.send = (msg) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  /** Send a request, resolve with its answer (result or error message). */
  srv.request = (method, params, timeoutMs = 60_000) => {
    const id = nextId++;
    srv.send({ id, method, params });
    return waitFor(() => {
      const m = srv.answers.get(id);
      if (!m && srv.exit) throw new Error(srv.diag(`server exited (${JSON.stringify(srv.exit)}) before answering ${method}`));
      return m;
    }, { timeoutMs, intervalMs: 20, what: `answer to ${method}` });
  };
  srv.initialize = async () => {
    const init = await srv.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'lean', version: '0' } });
    if (!init.result) throw new Error(srv.diag(`initialize failed: ${JSON.stringify(init)}`));
    srv.send({ method: 'notifications/initialized' });
    return init.result;
  };
  t.after(() => { if (!srv.exit) child.kill('SIGKILL'); });
  return srv;
}

/** Text of a tool result from a raw answer. */
export function answerText(answer) {
  return (answer?.result?.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}
