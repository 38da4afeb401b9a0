// The picture of `codex-mcp doctor` the README shows: a working set-up's real output, drawn as a
// terminal in Debian's headless Chromium. DOCTOR_SCREENSHOT=docs/doctor.png regenerates it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, createContext } from './lib/harness.mjs';
import { runCli } from './lib/cli.mjs';
import { launchBrowser } from './lib/browser.mjs';

const TIMEOUT = 120_000;
const WIDTH = 1100;

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** doctor's lines as a terminal shows them, ✔ green and ✘ red. */
function terminalPage(command, output) {
  const lines = output.replace(/\n$/, '').split('\n').map((l) => escape(l)
    .replace(/^✔/, '<span class="ok">✔</span>').replace(/^✘/, '<span class="bad">✘</span>'));
  return `<!doctype html><meta charset="utf-8"><style>
    body { margin: 0; background: #1e1f24; }
    pre { margin: 0; padding: 18px 22px; color: #d8dae0; font: 14px/1.5 "DejaVu Sans Mono", monospace; white-space: pre-wrap; }
    .prompt { color: #8fb8ff; } .ok { color: #5fd38a; } .bad { color: #ff6b6b; }
  </style><pre><span class="prompt">$ ${escape(command)}</span>\n${lines.join('\n')}</pre>`;
}

test('doctor\'s output, drawn as a terminal: the README\'s picture', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const spec = ctx.serverCommand();
  const r = await runCli(t, ['doctor', ...spec.args, '--http', '127.0.0.1:8080'], { env: { ...spec.env } });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /✘/);
  // Paths of the test's own temporary directories, shortened as a reader's would be.
  const shown = r.stdout.split(ctx.root).join('~/project').split(path.join(REPO_ROOT, 'tests/integration/')).join('~/');
  const file = path.join(ctx.root, 'doctor.html');
  fs.writeFileSync(file, terminalPage('codex-mcp doctor --http 127.0.0.1:8080', shown));

  const lines = shown.split('\n').length + 1;
  const browser = await launchBrowser(t, { width: WIDTH, height: 36 + lines * 21 });
  const page = await browser.newPage();
  await page.goto(`file://${file}`);
  await page.waitFor('document.querySelector("pre") !== null', { what: 'the page' });
  const text = await page.eval('document.querySelector("pre").innerText');
  for (const l of shown.split('\n').filter(Boolean)) assert.ok(text.includes(l), `the picture shows "${l}"`);
  const png = await page.screenshot();
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(png.readUInt32BE(16), WIDTH);
  const out = path.join(ctx.root, 'doctor.png');
  fs.writeFileSync(out, png);
  // The default backend's picture: the suite runs again with --backend exec.
  if (process.env.DOCTOR_SCREENSHOT && !spec.args.includes('exec')) fs.copyFileSync(out, path.resolve(REPO_ROOT, process.env.DOCTOR_SCREENSHOT));
});
