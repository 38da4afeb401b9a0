// A real browser for tests: Debian's headless Chromium, driven over the DevTools protocol on
// its WebSocket (the `ws` client). Nothing is downloaded: scripts/setup.sh installs `chromium`.
//
//   const browser = await launchBrowser(t);        // killed, with its whole process group, at cleanup
//   const page = await browser.newPage();
//   await page.goto(url);
//   await page.waitFor('document.querySelector("#agents") !== null', { what: 'the page' });
//   await page.eval('1 + 1');                      // the value, or throws with the page's exception
//   const png = await page.screenshot();           // a Buffer
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** The DevTools protocol over one WebSocket: commands, and events by session. */
class Cdp {
  constructor(ws) {
    this.ws = ws;
    this.next = 1;
    this.pending = new Map();
    this.listeners = new Set();
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.id && this.pending.has(msg.id)) {
        const { resolve, reject, method } = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result);
      } else if (msg.method) {
        for (const fn of this.listeners) fn(msg);
      }
    });
    ws.on('close', () => {
      for (const { reject, method } of this.pending.values()) reject(new Error(`${method}: the browser went away`));
      this.pending.clear();
    });
  }

  send(method, params = {}, sessionId) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }
}

class Page {
  constructor(cdp, sessionId) {
    this.cdp = cdp;
    this.sessionId = sessionId;
    this.console = []; // what the page logged, and its uncaught exceptions
    cdp.listeners.add((msg) => {
      if (msg.sessionId !== sessionId) return;
      if (msg.method === 'Runtime.consoleAPICalled') {
        this.console.push(`${msg.params.type}: ${msg.params.args.map((a) => a.value ?? a.description).join(' ')}`);
      } else if (msg.method === 'Runtime.exceptionThrown') {
        this.console.push(`exception: ${msg.params.exceptionDetails.exception?.description ?? msg.params.exceptionDetails.text}`);
      }
    });
  }

  send(method, params) { return this.cdp.send(method, params, this.sessionId); }

  /** Loads url and waits for its load event. */
  async goto(url) {
    const loaded = new Promise((resolve) => {
      const fn = (msg) => {
        if (msg.sessionId === this.sessionId && msg.method === 'Page.loadEventFired') {
          this.cdp.listeners.delete(fn);
          resolve();
        }
      };
      this.cdp.listeners.add(fn);
    });
    const res = await this.send('Page.navigate', { url });
    if (res.errorText) throw new Error(`cannot load ${url}: ${res.errorText}`);
    await loaded;
  }

  /** The value of expression in the page (awaited when it is a promise). */
  async eval(expression) {
    const res = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (res.exceptionDetails) {
      throw new Error(`${expression}: ${res.exceptionDetails.exception?.description ?? res.exceptionDetails.text}`);
    }
    return res.result.value;
  }

  /** Waits until expression is truthy in the page; returns its value. */
  async waitFor(expression, { timeoutMs = 30_000, what = expression } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        last = await this.eval(expression);
        if (last) return last;
      } catch (e) {
        last = e.message;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)}); page console:\n${this.console.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A PNG of the page as it shows now. */
  async screenshot() {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(data, 'base64');
  }
}

/**
 * Starts headless Chromium in its own process group, with a profile of its own; t.after() kills
 * the group, whatever the test's outcome, and then removes the profile. The profile is not under
 * the test's dirs: those may be removed first, while Chromium still writes.
 */
export async function launchBrowser(t, { width = 1360, height = 1000 } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-mcp-chromium-'));
  const child = spawn(CHROMIUM, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1', `--user-data-dir=${profile}`,
    '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-sync',
    '--disable-background-networking', '--disable-component-update', '--metrics-recording-only',
    '--disable-crash-reporter', '--disable-breakpad', '--hide-scrollbars', '--force-device-scale-factor=1', `--window-size=${width},${height}`, 'about:blank',
  ], { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: profile, TMPDIR: profile } });
  let stderr = '';
  const exited = new Promise((r) => child.once('exit', r));
  const kill = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } };
  // Also if the test process ends without running its after hooks.
  process.once('exit', kill);
  t.after(async () => {
    kill();
    await exited;
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });
  child.stderr.setEncoding('utf8');
  const wsUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${stderr.slice(-3000)}`)), 30_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Chromium exited (${code}):\n${stderr.slice(-3000)}`)); });
  });
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  t.after(() => ws.close());
  const cdp = new Cdp(ws);
  return {
    pid: child.pid,
    async newPage() {
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
      const page = new Page(cdp, sessionId);
      await page.send('Page.enable');
      await page.send('Runtime.enable');
      await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
      return page;
    },
  };
}
