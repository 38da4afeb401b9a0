// Measures what the server costs: cold start to the initialize answer, memory after tools/list,
// and the time a codex call through the server adds over a bare `codex exec` of the same
// scripted turn. Medians of alternating runs; nothing here is asserted.
//
//   node bench/measure.mjs [path/to/codex-mcp] [runs]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startMockModel } from '../tests/integration/lib/mock-model.mjs';
import { codexBin } from '../tests/integration/lib/harness.mjs';

const here = import.meta.dirname;
const server = path.resolve(process.argv[2] || path.join(here, '../build/codex-mcp'));
const runs = Number(process.argv[3] || 11);
const codex = codexBin();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

// A JSON-RPC session over a child's stdio: send() writes a line, next(pred) awaits a message.
function session(proc) {
  let buf = '';
  const queue = [];
  const waiters = [];
  proc.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
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
  };
}

const init = { id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'measure', version: '1' } } };

const scratch = fs.mkdtempSync('/var/tmp/codex-mcp-measure-');
const model = await startMockModel();
const home = path.join(scratch, 'codex-home');
const work = path.join(scratch, 'work');
for (const d of [home, work, path.join(scratch, 'home')]) fs.mkdirSync(d);
fs.writeFileSync(path.join(home, 'config.toml'), [
  'model = "mock-model"', 'model_provider = "mock"', '[model_providers.mock]', 'name = "mock"',
  `base_url = "${model.url}"`, 'wire_api = "responses"', 'env_key = "MOCK_KEY"',
  'request_max_retries = 0', 'stream_max_retries = 0', ''].join('\n'));
const env = { ...process.env, CODEX_HOME: home, MOCK_KEY: 'x', HOME: path.join(scratch, 'home') };
const serverArgs = ['--codex-bin', codex, '--state-dir', path.join(scratch, 'state'), '--log-level', 'error'];

async function startAndInit() {
  const t0 = process.hrtime.bigint();
  const proc = spawn(server, serverArgs, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const s = session(proc);
  s.send(init);
  await s.next((m) => m.id === 1);
  return { proc, s, startMs: ms(t0) };
}

async function stop(proc) {
  proc.stdin.end();
  await new Promise((r) => proc.once('exit', r));
}

// 1 and 2: cold start and RSS.
const starts = [];
const rss = [];
for (let i = 0; i < runs; i++) {
  const { proc, s, startMs } = await startAndInit();
  starts.push(startMs);
  s.send({ id: 2, method: 'tools/list' });
  await s.next((m) => m.id === 2);
  const status = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
  rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
  await stop(proc);
}

// 3: the same two-step scripted turn, bare and through the server, alternating.
const prompt = (i) => `WRITE out${i}.txt hello`;
function bareExec(i) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(codex, ['exec', '--json', '--skip-git-repo-check', '--cd', work, '-s', 'workspace-write', '-'],
      { env, stdio: ['pipe', 'ignore', 'ignore'] });
    p.stdin.end(prompt(`b${i}`));
    p.once('exit', (code) => (code === 0 ? resolve(ms(t0)) : reject(new Error(`codex exec exited ${code}`))));
  });
}
const { proc, s } = await startAndInit();
async function throughServer(i) {
  const t0 = process.hrtime.bigint();
  s.send({ id: 100 + i, method: 'tools/call', params: { name: 'codex', arguments: { prompt: prompt(`s${i}`), cwd: work, sandbox: 'workspace-write' } } });
  const r = await s.next((m) => m.id === 100 + i);
  if (r.result?.isError) throw new Error(r.result.content[0].text);
  return ms(t0);
}
const bare = [];
const via = [];
await bareExec('warm');
await throughServer(0);
for (let i = 1; i <= runs; i++) {
  bare.push(await bareExec(i));
  via.push(await throughServer(i));
}
await stop(proc);
await model.close();
fs.rmSync(scratch, { recursive: true, force: true });

const f = (x) => x.toFixed(2);
console.log(`codex-mcp ${server}, ${runs} runs each, medians:`);
console.log(`  cold start to initialize answer: ${f(median(starts))} ms (spawn from node included)`);
console.log(`  RSS after initialize + tools/list: ${f(median(rss))} MiB`);
console.log(`  bare codex exec, scripted 2-step turn: ${f(median(bare))} ms`);
console.log(`  same turn through codex-mcp:           ${f(median(via))} ms`);
const diffs = via.map((v, i) => v - bare[i]);
console.log(`  added by the server: ${f(median(diffs))} ms (median of paired differences; noise is about ±20 ms)`);
