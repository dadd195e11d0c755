// A throwaway PostgreSQL cluster for the server tests and the bench: initdb into a temporary
// directory, start it on a free port on 127.0.0.1, stop and delete it at the end. PostgreSQL refuses
// to run as root, so as root the cluster belongs to `nobody`.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The directory of initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else the PATH. */
export function postgresBin() {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'pg_ctl')) ? process.env.PG_BIN : undefined;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  return which.status === 0 ? join(which.stdout.trim(), '..') : undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a cluster; `url(db)` is a connection URL, `createDatabase(name)` makes a fresh one, `stop()` removes it all. */
export async function startCluster() {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (no pg_ctl): apt-get install -y postgresql, or set PG_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'trace-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const nobody = 65534;
  if (asRoot) {
    chmodSync(dir, 0o755);
    chownSync(dir, nobody, nobody);
  }
  const run = (program, args) => {
    const command = asRoot ? 'setpriv' : join(bin, program);
    const argv = asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', join(bin, program), ...args] : args;
    return execFileSync(command, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log.txt'), '-o', options, '-w', '-t', '60', 'start']);
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let counter = 0;
  return {
    port,
    url,
    /** A new empty database; returns its URL. */
    async createDatabase(prefix = 'trace') {
      const name = `${prefix}_${process.pid}_${++counter}`;
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
