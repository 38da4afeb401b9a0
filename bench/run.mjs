// `make bench`: codex-mcp side by side with the servers people use today, in one run.
//
//   node bench/run.mjs BUILD_DIR [RUNS]
//
// Peers: the Rust `codex mcp-server` of @openai/codex 0.153.4, the Node `codex-mcp-server`
// 1.4.10, and @openai/codex 0.169.0 run bare. Each measure alternates the servers, takes
// medians, and reports ratios; nothing is asserted. Writes bench/results/results.md,
// results.json and (with gnuplot) results.png.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMockModel } from '../tests/integration/lib/mock-model.mjs';
import { httpLoad, httpTarget, oursHasHttp } from './http-load.mjs';
import { replicasBench, replicasReport } from './replicas.mjs';

const here = import.meta.dirname;
const build = path.resolve(process.argv[2] || path.join(here, '..', 'build'));
const RUNS = Math.max(5, Number(process.argv[3] || 7));
const ours = path.join(build, 'codex-mcp');
const fakeStream = path.join(build, 'bench', 'fake-stream');
const seedStore = path.join(build, 'bench', 'seed-store');

function nativeCodex(pkgRoot) {
  const triple = process.arch === 'arm64' ? 'aarch64-unknown-linux-musl' : 'x86_64-unknown-linux-musl';
  const pkg = process.arch === 'arm64' ? 'codex-linux-arm64' : 'codex-linux-x64';
  for (const base of [path.join(pkgRoot, 'node_modules', '@openai'), path.join(pkgRoot, 'node_modules', '@openai', 'codex', 'node_modules', '@openai')]) {
    const p = path.join(base, pkg, 'vendor', triple, 'bin', 'codex');
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`no native codex under ${pkgRoot}; run npm ci there`);
}
const codexNew = nativeCodex(here);
const codexOld = nativeCodex(path.join(here, 'peers', 'codex-0.153.4'));
const nodePeer = path.join(here, 'node_modules', 'codex-mcp-server', 'dist', 'index.js');

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const since = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;

function procStatus(pid, field) {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN; // MiB
}
// Memory that is the process's own: what is not shared with other processes (MiB).
function privateMiB(pid) {
  const r = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (f) => Number(new RegExp(`${f}:\\s+(\\d+)`).exec(r)?.[1] ?? 0);
  return (kb('Private_Clean') + kb('Private_Dirty')) / 1024;
}
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime + stime
}

// A JSON-RPC session over a child's stdio.
function session(proc) {
  let buf = '';
  const queue = [];
  const waiters = [];
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let msg;
      try { msg = JSON.parse(line); } catch { continue; }
      const w = waiters.findIndex((x) => x.pred(msg));
      if (w >= 0) waiters.splice(w, 1)[0].resolve(msg); else queue.push(msg);
    }
  });
  return {
    send: (m) => proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n'),
    next: (pred) => new Promise((resolve) => {
      const q = queue.findIndex(pred);
      if (q >= 0) resolve(queue.splice(q, 1)[0]); else waiters.push({ pred, resolve });
    }),
    drain: () => queue.splice(0),
  };
}

const scratch = fs.mkdtempSync('/var/tmp/codex-mcp-bench-');
const model = await startMockModel();
const codexHome = path.join(scratch, 'codex-home');
const home = path.join(scratch, 'home');
const work = path.join(scratch, 'work');
for (const d of [codexHome, home, work]) fs.mkdirSync(d);
fs.writeFileSync(path.join(codexHome, 'config.toml'), [
  'model = "mock-model"', 'model_provider = "mock"', '[model_providers.mock]', 'name = "mock"',
  `base_url = "${model.url}"`, 'wire_api = "responses"', 'env_key = "MOCK_KEY"',
  'request_max_retries = 0', 'stream_max_retries = 0', ''].join('\n'));
const env = { ...process.env, CODEX_HOME: codexHome, MOCK_KEY: 'x', HOME: home };
let stateN = 0;
const freshState = () => path.join(scratch, `state-${++stateN}`);
const warmState = freshState();

const EXEC = 'codex-mcp --backend exec';
const servers = {
  // One state directory, as a user has: the first start makes the database, the rest find it.
  'codex-mcp': () => ({ cmd: ours, args: ['--codex-bin', codexNew, '--state-dir', warmState, '--log-level', 'error'] }),
  'Rust codex mcp-server 0.153.4': () => ({ cmd: codexOld, args: ['mcp-server'] }),
  'Node codex-mcp-server 1.4.10': () => ({ cmd: process.execPath, args: [nodePeer] }),
};
const init = { id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } };

async function start(name, extra = {}) {
  const spec = servers[name]();
  const t0 = process.hrtime.bigint();
  const proc = spawn(extra.cmd || spec.cmd, extra.args || spec.args, { env, cwd: work, stdio: ['pipe', 'pipe', 'ignore'] });
  const s = session(proc);
  s.send(init);
  await s.next((m) => m.id === 1);
  const startMs = since(t0);
  s.send({ method: 'notifications/initialized' });
  return { proc, s, startMs };
}
// 2026-07-28: no handshake; every request carries its envelope, and discover comes first.
const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
async function startModern() {
  const spec = servers['codex-mcp']();
  const t0 = process.hrtime.bigint();
  const proc = spawn(spec.cmd, spec.args, { env, cwd: work, stdio: ['pipe', 'pipe', 'ignore'] });
  const s = session(proc);
  s.send({ id: 1, method: 'server/discover', params: { _meta: envelope } });
  await s.next((m) => m.id === 1);
  return { proc, s, startMs: since(t0) };
}

async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.stdin.end();
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

const results = {};
const record = (measure, server, value) => { ((results[measure] ??= {})[server] ??= []).push(value); };

// 1-3: cold start, RSS, CPU for 20,000 pipelined requests; servers alternate each round.
console.log(`bench: ${RUNS} rounds of start, memory and 20k requests`);
await stop((await start('codex-mcp')).proc); // makes the state directory, as a first use would
for (let round = 0; round < RUNS; round++) {
  for (const name of Object.keys(servers)) {
    const { proc, s, startMs } = await start(name);
    record('cold start to initialize (ms)', name, startMs);
    s.send({ id: 2, method: 'tools/list' });
    await s.next((m) => m.id === 2);
    record('RSS after tools/list (MiB)', name, procStatus(proc.pid, 'VmRSS'));
    record('private memory after tools/list (MiB)', name, privateMiB(proc.pid));
    const cpu0 = cpuSeconds(proc.pid);
    const N = 20000;
    let lines = '';
    for (let i = 0; i < N; i++) lines += JSON.stringify({ jsonrpc: '2.0', id: 100 + i, method: i % 2 ? 'tools/list' : 'ping' }) + '\n';
    proc.stdin.write(lines);
    await s.next((m) => m.id === 100 + N - 1);
    s.drain();
    record('CPU for 20k requests (s)', name, cpuSeconds(proc.pid) - cpu0);
    await stop(proc);
  }
  // The same for codex-mcp in the 2026-07-28 era, which no peer speaks.
  const { proc, s, startMs } = await startModern();
  record('2026-07-28: cold start to server/discover (ms)', 'codex-mcp', startMs);
  s.send({ id: 2, method: 'tools/list', params: { _meta: envelope } });
  await s.next((m) => m.id === 2);
  record('2026-07-28: RSS after tools/list (MiB)', 'codex-mcp', procStatus(proc.pid, 'VmRSS'));
  const cpu0 = cpuSeconds(proc.pid);
  const N = 20000;
  let lines = '';
  for (let i = 0; i < N; i++) {
    lines += JSON.stringify({ jsonrpc: '2.0', id: 100 + i, method: i % 2 ? 'tools/list' : 'server/discover', params: { _meta: envelope } }) + '\n';
  }
  proc.stdin.write(lines);
  await s.next((m) => m.id === 100 + N - 1);
  s.drain();
  record('2026-07-28: CPU for 20k requests (s)', 'codex-mcp', cpuSeconds(proc.pid) - cpu0);
  await stop(proc);
}

// 4: the time a codex call through a server adds to a bare codex exec of the same scripted turn.
console.log('bench: per-run overhead');
function bareExec(i) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(codexNew, ['exec', '--json', '--skip-git-repo-check', '--cd', work, '-s', 'workspace-write', '-'],
      { env, stdio: ['pipe', 'ignore', 'ignore'] });
    p.stdin.end(`WRITE bare${i}.txt hello`);
    p.once('exit', (code) => (code === 0 ? resolve(since(t0)) : reject(new Error(`codex exec exited ${code}`))));
  });
}
const callers = {};
for (const name of ['codex-mcp', 'Rust codex mcp-server 0.153.4']) callers[name] = await start(name);
callers[EXEC] = await start('codex-mcp', { args: [...servers['codex-mcp']().args, '--backend', 'exec'] });
// CPU of a server and of everything under it, the exited included (their time is the parent's).
function treeCpuSeconds(pid) {
  const stat = (p) => { const t = fs.readFileSync(`/proc/${p}/stat`, 'utf8'); return t.slice(t.lastIndexOf(')') + 2).split(' '); };
  const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => { try { return [Number(d), stat(d)]; } catch { return null; } }).filter(Boolean);
  const inTree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, f] of all) if (!inTree.has(p) && inTree.has(Number(f[1]))) { inTree.add(p); grew = true; }
  }
  let ticks = 0;
  for (const [p, f] of all) if (inTree.has(p)) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return ticks / TICK;
}
const threads = {};
async function viaServer(name, i, reply = false) {
  const { s, proc } = callers[name];
  const cpu0 = treeCpuSeconds(proc.pid);
  const t0 = process.hrtime.bigint();
  const prompt = `WRITE ${name.length}-${i}${reply ? 'r' : ''}.txt hello`;
  const call = reply
    ? { name: 'codex-reply', arguments: { threadId: threads[name], prompt } }
    : { name: 'codex', arguments: { prompt, cwd: work, sandbox: 'workspace-write' } };
  s.send({ id: 1000 + i, method: 'tools/call', params: call });
  const r = await s.next((m) => m.id === 1000 + i);
  s.drain();
  if (r.error || r.result?.isError) throw new Error(`${name}: ${JSON.stringify(r.error || r.result.content)}`);
  threads[name] ??= r.result.structuredContent?.threadId;
  return { ms: since(t0), cpu: treeCpuSeconds(proc.pid) - cpu0 };
}
await bareExec('warm');
for (const name of Object.keys(callers)) await viaServer(name, 0);
for (let i = 1; i <= RUNS; i++) {
  // Which goes first alternates, so neither gains from the other having warmed the caches.
  const vias = {};
  let bare;
  if (i % 2) bare = await bareExec(i);
  for (const name of Object.keys(callers)) vias[name] = await viaServer(name, i);
  if (!(i % 2)) bare = await bareExec(i);
  record('codex turn, bare exec (ms)', 'codex exec 0.169.0', bare);
  for (const [name, via] of Object.entries(vias)) {
    record('codex turn through the server (ms)', name, via.ms);
    record('codex turn: CPU of the server and all under it (s)', name, via.cpu);
    record('added to the turn (ms)', name, via.ms - bare);
  }
  // A reply on the same thread: where a warm app-server has the thread loaded already.
  for (const name of Object.keys(callers)) {
    const via = await viaServer(name, 500 + i, true);
    record('codex-reply turn through the server (ms)', name, via.ms);
    record('codex-reply turn: CPU of the server and all under it (s)', name, via.cpu);
  }
}
for (const c of Object.values(callers)) await stop(c.proc);

// 4b: eight agents at once, held at the model: the memory of a server and all it runs.
console.log('bench: 8 agents at once');
function treePssMiB(pid) {
  const ppid = (p) => { const t = fs.readFileSync(`/proc/${p}/stat`, 'utf8'); return Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[1]); };
  const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => { try { return [Number(d), ppid(d)]; } catch { return null; } }).filter(Boolean);
  const inTree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, pp] of all) if (!inTree.has(p) && inTree.has(pp)) { inTree.add(p); grew = true; }
  }
  let kb = 0;
  for (const p of inTree) {
    try { kb += Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))[1]); } catch { /* gone */ }
  }
  return kb / 1024;
}
for (let round = 0; round < Math.min(RUNS, 3); round++) {
  // codex-mcp runs as many at once as there are cores unless told: here, all eight.
  const eight = ['--max-agents', '8'];
  for (const [name, extra] of [['codex-mcp', { args: [...servers['codex-mcp']().args, ...eight] }], [EXEC, { args: [...servers['codex-mcp']().args, ...eight, '--backend', 'exec'] }], ['Rust codex mcp-server 0.153.4', {}]]) {
    const { proc, s } = await start(name === EXEC ? 'codex-mcp' : name, extra);
    const before = model.requests.length;
    for (let i = 0; i < 8; i++) {
      s.send({ id: 900 + i, method: 'tools/call', params: { name: 'codex', arguments: { prompt: `SLEEP 3000 agent ${i}`, cwd: work, sandbox: 'workspace-write' } } });
    }
    while (model.requests.length < before + 8) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // settled, all eight waiting on the model
    record('8 agents at once: PSS of the server and all under it (MiB)', name, treePssMiB(proc.pid));
    for (let i = 0; i < 8; i++) await s.next((m) => m.id === 900 + i);
    await stop(proc);
  }
}

// 5: a fleet of 256 agents streaming events at once.
console.log('bench: 256 agents');
{
  const AGENTS = 256, EVENTS = 2000;
  for (let round = 0; round < Math.min(RUNS, 5); round++) {
    const { proc, s } = await start('codex-mcp', { cmd: ours, args: ['--codex-bin', fakeStream, '--backend', 'exec', '--state-dir', freshState(), '--log-level', 'error', '--max-agents', String(AGENTS)] });
    const cpu0 = cpuSeconds(proc.pid);
    const agents = Array.from({ length: AGENTS }, () => ({ prompt: `stream ${EVENTS} 200`, cwd: work }));
    s.send({ id: 5, method: 'tools/call', params: { name: 'spawn_agents_parallel', arguments: { agents } } });
    let peak = 0;
    const sampler = setInterval(() => { try { peak = Math.max(peak, procStatus(proc.pid, 'VmRSS')); } catch { /* gone */ } }, 20);
    const r = await s.next((m) => m.id === 5);
    clearInterval(sampler);
    const cpu = cpuSeconds(proc.pid) - cpu0;
    const hwm = procStatus(proc.pid, 'VmHWM');
    // Each agent's report counts the command events the server saw.
    let seen = 0;
    for (const entry of r.result.structuredContent.results) {
      const st = await (async () => {
        s.send({ id: `st-${entry.task_id}`, method: 'tools/call', params: { name: 'get_agent_status', arguments: { task_id: entry.task_id, limit: 1 } } });
        return (await s.next((m) => m.id === `st-${entry.task_id}`)).result.structuredContent;
      })();
      seen += st.report.commands_total ?? st.report.commands.length;
    }
    record('256 agents: server peak RSS (MiB)', 'codex-mcp', Math.max(peak, hwm));
    record('256 agents: CPU per event (µs)', 'codex-mcp', (cpu / (AGENTS * EVENTS)) * 1e6);
    record('256 agents: events lost', 'codex-mcp', AGENTS * EVENTS - seen);
    await stop(proc);
  }
}

// 6: 1 GiB of Codex JSONL through the server.
console.log('bench: 1 GiB of events');
{
  const SIZE = 1024, COUNT = Math.floor((1 << 30) / SIZE);
  for (let round = 0; round < Math.min(RUNS, 5); round++) {
    const { proc, s } = await start('codex-mcp', { cmd: ours, args: ['--codex-bin', fakeStream, '--backend', 'exec', '--state-dir', freshState(), '--log-level', 'error'] });
    const t0 = process.hrtime.bigint();
    s.send({ id: 6, method: 'tools/call', params: { name: 'spawn_agent', arguments: { prompt: `stream ${COUNT} ${SIZE}`, cwd: work } } });
    const r = await s.next((m) => m.id === 6);
    const secs = since(t0) / 1000;
    if (r.result.isError) throw new Error(JSON.stringify(r.result.content));
    record('1 GiB of events: throughput (MB/s)', 'codex-mcp', (COUNT * SIZE) / 1e6 / secs);
    record('1 GiB of events: peak RSS (MiB)', 'codex-mcp', procStatus(proc.pid, 'VmHWM'));
    await stop(proc);
  }
}

// 7: RSS and tool-call latency with 10 tasks stored, and with 100,000.
console.log('bench: stored history');
for (const stored of [10, 100000]) {
  const dir = freshState();
  fs.mkdirSync(dir, { recursive: true });
  const seeded = spawnSync(seedStore, [dir, String(stored)], { stdio: 'inherit' });
  if (seeded.status !== 0) throw new Error('seed-store failed');
  for (let round = 0; round < RUNS; round++) {
    const { proc, s } = await start('codex-mcp', { cmd: ours, args: ['--codex-bin', fakeStream, '--backend', 'exec', '--state-dir', dir, '--log-level', 'error'] });
    const lat = [];
    for (let i = 0; i < 50; i++) {
      const t0 = process.hrtime.bigint();
      s.send({ id: 700 + i, method: 'tools/call', params: { name: 'list_agent_tasks', arguments: { limit: 10 } } });
      await s.next((m) => m.id === 700 + i);
      lat.push(since(t0));
    }
    record(`${stored} tasks stored: RSS (MiB)`, 'codex-mcp', procStatus(proc.pid, 'VmRSS'));
    record(`${stored} tasks stored: list_agent_tasks latency (ms)`, 'codex-mcp', median(lat));
    await stop(proc);
  }
}

// 8: Streamable HTTP under load, beside the official TypeScript server (bench/http-load.mjs).
console.log('bench: HTTP load');
{
  const tsOnly = !oursHasHttp(build);
  if (tsOnly) console.log('bench: this codex-mcp does not serve HTTP yet; the TypeScript server runs alone');
  const h = await httpLoad({ build, runs: Math.min(RUNS, 3), only: tsOnly ? 'ts' : null });
  for (const [measure, byServer] of Object.entries(h.results)) {
    for (const [server, values] of Object.entries(byServer)) for (const v of values) record(measure, server, v);
  }
}

// 9: replicas on one PostgreSQL, and SQLite beside it (bench/replicas.mjs).
console.log('bench: replicas');
{
  const o = { build, runs: Math.min(RUNS, 3), duration: 5, connections: 64, seeded: 2000, history: 100000 };
  const rows = await replicasBench(o);
  replicasReport(o, rows);
  for (const r of rows) record(r.measure, r.server, r.value);
}

await model.close();
fs.rmSync(scratch, { recursive: true, force: true });

// The report: medians, and how many times the peer's figure ours is.
const targets = {
  'cold start to initialize (ms)': '≤ 2',
  'RSS after tools/list (MiB)': '≤ 3',
  'private memory after tools/list (MiB)': '',
  'CPU for 20k requests (s)': '≤ 0.1',
  'added to the turn (ms)': '≤ 5',
  'codex-reply turn through the server (ms)': 'Rust ÷ ours > 1',
  '8 agents at once: PSS of the server and all under it (MiB)': '≤ 238 (250 MB)',
  '256 agents: server peak RSS (MiB)': '≤ 16',
  '256 agents: events lost': '0',
  '1 GiB of events: throughput (MB/s)': '≥ 200',
  '10 tasks stored: RSS (MiB)': 'flat',
  '100000 tasks stored: RSS (MiB)': 'flat',
  '3 replica(s) on PostgreSQL: tasks/get + get_agent_status requests/s': '≥ 2.5 × 1 replica',
};
const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const rows = [];
const summary = {};
for (const [measure, byServer] of Object.entries(results)) {
  const ourMedian = byServer['codex-mcp'] ? median(byServer['codex-mcp']) : null;
  summary[measure] = {};
  for (const [server, values] of Object.entries(byServer)) {
    const m = median(values);
    summary[measure][server] = { median: m, runs: values.length };
    const ratio = server !== 'codex-mcp' && ourMedian && ourMedian > 0 && m > 0 ? `${fmt(m / ourMedian)}×` : '';
    rows.push(`| ${measure} | ${server} | ${fmt(m)} | ${values.length} | ${ratio} | ${server === 'codex-mcp' ? targets[measure] ?? httpTarget(measure) : ''} |`);
  }
}
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const md = [
  `# codex-mcp benchmarks`,
  '',
  `\`make bench\` on ${os.cpus().length} × ${cpu}, Linux ${os.release()}, ${new Date().toISOString().slice(0, 10)}.`,
  `Medians of the runs shown; "peer ÷ ours" is how many times the peer's median ours is (for times and`,
  `memory: how many times more the peer takes). The scripted model is on loopback; Codex is real where`,
  `named, and the fleet and parsing measures use a stand-in that streams events (bench/fake_stream.c).`,
  `The HTTP rows are bench/http-load.mjs (see bench/results/http-load.md): wrk, 1,000 clients.`,
  '',
  '| measure | server | median | runs | peer ÷ ours | target |',
  '|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n');
const out = path.join(here, 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'results.md'), md);
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(md);

// The plot: the three measures every server has, side by side, on a log scale.
const plotMeasures = ['cold start to initialize (ms)', 'RSS after tools/list (MiB)', 'private memory after tools/list (MiB)', 'CPU for 20k requests (s)'];
const names = Object.keys(servers);
const short = ['cold start (ms)', 'RSS (MiB)', 'private memory (MiB)', 'CPU, 20k requests (s)'];
const dat = plotMeasures.map((m, i) => [JSON.stringify(short[i]), ...names.map((n) => summary[m]?.[n]?.median ?? 'NaN')].join(' ')).join('\n');
fs.writeFileSync(path.join(out, 'results.dat'), `# measure ${names.map((n) => JSON.stringify(n)).join(' ')}\n${dat}\n`);
const gp = [
  'set terminal pngcairo size 1000,520 font "sans,11"',
  `set output "${path.join(out, 'results.png')}"`,
  'set title "codex-mcp and the servers it replaces (medians; lower is better; log scale)"',
  'set style data histograms', 'set style histogram clustered gap 1', 'set style fill solid 0.8 border -1',
  'set logscale y', 'set grid ytics', 'set key top left', 'set boxwidth 0.9',
  `plot ${names.map((n, i) => `"${path.join(out, 'results.dat')}" using ${i + 2}:xtic(1) title ${JSON.stringify(n)}`).join(', ')}`,
].join('\n');
const plotted = spawnSync('gnuplot', [], { input: gp });
if (plotted.status !== 0) console.error(`gnuplot failed: ${plotted.stderr}`);
else console.log(`bench: wrote ${path.join(out, 'results.md')} and results.png`);
