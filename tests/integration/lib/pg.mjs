// A real PostgreSQL for a test: tests/pg/cluster.sh makes and starts one in a directory of its
// own (as an unprivileged user), and the test's cleanup stops and removes it.
//
//   const pg = await startPostgres(t);   // pg.url (the admin database), pg.database(name)
//   await pg.restart();                  // a fast stop and a start on the same port
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './harness.mjs';

const CLUSTER = path.join(REPO_ROOT, 'tests', 'pg', 'cluster.sh');

export async function startPostgres(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-mcp-pg-it-'));
  fs.rmSync(dir, { recursive: true });
  const url = execFileSync(CLUSTER, ['start', dir], { encoding: 'utf8' }).trim();
  const pg = {
    dir,
    url,
    /** Runs SQL on the admin database with psql; returns its unaligned output. */
    sql(query, db = 'postgres') {
      return execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', pg.urlOf(db), '-c', query], { encoding: 'utf8' }).trim();
    },
    urlOf(db) { return url.replace(/\/[^/]*$/, `/${db}`); },
    /** A new, empty database; its URL. */
    database(name) {
      pg.sql(`CREATE DATABASE ${name}`);
      return pg.urlOf(name);
    },
    restart() { execFileSync(CLUSTER, ['restart', dir], { stdio: 'ignore' }); },
    down() { execFileSync(CLUSTER, ['down', dir], { stdio: 'ignore' }); },
    up() { execFileSync(CLUSTER, ['up', dir], { stdio: 'ignore' }); },
    stop() { execFileSync(CLUSTER, ['stop', dir], { stdio: 'ignore' }); },
  };
  t.after(() => pg.stop());
  return pg;
}
