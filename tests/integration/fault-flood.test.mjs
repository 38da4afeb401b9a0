// Codex floods events: 1 GiB of item.completed agent_message lines as fast as it can write. The
// call completes, every event is forwarded (--codex-events) in order, and the server's peak RSS
// stays below 64 MiB, also when the client reads slowly (the server then stops reading Codex
// while more than 4 MiB wait for the client). Uses the fake Codex and a lean raw client that
// keeps nothing of the gigabyte it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, delay, waitFor, PEER_MODE } from './lib/harness.mjs';
import { fakeCodex, startLean, answerText, vmHWM, procStatusBytes, childrenOf, mib, MiB, GiB, SANITIZED } from './lib/fault.mjs';

const TIMEOUT = 240_000;
const SKIP = PEER_MODE && 'needs --codex-bin';
const RSS_LIMIT = 64 * MiB;
const EVENT_LINE = 64 * 1024; // the fake's default event size

/** Counts the codex/event flood items a lean client sees, checking their order. */
function floodCounter() {
  const c = { events: 0, flood: 0, next: 0, outOfOrder: 0, progress: 0, other: 0, maxLine: 0, cut: 0 };
  c.onLine = (line) => {
    c.maxLine = Math.max(c.maxLine, line.length);
    const head = line.subarray(0, 300).toString('latin1');
    if (head.includes('"method":"codex/event"')) {
      c.events++;
      const m = head.match(/"text":"flood (\d{10}) /);
      if (m) {
        c.flood++;
        if (Number(m[1]) !== c.next) c.outOfOrder++;
        c.next = Number(m[1]) + 1;
        // The whole event arrived: its padding, then the _meta the server adds.
        if (line.length < EVENT_LINE || !line.subarray(-200).toString('latin1').includes('"requestId":2')) c.cut++;
      }
    } else if (head.includes('"method":"notifications/progress"')) {
      c.progress++;
    } else {
      c.other++;
    }
  };
  return c;
}

async function floodCall(t, { size, slowClient }) {
  const ctx = await createContext(t);
  const counter = floodCounter();
  const srv = startLean(t, ctx, { codexBin: fakeCodex(), args: ['--codex-events'], onLine: counter.onLine });
  await srv.initialize();
  const t0 = Date.now();
  let maxRss = 0;
  const sampler = setInterval(() => { maxRss = Math.max(maxRss, procStatusBytes(srv.pid, 'VmRSS') ?? 0); }, 100);
  t.after(() => clearInterval(sampler));
  const call = srv.request('tools/call', { name: 'codex', arguments: { prompt: `flood ${size}`, cwd: ctx.workspace },
    _meta: { progressToken: 'flood' } }, TIMEOUT);

  let fakeBlocked = null;
  if (slowClient) {
    // Not a byte read for 3 s: the server must stop reading Codex instead of queueing.
    srv.child.stdout.pause();
    await delay(3000);
    const fake = childrenOf(srv.pid)[0];
    fakeBlocked = { fake: fake?.pid, state: fake?.state, rss: procStatusBytes(srv.pid, 'VmRSS') };
    // Then read in short bursts: 8 MiB, a 100 ms pause, and so on.
    let mark = srv.bytes;
    srv.child.stdout.on('data', () => {
      if (srv.bytes - mark < 8 * MiB) return;
      mark = srv.bytes;
      srv.child.stdout.pause();
      setTimeout(() => srv.child.stdout.resume(), 100);
    });
    srv.child.stdout.resume();
  }
  const answer = await call;
  const took = Date.now() - t0;
  clearInterval(sampler);
  const hwm = vmHWM(srv.pid);
  const text = answerText(answer);
  console.log(`# flood ${size}${slowClient ? ' (slow client)' : ''}: ${took} ms, ${mib(srv.bytes)} to the client, ` +
    `server VmHWM ${mib(hwm)}, sampled VmRSS max ${mib(maxRss)}, ${counter.flood} flood events, ${counter.progress} progress` +
    (fakeBlocked ? `; after 3 s unread: Codex ${fakeBlocked.fake} ${fakeBlocked.state}, server VmRSS ${mib(fakeBlocked.rss)}` : ''));

  assert.ok(answer.result && !answer.result.isError, srv.diag(`the call failed: ${JSON.stringify(answer).slice(0, 2000)}`));
  const m = text.match(/^fake flood done: (\d+) events$/);
  assert.ok(m, `final message: ${text.slice(0, 300)}`);
  const printed = Number(m[1]);
  assert.equal(printed, Math.ceil(size / EVENT_LINE));
  assert.equal(counter.flood, printed, `codex/event flood items forwarded ${counter.flood}, the fake printed ${printed}`);
  assert.equal(counter.outOfOrder, 0, 'flood events out of order');
  assert.equal(counter.cut, 0, 'flood events cut short');
  // thread.started, turn.started, the flood, the final message, turn.completed.
  assert.equal(counter.events, printed + 4);
  assert.ok(counter.progress >= printed, `progress notifications: ${counter.progress}`);
  if (!SANITIZED) {
    assert.ok(hwm < RSS_LIMIT, srv.diag(`server VmHWM ${mib(hwm)} >= ${mib(RSS_LIMIT)}`));
    if (fakeBlocked) assert.ok(fakeBlocked.rss < 32 * MiB, `server VmRSS ${mib(fakeBlocked.rss)} while the client read nothing`);
  }
  // Still serving.
  const ping = await srv.request('ping', {});
  assert.deepEqual(ping.result, {});
  const ok = await srv.request('tools/call', { name: 'codex', arguments: { prompt: 'ok', cwd: ctx.workspace } });
  assert.equal(answerText(ok), 'fake ok');
  srv.child.stdin.end();
  const exit = await srv.exited;
  assert.equal(exit.code, 0, srv.diag(`exit ${JSON.stringify(exit)}`));
}

test('Codex floods 1 GiB of events: every one forwarded, in order; VmHWM < 64 MiB', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  await floodCall(t, { size: SANITIZED ? 128 * MiB : 1 * GiB });
});

test('the same flood to a client that reads slowly: the server pauses Codex, VmHWM < 64 MiB', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  await floodCall(t, { size: SANITIZED ? 64 * MiB : 256 * MiB, slowClient: true });
});

test('a 256 MiB flood as an async agent (no client stream): completes, output is the last message', { timeout: TIMEOUT, skip: SKIP }, async (t) => {
  const ctx = await createContext(t);
  const srv = await ctx.startServer({ codexBin: fakeCodex() });
  const size = SANITIZED ? 64 * MiB : 256 * MiB;
  const res = await srv.call('spawn_agent_async', { prompt: `flood ${size}`, cwd: ctx.workspace });
  const id = res.structuredContent.task_id;
  const st = await waitFor(async () => {
    const s = (await srv.call('get_agent_status', { task_id: id })).structuredContent;
    return s.status !== 'running' && s.status !== 'queued' ? s : null;
  }, { timeoutMs: 200_000, intervalMs: 500, what: 'the flood agent to end' });
  assert.equal(st.status, 'completed', JSON.stringify(st).slice(0, 2000));
  assert.equal(st.output, `fake flood done: ${Math.ceil(size / EVENT_LINE)} events`);
  const hwm = vmHWM(srv.pid);
  console.log(`# async flood ${mib(size)}: server VmHWM ${mib(hwm)}`);
  if (!SANITIZED) assert.ok(hwm < RSS_LIMIT, srv.diag(`server VmHWM ${mib(hwm)}`));
  await srv.client.ping();
});
