// Running the operator commands (codex-mcp doctor, tasks, show, logs) as a person would.
import { spawn } from 'node:child_process';
import { serverBin, waitFor } from './harness.mjs';

/**
 * Starts `codex-mcp <args>`; returns { child, out(), err(), exited } where exited resolves to
 * { code, signal, stdout, stderr }. The child is killed when the test ends.
 */
export function startCli(t, args, { env = {}, uid, gid } = {}) {
  const child = spawn(serverBin(), args, { env, stdio: ['ignore', 'pipe', 'pipe'], uid, gid });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  return {
    child, exited,
    out: () => stdout,
    err: () => stderr,
    /** Waits until stdout matches re. */
    waitOut: (re, what, timeoutMs = 30_000) => waitFor(() => re.test(stdout), { timeoutMs, what: `${what}; stdout so far:\n${stdout}\nstderr:\n${stderr}` }),
  };
}

/** Runs `codex-mcp <args>` to its end. */
export function runCli(t, args, opts) {
  return startCli(t, args, opts).exited;
}
