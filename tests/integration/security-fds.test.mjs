// Codex, and every command it runs, holds none of the server's descriptors: not its own agent
// log, not another agent's, not the database, not the server's pipes; only its own stdio. And
// it runs under the descriptor limit the server was started with, not the one the server
// raised for itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BACKEND, createContext, structured, waitFor, listProcesses, holdScript, codexBin, PEER_MODE } from './lib/harness.mjs';

const TIMEOUT = 120_000;
const SKIP = PEER_MODE && 'our server only';
const SOFT_LIMIT = 512;

const alive = (p) => p.state !== 'Z' && p.state !== 'X';

/** fd number -> what it points to, for one process ({} once it is gone). */
function fdTargets(pid) {
  const out = {};
  let fds = [];
  try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { return out; }
  for (const fd of fds) {
    try { out[fd] = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { /* closed meanwhile */ }
  }
  return out;
}

/** The soft and hard "Max open files" of a process. */
function nofile(pid) {
  const m = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').match(/^Max open files\s+(\S+)\s+(\S+)/m);
  return { soft: m[1], hard: m[2] };
}

/** root and everything below it, from one listing of /proc. */
function tree(root, procs) {
  const children = new Map();
  for (const p of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  const out = procs.filter((p) => p.pid === root);
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i].pid) || []));
  return out;
}

/** Targets that name one object: a path, a pipe or a socket (anon inodes all look alike). */
const identifies = (target) => target.startsWith('/') || /^(pipe|socket):\[\d+\]$/.test(target);

test('Codex and its commands hold no descriptor of the server, and get its original fd limit', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t, { script: holdScript });
  const hard = nofile(process.pid).hard;
  const lowered = hard === 'unlimited' || Number(hard) > SOFT_LIMIT;
  // Started with a soft limit below the hard one, so that the server's raising it shows.
  const command = ctx.serverCommand;
  ctx.serverCommand = (opts) => {
    const spec = command(opts);
    const limit = lowered ? `ulimit -Sn ${SOFT_LIMIT} && ` : '';
    return { ...spec, command: '/bin/sh', args: ['-c', `${limit}exec "$0" "$@"`, spec.command, ...spec.args] };
  };
  const srv = await ctx.startServer({ args: ['--max-agents', '4'] });
  if (lowered) assert.equal(nofile(srv.pid).soft, hard, 'the server did not raise its own limit');

  // Two agents at once, each with a command running: each must hold neither log.
  const tag = `${400 + Math.floor(Math.random() * 400)}.${process.pid % 1000}`;
  const markers = [`${tag}1`, `${tag}2`];
  const agents = [];
  const sleeper = (m) => listProcesses().find((p) => alive(p) && p.comm === 'sleep' && p.cmdline[1] === m);
  // One after the other: two Codex processes starting at once both set up a fresh CODEX_HOME
  // (databases, sandbox helper); this test is about descriptors, not that. Both are running
  // when the descriptors are read.
  for (const m of markers) {
    const spawned = structured(srv, await srv.call('spawn_agent_async', { prompt: `HOLD sleep ${m}`, cwd: ctx.workspace }), 'spawn');
    agents.push({ id: spawned.task_id, marker: m, log: spawned.log_file });
    await waitFor(() => sleeper(m), { timeoutMs: 45_000, what: `the command of agent ${agents.length}` });
  }
  for (const a of agents) {
    const st = structured(srv, await srv.call('get_agent_status', { task_id: a.id }), 'status');
    assert.equal(st.status, 'running', JSON.stringify(st));
    // Over app-server the turns share its one keeper; over exec each run has its own.
    a.keeper = BACKEND === 'app-server' ? ctx.appServers()[0]?.ppid : st.pid;
    assert.ok(fs.existsSync(a.log), `no log at ${a.log}`);
  }

  const serverFds = fdTargets(srv.pid);
  assert.ok(Object.values(serverFds).some((f) => f.startsWith(ctx.stateDir + path.sep)),
    `the server holds nothing in its state dir: ${JSON.stringify(serverFds)}`);
  // Not the server's: what it inherited from whoever started this test, at the same number.
  const mine = fdTargets(process.pid);
  const serverHeld = new Set(Object.entries(serverFds)
    .filter(([fd, f]) => identifies(f) && !(Number(fd) > 2 && mine[fd] === f)).map(([, f]) => f));
  const codexExe = fs.realpathSync(codexBin());
  const procs = listProcesses();
  for (const a of agents) {
    const run = tree(a.keeper, procs);
    const codex = run.find((p) => p.ppid === a.keeper && p.exe === codexExe);
    assert.ok(codex, `no Codex under keeper ${a.keeper}: ${run.map((p) => `${p.pid} ${p.comm}`).join(', ')}`);
    const command = sleeper(a.marker);
    assert.ok(run.some((p) => p.pid === command.pid), `sleep ${a.marker} is not in the run of keeper ${a.keeper}`);

    // Codex's stdio are the server's pipes to it, and may be shared by what Codex starts.
    const stdio = new Set(Object.entries(fdTargets(codex.pid)).filter(([fd]) => Number(fd) <= 2).map(([, f]) => f));
    let seen = 0;
    for (const p of run) {
      for (const [fd, target] of Object.entries(fdTargets(p.pid))) {
        seen++;
        const where = `${p.comm} ${p.pid} (run of keeper ${a.keeper}) fd ${fd} -> ${target}`;
        assert.ok(!target.startsWith(ctx.stateDir + path.sep), `${where}: a file of the server's`);
        for (const b of agents) assert.notEqual(target, b.log, `${where}: an agent log`);
        if (serverHeld.has(target) && !stdio.has(target) && target !== '/dev/null') {
          assert.fail(`${where}: also held by the server`);
        }
      }
    }
    assert.ok(Object.keys(fdTargets(command.pid)).length >= 3, `could not read the fds of sleep ${command.pid}`);
    assert.ok(seen > 0);

    // The limit the server was started with, for Codex and for the command it runs.
    for (const p of [codex, command]) {
      const lim = nofile(p.pid);
      assert.equal(lim.hard, hard, `${p.comm} ${p.pid}: hard limit`);
      if (lowered) assert.equal(lim.soft, String(SOFT_LIMIT), `${p.comm} ${p.pid} has the server's raised limit`);
    }
  }

  for (const a of agents) structured(srv, await srv.call('kill_agent', { task_id: a.id, force: true }), 'kill');
  await ctx.assertNoCodexProcesses(10_000, 'after kill_agent:');
});
