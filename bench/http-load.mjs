// The HTTP load benchmark: codex-mcp's Streamable HTTP transport beside the official TypeScript
// server (bench/ts-server.mjs) serving the same tools.
//
//   node bench/http-load.mjs [--only ts|codex-mcp] [--build DIR] [--runs N] [--warmup S]
//        [--duration S] [--connections N] [--threads N] [--streams N] [--events N]
//        [--flavours 2025,2026] [--no-load] [--no-sse] [--no-ceiling]
//
// For each round, server and flavour, a fresh server process:
// - load: CONNECTIONS clients (1,000) alternating tools/list and tools/call get_agent_status over
//   keep-alive connections, driven by wrk (bench/http-load.lua): a warm-up of WARMUP seconds in
//   which every answer is checked to be a JSON-RPC result, then DURATION seconds measured:
//   requests/s, latency p50 and p99, the server's peak RSS (VmHWM: the sessions, the warm-up and
//   the measure), its CPU per request, and the generator's CPU beside the server's.
//   2025: each client first makes its session (initialize, then notifications/initialized), and
//   its requests carry Mcp-Session-Id and MCP-Protocol-Version. 2026: stateless POSTs with the
//   `_meta` envelope and MCP-Protocol-Version, Mcp-Method and Mcp-Name.
// - progress: STREAMS (64) concurrent tools/call of spawn_agent with a progressToken, each a run
//   of the Codex stand-in (bench/fake_stream.c) printing EVENTS (10,000) command events; every
//   event is a notifications/progress on the call's SSE answer. Measured: progress messages
//   delivered per second across the streams, the server's peak RSS with them open, its CPU per
//   message. Streams are long enough for the rate of messages, not the start of 64 runs, to be
//   what is measured: at 2,000 events codex-mcp's streams lasted under half a second.
// Both servers run the same fake-stream and get the same requests; only the server differs.
// The generator ceiling (bench/canned_http.c) is measured alike: canned answers for the load,
// and for progress the same fake-stream runs with a canned notification per line it prints,
// what the client and fake-stream reach on this machine when the server does next to nothing.
//
// Writes bench/results/http-load.md and http-load.json. bench/run.mjs (`make bench`) runs it too.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname;
export const TS_NAME = 'TS server 2.4.0';
const OURS = 'codex-mcp';
export const CEILING = 'generator ceiling (canned answers)';
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;
const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

function procStatus(pid, field) {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN; // MiB
}
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime + stime
}
// Samples the server's RSS while something runs; the peak is the larger of it and VmHWM.
function rssSampler(pid) {
  let peak = 0;
  const t = setInterval(() => { try { peak = Math.max(peak, procStatus(pid, 'VmRSS')); } catch { /* gone */ } }, 50);
  return () => { clearInterval(t); try { return Math.max(peak, procStatus(pid, 'VmHWM')); } catch { return peak; } };
}

// codex-mcp's tool list, asked of the built binary over stdio, so both servers list the same tools.
export async function codexTools(ours, stateDir) {
  const proc = spawn(ours, ['--state-dir', stateDir, '--log-level', 'error'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const msgs = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  ];
  proc.stdin.write(msgs.map((m) => JSON.stringify(m) + '\n').join(''));
  let buf = '';
  proc.stdout.setEncoding('utf8');
  const tools = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${ours}: no tools/list answer`)), 10000);
    proc.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n')) {
        let m;
        try { m = JSON.parse(line); } catch { continue; }
        if (m.id === 2) { clearTimeout(timer); resolve(m.result.tools); }
      }
    });
    proc.once('exit', (code) => reject(new Error(`${ours} exited ${code} before tools/list`)));
  });
  proc.stdin.end();
  await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
  return tools;
}

// Starts a server that prints `listening on http://HOST:PORT/mcp` on stderr; resolves with its URL.
function startServer(cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${cmd}: no "listening on" line in 15 s: ${err.slice(-500)}`)); }, 15000);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      if (err.length < 65536) err += d;
      const m = /listening on (http:\/\/[^\s/]+\/mcp)/.exec(err);
      if (m && timer) { clearTimeout(timer); resolve({ proc, url: m[1], stderr: () => err }); }
    });
    proc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? sig}: ${err.slice(-500)}`)); });
  });
}
async function stopServer(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.removeAllListeners('exit');
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

// One POST on a connection of its own; the answer's JSON-RPC messages, from JSON or SSE.
function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        const type = res.headers['content-type'] ?? '';
        let messages = [];
        if (type.startsWith('text/event-stream')) {
          messages = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).filter(Boolean).map((l) => JSON.parse(l));
        } else if (text) {
          messages = [JSON.parse(text)];
        }
        resolve({ status: res.statusCode, headers: res.headers, messages });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
const modernHeaders = (method, name) => ({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) });

// A 2025-11-25 session: initialize, then notifications/initialized; resolves with its id.
async function openSession(url) {
  const init = await post(url, {}, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
  const sid = init.headers['mcp-session-id'];
  if (init.status !== 200 || !sid || !init.messages.find((m) => m.id === 0)?.result) throw new Error(`initialize: HTTP ${init.status}, session ${sid}, ${JSON.stringify(init.messages).slice(0, 300)}`);
  const ack = await post(url, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, { jsonrpc: '2.0', method: 'notifications/initialized' });
  if (ack.status !== 202) throw new Error(`notifications/initialized: HTTP ${ack.status}`);
  return sid;
}
async function openSessions(url, n) {
  const out = [];
  // At most 100 handshakes in flight: the measure is the load after, not the handshake burst.
  for (let i = 0; i < n; i += 100) out.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => openSession(url)))));
  return out;
}

// wrk with bench/http-load.lua; returns its result line and its CPU seconds (from `times`).
function runWrk({ url, seconds, connections, threads, mode, sessionsFile, check }) {
  const script = path.join(here, 'http-load.lua');
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '30s', '-s', script, url, '--', mode, sessionsFile || '-', check ? 'check' : 'fast'];
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', 'ulimit -n 65536 2>/dev/null; wrk "$@"; rc=$?; times; exit $rc', 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.once('exit', (code) => {
      const line = /WRK_RESULT (\{.*\})/.exec(out);
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}: ${err}${out.slice(-1000)}`));
      const r = JSON.parse(line[1]);
      // `times`: the shell's own user and system time, then its children's (wrk's).
      const t = [...out.slice(out.indexOf(line[0]) + line[0].length).matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      r.cpu_s = t.length >= 4 ? t[2] + t[3] : NaN;
      resolve(r);
    });
    p.on('error', reject);
  });
}

// One load scenario on a fresh server.
async function loadScenario(o, start, flavour, scratch) {
  const { proc, url } = await start();
  try {
    let sessionsFile;
    const t0 = process.hrtime.bigint();
    if (flavour === '2025') {
      const sids = await openSessions(url, o.connections);
      sessionsFile = path.join(scratch, `sessions-${proc.pid}.txt`);
      fs.writeFileSync(sessionsFile, sids.join('\n') + '\n');
    }
    const setupMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const mode = flavour === '2025' ? 'sessions' : 'stateless';
    const peak = rssSampler(proc.pid);
    const warm = await runWrk({ ...o, url, seconds: o.warmup, mode, sessionsFile, check: true });
    const warmBad = warm.bad + warm.status_errors;
    if (warm.requests === 0 || warmBad > warm.requests / 100) {
      throw new Error(`warm-up: ${warmBad} of ${warm.requests} answers were not results (${JSON.stringify(warm)})`);
    }
    const cpu0 = cpuSeconds(proc.pid);
    const w = await runWrk({ ...o, url, seconds: o.duration, mode, sessionsFile, check: false });
    const cpu = cpuSeconds(proc.pid) - cpu0;
    const peakMiB = peak();
    const secs = w.duration_us / 1e6;
    return {
      setupMs, peakMiB, warm, wrk: w,
      rps: w.requests / secs, p50: w.p50_us / 1000, p99: w.p99_us / 1000,
      errors: w.connect_errors + w.read_errors + w.write_errors + w.status_errors + w.timeouts,
      serverCpu: cpu / secs, genCpu: w.cpu_s / secs, cpuPerReq: (cpu / Math.max(1, w.requests)) * 1e6,
    };
  } finally {
    await stopServer(proc);
  }
}

// STREAMS concurrent spawn_agent calls with progress, on a fresh server.
async function progressScenario(o, start, flavour, work) {
  const { proc, url } = await start();
  try {
    const sids = flavour === '2025' ? await openSessions(url, o.streams) : [];
    const prompt = `stream ${o.events} 200`;
    const peak = rssSampler(proc.pid);
    const cpu0 = cpuSeconds(proc.pid);
    const me0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const one = (i) => new Promise((resolve, reject) => {
      const body = {
        jsonrpc: '2.0', id: 1000 + i, method: 'tools/call',
        params: { name: 'spawn_agent', arguments: { prompt, cwd: work }, _meta: { progressToken: `p${i}`, ...(flavour === '2026' ? envelope : {}) } },
      };
      const headers = flavour === '2026' ? modernHeaders('tools/call', 'spawn_agent') : { 'mcp-session-id': sids[i], 'mcp-protocol-version': '2025-11-25' };
      const req = http.request(url, {
        method: 'POST', agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      }, (res) => {
        let buf = '';
        let progress = 0;
        let final = null;
        res.setEncoding('utf8');
        const sse = (res.headers['content-type'] ?? '').startsWith('text/event-stream');
        res.on('data', (d) => {
          buf += d;
          if (!sse) return;
          let at = 0;
          let nl;
          while ((nl = buf.indexOf('\n', at)) >= 0) {
            if (buf.startsWith('data:', at)) {
              // Progress is counted without parsing it; the one other message is the answer.
              const k = buf.indexOf('"notifications/progress"', at);
              if (k >= 0 && k < nl) progress++;
              else final = JSON.parse(buf.slice(at + 5, nl));
            }
            at = nl + 1;
          }
          buf = buf.slice(at);
        });
        res.on('end', () => {
          if (!sse && buf) final = JSON.parse(buf);
          if (res.statusCode !== 200 || !final?.result || final.result.isError) {
            reject(new Error(`stream ${i}: HTTP ${res.statusCode}: ${JSON.stringify(final).slice(0, 400)}`));
          } else resolve({ progress, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    const streams = await Promise.all(Array.from({ length: o.streams }, (_, i) => one(i)));
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(proc.pid) - cpu0;
    const me = process.cpuUsage(me0);
    const peakMiB = peak();
    const total = streams.reduce((a, s) => a + s.progress, 0);
    return {
      secs, peakMiB, total, minPerStream: Math.min(...streams.map((s) => s.progress)),
      msgPerSec: total / secs, cpuPerMsg: (cpu / Math.max(1, total)) * 1e6,
      serverCpu: cpu / secs, clientCpu: (me.user + me.system) / 1e6 / secs,
    };
  } finally {
    await stopServer(proc);
  }
}

const GOALS = {
  'requests/s': '≥ 10×',
  'peak RSS (MiB)': '≤ 0.1×',
  'messages/s': '≥ 10×',
};
// The target column of bench/run.mjs's table, where the ratio is the peer's over ours.
export function httpTarget(measure) {
  const g = goalOf(measure);
  return g ? `TS ${g === '≤ 0.1×' ? '≥ 10×' : '≤ 0.1×'} ours` : '';
}
const NO_RATIO = /: (errors|wrk CPU.*)$/;
const goalOf = (measure) => Object.entries(GOALS).find(([k]) => measure.endsWith(k))?.[1] ?? '';

export async function httpLoad(opts = {}) {
  const o = {
    build: path.resolve(opts.build ?? path.join(here, '..', 'build')),
    only: opts.only ?? null, runs: opts.runs ?? 3, warmup: opts.warmup ?? 2, duration: opts.duration ?? 5,
    connections: opts.connections ?? 1000, threads: opts.threads ?? 1, streams: opts.streams ?? 64,
    events: opts.events ?? 10000, flavours: opts.flavours ?? ['2025', '2026'], load: opts.load ?? true, sse: opts.sse ?? true,
    ceiling: opts.ceiling ?? true,
    log: opts.log ?? ((s) => console.log(s)),
  };
  const ours = path.join(o.build, 'codex-mcp');
  const fakeStream = path.join(o.build, 'bench', 'fake-stream');
  const canned = path.join(o.build, 'bench', 'canned-http');
  for (const f of [ours, fakeStream, canned]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: build first (make all)`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-mcp-http-bench-'));
  const work = path.join(scratch, 'work');
  fs.mkdirSync(work);
  let stateN = 0;
  const freshState = () => path.join(scratch, `state-${++stateN}`);
  const tools = await codexTools(ours, freshState());
  const toolsFile = path.join(scratch, 'tools.json');
  fs.writeFileSync(toolsFile, JSON.stringify(tools));
  const cannedFile = path.join(scratch, 'tools-result.json');
  fs.writeFileSync(cannedFile, JSON.stringify({ tools }));
  o.log(`http-load: ${tools.length} tools from ${ours}; ${o.connections} connections, wrk ×${o.threads} thread(s), ${o.warmup} s warm-up + ${o.duration} s; ${o.streams} progress streams of ${o.events} events`);

  const starters = {
    [OURS]: () => startServer(ours, ['--http', '127.0.0.1:0', '--state-dir', freshState(), '--codex-bin', fakeStream, '--backend', 'exec', '--max-agents', String(o.streams), '--log-level', 'error'], work),
    [TS_NAME]: () => startServer(process.execPath, [path.join(here, 'ts-server.mjs'), '--tools', toolsFile, '--listen', '127.0.0.1:0', '--fake-stream', fakeStream], work),
    // What the generator can drive at all: a server that only sends canned answers.
    [CEILING]: () => startServer(canned, [cannedFile, fakeStream], work),
  };
  const names = Object.keys(starters).filter((n) => (n === CEILING ? o.ceiling && (o.load || o.sse) : !o.only || n === (o.only === 'ts' ? TS_NAME : OURS)));
  const results = {};
  const details = [];
  const record = (measure, server, value) => { ((results[measure] ??= {})[server] ??= []).push(value); };
  const label = (f) => (f === '2025' ? '2025-11-25 sessions' : '2026-07-28 stateless');

  try {
    for (let round = 0; round < o.runs; round++) {
      // The servers alternate which goes first, so neither always runs on a cooler machine.
      const order = round % 2 ? [...names].reverse() : names;
      for (const name of order) {
        for (const f of o.flavours) {
          if (o.load) {
            const r = await loadScenario(o, starters[name], f, scratch);
            const m = `HTTP ${label(f)}, ${o.connections} clients`;
            record(`${m}: requests/s`, name, r.rps);
            // A server that answered nothing in the measure has no latency to speak of.
            if (r.wrk.requests > 0) {
              record(`${m}: p50 latency (ms)`, name, r.p50);
              record(`${m}: p99 latency (ms)`, name, r.p99);
              record(`${m}: server CPU per request (µs)`, name, r.cpuPerReq);
            }
            record(`${m}: peak RSS (MiB)`, name, r.peakMiB);
            record(`${m}: errors`, name, r.errors);
            record(`${m}: wrk CPU (cores, of ${o.threads})`, name, r.genCpu);
            details.push({ round, server: name, flavour: f, kind: 'load', ...r });
            o.log(`  ${name}, ${label(f)}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, peak RSS ${r.peakMiB.toFixed(1)} MiB, errors ${r.errors}; CPU: server ${r.serverCpu.toFixed(2)}, wrk ${r.genCpu.toFixed(2)} of ${o.threads} core(s)${f === '2025' ? `; ${o.connections} handshakes in ${r.setupMs.toFixed(0)} ms` : ''}`);
          }
          if (o.sse) {
            const r = await progressScenario(o, starters[name], f, work);
            const m = `HTTP ${label(f)}, ${o.streams} progress streams`;
            record(`${m}: messages/s`, name, r.msgPerSec);
            record(`${m}: peak RSS (MiB)`, name, r.peakMiB);
            record(`${m}: server CPU per message (µs)`, name, r.cpuPerMsg);
            details.push({ round, server: name, flavour: f, kind: 'progress', ...r });
            o.log(`  ${name}, ${label(f)}, ${o.streams} streams: ${r.total} progress messages in ${r.secs.toFixed(2)} s = ${r.msgPerSec.toFixed(0)}/s (fewest on a stream ${r.minPerStream}), peak RSS ${r.peakMiB.toFixed(1)} MiB; CPU: server ${r.serverCpu.toFixed(2)}, client ${r.clientCpu.toFixed(2)}`);
          }
        }
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  // Medians, and codex-mcp's median over the TypeScript server's: the issue's goals are in that
  // direction (≥ 10× the requests, ≤ 0.1× the memory).
  const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
  const rows = [];
  const summary = {};
  for (const [measure, byServer] of Object.entries(results)) {
    summary[measure] = {};
    const ts = byServer[TS_NAME] ? median(byServer[TS_NAME]) : null;
    for (const [server, values] of Object.entries(byServer)) {
      const m = median(values);
      summary[measure][server] = { median: m, runs: values.length };
      const ratio = server === OURS && ts && ts > 0 && !NO_RATIO.test(measure) ? `${fmt(m / ts)}×` : '';
      rows.push(`| ${measure} | ${server} | ${fmt(m)} | ${values.length} | ${ratio} | ${server === OURS ? goalOf(measure) : ''} |`);
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const md = [
    '# codex-mcp over Streamable HTTP beside the TypeScript server',
    '',
    `\`node bench/http-load.mjs${o.only ? ` --only ${o.only}` : ''}\` on ${os.cpus().length} × ${cpu}, Linux ${os.release()}, ${new Date().toISOString().slice(0, 10)}.`,
    `${o.connections} clients over keep-alive connections (wrk, ${o.threads} thread(s)), alternating tools/list and`,
    `tools/call get_agent_status; ${o.warmup} s of warm-up, then ${o.duration} s measured. ${o.streams} progress streams: concurrent`,
    `spawn_agent calls, each a run of bench/fake_stream.c printing ${o.events} events, each event a progress notification.`,
    `Medians of the runs shown; "codex-mcp ÷ TS" is codex-mcp's median over the TypeScript server's.`,
    '',
    '| measure | server | median | runs | codex-mcp ÷ TS | goal |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  const out = path.join(here, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'http-load.md'), md);
  fs.writeFileSync(path.join(out, 'http-load.json'), JSON.stringify({ options: { ...o, log: undefined }, summary, runs: details }, null, 2) + '\n');
  return { results, summary, md, details };
}

// Whether this codex-mcp serves HTTP yet (its --help names --http).
export function oursHasHttp(build) {
  const r = spawnSync(path.join(build, 'codex-mcp'), ['--help'], { encoding: 'utf8' });
  return /--http\b/.test(`${r.stdout}${r.stderr}`);
}

if (import.meta.filename === process.argv[1]) {
  const argv = process.argv.slice(2);
  const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const num = (name) => (opt(name) === undefined ? undefined : Number(opt(name)));
  const only = opt('--only');
  if (only && !['ts', 'codex-mcp'].includes(only)) { console.error('--only takes ts or codex-mcp'); process.exit(2); }
  const { md } = await httpLoad({
    only, build: opt('--build'), runs: num('--runs'), warmup: num('--warmup'), duration: num('--duration'),
    connections: num('--connections'), threads: num('--threads'), streams: num('--streams'), events: num('--events'),
    flavours: opt('--flavours')?.split(','), load: !argv.includes('--no-load'), sse: !argv.includes('--no-sse'),
    ceiling: !argv.includes('--no-ceiling'),
  });
  console.log(md);
}
