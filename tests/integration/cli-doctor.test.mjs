// codex-mcp doctor: a working set-up passes with every line ✔; each fault is a ✘ with its reason
// and a fix, and a non-zero exit. The real Codex throughout, but for "too old", which a real one
// cannot show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { TESTS_DIR, createContext, codexBin } from './lib/harness.mjs';
import { runCli } from './lib/cli.mjs';

const TIMEOUT = 120_000;
const SECRET = 'sk-doctor-never-prints-this-0123';

/** doctor with the options and environment ctx's server gets, changed by the test's. */
async function doctor(t, ctx, { args, env = {}, drop = [], opts } = {}) {
  const spec = ctx.serverCommand();
  const fullEnv = { ...spec.env, MOCK_KEY: SECRET, ...env };
  for (const k of ['OPENAI_API_KEY', 'CODEX_API_KEY', ...drop]) if (!(k in env)) delete fullEnv[k];
  const r = await runCli(t, ['doctor', ...(args ?? spec.args)], { env: fullEnv, ...opts });
  assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), 'doctor printed a secret');
  return r;
}

/** The line about `what`, which must be there once. */
function line(r, what) {
  const found = r.stdout.split('\n').filter((l) => l.includes(what));
  assert.equal(found.length, 1, `one line about "${what}" expected:\n${r.stdout}`);
  return found[0];
}

test('a working set-up: every check ✔, and exit 0', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const r = await doctor(t, ctx);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /✘/);
  const real = fs.realpathSync(codexBin());
  assert.match(line(r, 'Codex 0.169.0'), new RegExp(`^✔ Codex 0\\.169\\.0 at ${real.replace(/[.]/g, '\\.')}`));
  assert.match(line(r, 'backend:'), /^✔ backend: (app-server|exec)/);
  assert.match(line(r, 'authentication:'), /^✔ authentication: the provider "mock" \(http:\/\/127\.0\.0\.1:\d+\/v1\), with its key in \$MOCK_KEY: set$/);
  assert.match(line(r, 'sandbox:'), /^✔ sandbox: `codex sandbox` ran a command$/);
  assert.match(line(r, 'state directory:'), new RegExp(`^✔ state directory: ${ctx.stateDir}`));
  assert.match(line(r, 'database:'), /^✔ database: .*codex-mcp\.db/);
  assert.match(line(r, 'agent logs:'), /^✔ agent logs: .*\/logs: 0 file\(s\), 0 B$/);
  assert.match(r.stdout, /All good: a codex call would work here\.\n$/);
  assert.equal(r.stderr, '');

  // Codex found through npm's wrapper is the native binary it would start; HTTP is checked when given.
  const npmWrapper = path.join(TESTS_DIR, 'node_modules', '.bin', 'codex');
  const viaNpm = await doctor(t, ctx, { args: ['--codex-bin', npmWrapper, '--state-dir', ctx.stateDir, '--http', '127.0.0.1:0'] });
  assert.equal(viaNpm.code, 0, viaNpm.stdout);
  assert.match(line(viaNpm, 'Codex 0.169.0'), /\(npm's wrapper seen through: the native binary it would start\)$/);
  assert.match(line(viaNpm, 'HTTP:'), /^✔ HTTP: 127\.0\.0\.1:0: the server will take a free port$/);
  assert.match(line(viaNpm, 'HTTP authentication'), /^✔ HTTP authentication: none \(loopback only\)$/);
});

test('Codex missing: ✘ with where it looked and how to install it', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const gone = await doctor(t, ctx, { args: ['--codex-bin', path.join(ctx.root, 'no-codex'), '--state-dir', ctx.stateDir] });
  assert.equal(gone.code, 1);
  assert.match(line(gone, '✘ Codex'), /^✘ Codex: cannot run Codex at .*no-codex: No such file or directory$/);
  assert.match(gone.stdout, /^ {2}fix: install Codex \(npm install -g @openai\/codex\), or pass --codex-bin PATH/m);
  assert.match(gone.stdout, /1 problem\(s\): a codex call would not work here/);

  // Not on PATH either, with no --codex-bin.
  const emptyBin = path.join(ctx.root, 'empty-bin');
  fs.mkdirSync(emptyBin);
  const none = await doctor(t, ctx, { args: ['--state-dir', ctx.stateDir], env: { PATH: emptyBin }, drop: ['CODEX_BIN'] });
  assert.equal(none.code, 1);
  assert.match(line(none, '✘ Codex'), /^✘ Codex: Codex was not found on PATH/);
});

test('Codex too old: ✘ with its version and the one needed', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const old = path.join(ctx.root, 'old-codex');
  fs.writeFileSync(old, '#!/bin/sh\necho "codex-cli 0.100.0"\n', { mode: 0o755 });
  const r = await doctor(t, ctx, { args: ['--codex-bin', old, '--state-dir', ctx.stateDir] });
  assert.equal(r.code, 1);
  assert.match(line(r, 'Codex 0.100.0'), /^✘ Codex 0\.100\.0 at .*old-codex is too old: codex-mcp needs 0\.153\.4 or newer$/);
  assert.match(r.stdout, /fix: npm install -g @openai\/codex@latest, or pass --codex-bin a newer one/);
  // What needs a working Codex is not claimed either way; the rest is still checked.
  assert.doesNotMatch(r.stdout, /backend:|authentication:|sandbox:/);
  assert.match(line(r, 'state directory:'), /^✔/);
});

test('no login: ✘ naming what is missing, never a value', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  // Codex's own provider, with no login and no key.
  const home = path.join(ctx.root, 'bare-codex-home');
  fs.mkdirSync(home);
  const r = await doctor(t, ctx, { env: { CODEX_HOME: home } });
  assert.equal(r.code, 1, r.stdout);
  assert.match(line(r, 'authentication:'), /^✘ authentication: none: Codex is not logged in, and neither OPENAI_API_KEY nor CODEX_API_KEY is set$/);
  assert.match(r.stdout, /fix: codex login/);
  // An API key in the environment is enough, and is only said to be set.
  const keyed = await doctor(t, ctx, { env: { CODEX_HOME: home, OPENAI_API_KEY: SECRET } });
  assert.equal(keyed.code, 0, keyed.stdout);
  assert.match(line(keyed, 'authentication:'), /^✔ authentication: the API key in \$OPENAI_API_KEY: set$/);
  // A custom provider whose env_key is not set.
  const unset = await doctor(t, ctx, { drop: ['MOCK_KEY'], env: {} });
  assert.equal(unset.code, 1, unset.stdout);
  assert.match(line(unset, 'authentication:'), /^✘ authentication: the provider "mock" .* with its key in \$MOCK_KEY: not set$/);
  assert.match(unset.stdout, /fix: set MOCK_KEY in the server's environment, or pass --env MOCK_KEY=\.\.\./);
  // --env gives it as the server would.
  const given = await doctor(t, ctx, { drop: ['MOCK_KEY'], env: {}, args: [...ctx.serverCommand().args, '--env', `MOCK_KEY=${SECRET}`] });
  assert.equal(given.code, 0, given.stdout);
});

test('an older Codex whose `login status` dies of a signal: not logged in', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const fake = path.join(ctx.root, 'crashing-codex');
  // New enough, without app-server (so `codex login status` is asked), and that crashes.
  fs.writeFileSync(fake, [
    '#!/bin/sh',
    'case "$1" in',
    '  --version) echo "codex-cli 9.0.0" ;;',
    '  app-server) exit 2 ;;',
    '  login) kill -KILL $$ ;;',
    'esac',
    '',
  ].join('\n'), { mode: 0o755 });
  const r = await doctor(t, ctx, { args: ['--codex-bin', fake, '--state-dir', ctx.stateDir] });
  assert.equal(r.code, 1, r.stdout);
  assert.match(line(r, 'authentication:'), /^✘ authentication: not logged in/);
});

test('--http where something listens already: ✘ "in use", with the likely reason', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const busy = net.createServer();
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const where = `127.0.0.1:${busy.address().port}`;
  const r = await doctor(t, ctx, { args: ['--state-dir', ctx.stateDir, '--http', where] });
  assert.equal(r.code, 1, r.stdout);
  assert.equal(line(r, 'HTTP:'), `✘ HTTP: --http ${where}: in use (is a server already running there?)`);
});

test('--store: a missing directory is ✘; a libpq keyword string shows no password', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const missing = await doctor(t, ctx, { args: ['--state-dir', ctx.stateDir, '--store', `sqlite:${ctx.root}/no/such/dir/db`] });
  assert.equal(missing.code, 1, missing.stdout);
  assert.match(line(missing, 'database:'), /^✘ database: no directory for the database .*no\/such\/dir\/db/);
  const password = 'pg-password-never-shown-42';
  const keyword = await doctor(t, ctx, { args: ['--state-dir', ctx.stateDir, '--store', `host=nowhere password=${password}`] });
  assert.ok(!keyword.stdout.includes(password) && !keyword.stderr.includes(password), `the password was shown:\n${keyword.stdout}${keyword.stderr}`);
  assert.match(line(keyword, 'database:'), /password=\[redacted\]/);
});

test('an unwritable state directory: ✘ with the reason, and exit 1', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  // A file where a directory should be: nobody can make the state directory.
  const file = path.join(ctx.root, 'a-file');
  fs.writeFileSync(file, '');
  const blocked = await doctor(t, ctx, { args: [...ctx.serverCommand().args, '--state-dir', path.join(file, 'state')] });
  assert.equal(blocked.code, 1);
  assert.match(line(blocked, 'state directory:'), /^✘ state directory: .*a-file\/state cannot be used: .*a-file is not a directory$/);
  assert.match(blocked.stdout, /fix: pass --state-dir a directory the server may own/);

  // A directory of its own the user may not write in. Root writes anywhere: the check then runs
  // as another user, whose directory it is.
  const ro = path.join(ctx.root, 'read-only');
  fs.mkdirSync(ro, { mode: 0o500 });
  let opts;
  if (process.getuid() === 0) {
    fs.chmodSync(ctx.root, 0o755);
    fs.chownSync(ro, 65534, 65534);
    opts = { uid: 65534, gid: 65534 };
  }
  const r = await doctor(t, ctx, { args: ['--codex-bin', codexBin(), '--state-dir', ro], opts });
  assert.equal(r.code, 1, r.stdout);
  assert.match(line(r, 'state directory:'), /^✘ state directory: .*read-only cannot be written: Permission denied$/);
  assert.match(r.stdout, /fix: pass --state-dir a directory the server may write in/);
});

test('options the server would refuse at start: each a ✘ with its fix', { timeout: TIMEOUT }, async (t) => {
  const ctx = await createContext(t);
  const missing = path.join(ctx.root, 'missing');
  const r = await doctor(t, ctx, { args: [...ctx.serverCommand().args, '--tools', 'bogus', '--agent-cwd', missing, '--allow-dir', missing] });
  assert.equal(r.code, 1, r.stdout);
  assert.match(line(r, '✘ --tools'), /^✘ --tools bogus: unknown tool or set "bogus"$/);
  assert.match(line(r, 'runs work in'), /^✘ runs work in .*missing: No such file or directory$/);
  assert.match(line(r, '✘ --allow-dir'), /^✘ --allow-dir .*missing: No such file or directory$/);
  assert.match(line(r, 'sandbox:'), /^✔/);
  assert.match(r.stdout, /\n3 problem\(s\)/);
});
