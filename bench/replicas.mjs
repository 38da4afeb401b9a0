// Replicas on one PostgreSQL (issue: many machines), measured side by side in one run:
// - tasks/get and get_agent_status throughput with 1, 2 and 3 replicas on one database;
// - one replica on SQLite beside one on PostgreSQL, under the same load;
// - list_agent_tasks latency with 100,000 stored tasks, on each store.
//
//   node bench/replicas.mjs [--build DIR] [--runs N] [--duration S] [--connections N]
//
// A real PostgreSQL 15 (tests/pg/cluster.sh: fsync off, as for the tests), seeded by
// bench/seed_store.c; each replica is `codex-mcp --http 127.0.0.1:0 --store URL`. wrk
// (bench/replicas.lua) sends 2026-07-28 stateless requests; with several replicas, one wrk per
// replica, each with its share of the connections, as a balancer would spread them. Writes
// bench/results/replicas.md and replicas.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname;
const root = path.resolve(here, '..');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function options(argv) {
  const o = { build: path.join(root, 'build'), runs: 3, duration: 5, connections: 64, seeded: 2000, history: 100000 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${argv[i]}`);
    o[k] = k === 'build' ? path.resolve(argv[i + 1]) : Number(argv[i + 1]);
  }
  return o;
}

function startReplica(o, store, stateDir) {
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(o.build, 'codex-mcp'),
      ['--http', '127.0.0.1:0', '--store', store, '--state-dir', stateDir, '--log-level', 'error'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(err);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.once('exit', (code) => reject(new Error(`codex-mcp exited ${code}: ${err.slice(-500)}`)));
  });
}
async function stop(proc) {
  if (proc.exitCode !== null) return;
  proc.removeAllListeners('exit');
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await gone;
}

function wrk(url, connections, seconds, idsFile) {
  return new Promise((resolve, reject) => {
    const args = ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s',
      '-s', path.join(here, 'replicas.lua'), url, '--', idsFile];
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.once('close', (code) => {
      const m = /RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk exited ${code}: ${out.slice(-800)}`));
      resolve({ requests: Number(m[1]), secs: Number(m[2]) / 1e6, p50: Number(m[3]), p99: Number(m[4]), bad: Number(m[5]) });
    });
  });
}

// Load on every replica at once, connections shared out; the summed rate and the worst p99.
async function load(o, urls, idsFile, seconds) {
  const per = Math.max(1, Math.floor(o.connections / urls.length));
  const rs = await Promise.all(urls.map((u) => wrk(u, per, seconds, idsFile)));
  const bad = rs.reduce((a, r) => a + r.bad, 0);
  const requests = rs.reduce((a, r) => a + r.requests, 0);
  if (requests === 0 || bad > requests / 100) throw new Error(`${bad} of ${requests} answers were not results`);
  return { rps: rs.reduce((a, r) => a + r.requests / r.secs, 0), p99: Math.max(...rs.map((r) => r.p99)), bad };
}

function call(url, id, name, args) {
  const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args,
    _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } });
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        if (res.statusCode !== 200 || !text.includes('"result"') || text.includes('"isError":true')) return reject(new Error(`${name}: ${text.slice(0, 300)}`));
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cluster = path.join(root, 'tests', 'pg', 'cluster.sh');
const seed = (o, target, n, ids) => execFileSync(path.join(o.build, 'bench', 'seed-store'), [target, String(n), ...(ids ? ['--ids'] : [])],
  { env: { ...process.env, CODEX_MCP_MODULE_DIR: o.build }, encoding: 'utf8', maxBuffer: 1 << 26 });
const psql = (url, sql) => execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8' });

export async function replicasBench(o) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-mcp-bench-replicas-'));
  // Beside the scratch directory, not in it: the cluster's user must reach it.
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-mcp-bench-pg-'));
  fs.rmSync(pgDir, { recursive: true });
  const admin = execFileSync(cluster, ['start', pgDir], { encoding: 'utf8' }).trim();
  const rows = [];
  const record = (measure, server, value, note = '') => rows.push({ measure, server, value, note });
  try {
    const url = (db) => admin.replace(/\/[^/]*$/, `/${db}`);
    psql(admin, 'CREATE DATABASE bench');
    psql(admin, 'CREATE DATABASE history');
    const pgUrl = url('bench');
    const ids = seed(o, pgUrl, o.seeded, true);
    const idsFile = path.join(scratch, 'ids.txt');
    fs.writeFileSync(idsFile, ids);
    const sqliteDir = path.join(scratch, 'sqlite');
    fs.mkdirSync(sqliteDir);
    fs.writeFileSync(path.join(scratch, 'ids-sqlite.txt'), seed(o, sqliteDir, o.seeded, true));

    for (let run = 0; run < o.runs; run++) {
      for (const n of [1, 2, 3]) {
        const reps = [];
        for (let i = 0; i < n; i++) reps.push(await startReplica(o, pgUrl, path.join(scratch, `state-${i}`)));
        try {
          await load(o, reps.map((r) => r.url), idsFile, 1); // warm-up
          const r = await load(o, reps.map((r) => r.url), idsFile, o.duration);
          record(`${n} replica(s) on PostgreSQL: tasks/get + get_agent_status requests/s`, 'codex-mcp', r.rps);
          record(`${n} replica(s) on PostgreSQL: p99 latency (ms)`, 'codex-mcp', r.p99);
        } finally {
          for (const r of reps) await stop(r.proc);
        }
      }
      const one = await startReplica(o, `sqlite:${sqliteDir}/codex-mcp.db`, path.join(scratch, 'state-sqlite'));
      try {
        await load(o, [one.url], path.join(scratch, 'ids-sqlite.txt'), 1);
        const r = await load(o, [one.url], path.join(scratch, 'ids-sqlite.txt'), o.duration);
        record('1 replica on SQLite: tasks/get + get_agent_status requests/s', 'codex-mcp', r.rps);
        record('1 replica on SQLite: p99 latency (ms)', 'codex-mcp', r.p99);
      } finally {
        await stop(one.proc);
      }
    }

    // 100,000 stored tasks: list_agent_tasks (10 a page) over HTTP, on each store.
    const historyDir = path.join(scratch, 'history-sqlite');
    fs.mkdirSync(historyDir);
    seed(o, url('history'), o.history, false);
    seed(o, historyDir, o.history, false);
    for (const [label, store] of [['PostgreSQL', url('history')], ['SQLite', `sqlite:${historyDir}/codex-mcp.db`]]) {
      const r = await startReplica(o, store, path.join(scratch, `state-history-${label}`));
      try {
        const lat = [];
        for (let i = 0; i < 25; i++) lat.push(await call(r.url, i, 'list_agent_tasks', { limit: 10 }));
        record(`${o.history} tasks stored, on ${label}: list_agent_tasks latency (ms)`, 'codex-mcp', median(lat.slice(5)));
      } finally {
        await stop(r.proc);
      }
    }
  } finally {
    execFileSync(cluster, ['stop', pgDir]);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

function summarise(o, rows) {
  const by = new Map();
  for (const r of rows) {
    if (!by.has(r.measure)) by.set(r.measure, []);
    by.get(r.measure).push(r.value);
  }
  const med = (m) => median(by.get(m) ?? [NaN]);
  const one = med('1 replica(s) on PostgreSQL: tasks/get + get_agent_status requests/s');
  const lines = [
    '# codex-mcp replicas on one PostgreSQL',
    '',
    `\`node bench/replicas.mjs\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${new Date().toISOString().slice(0, 10)}.`,
    `PostgreSQL 15 on loopback (fsync off), ${o.seeded} stored tasks; wrk, ${o.connections} connections in all,`,
    `${o.duration} s measured after 1 s of warm-up, alternating tasks/get and get_agent_status (2026-07-28).`,
    `Everything (replicas, PostgreSQL, wrk) shares this machine's cores. Medians of ${o.runs} runs.`,
    '',
    '| measure | median | runs | ÷ 1 replica | goal |',
    '|---|---|---|---|---|',
  ];
  for (const [m, xs] of by) {
    const v = median(xs);
    const ratio = /replica\(s\) on PostgreSQL: tasks\/get/.test(m) ? `${(v / one).toFixed(2)}×` : '';
    const goal = m.startsWith('3 replica(s) on PostgreSQL: tasks/get') ? '≥ 2.5×' : '';
    lines.push(`| ${m} | ${v >= 100 ? v.toFixed(0) : v.toFixed(2)} | ${xs.length} | ${ratio} | ${goal} |`);
  }
  return lines.join('\n') + '\n';
}

/* Writes bench/results/replicas.md and replicas.json; returns the table. */
export function replicasReport(o, rows) {
  const md = summarise(o, rows);
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(path.join(here, 'results', 'replicas.md'), md);
  fs.writeFileSync(path.join(here, 'results', 'replicas.json'), JSON.stringify(rows, null, 2) + '\n');
  return md;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = options(process.argv.slice(2));
  process.stdout.write(replicasReport(o, await replicasBench(o)));
}
