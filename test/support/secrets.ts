// Secret families and structural ids for the redaction tests. Fake secrets are assembled at run
// time, so no secret-shaped literal sits in the repository; each is unique, so a leak is found by a
// plain search of the published text.

/** A deterministic run of `n` characters of `alphabet`, different for each seed. */
export function fake(n: number, seed: number, alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'): string {
  let state = (seed * 2654435761) >>> 0 || 1;
  let out = '';
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

const HEX = '0123456789abcdef';
const join = (...parts: string[]): string => parts.join('');

export interface SecretCase {
  family: string;
  /** The secret itself: it must not reach the remote in any form. */
  secret: string;
  /** How a person types it. */
  text: string;
}

/** Every family the redaction must find by its context, with the shapes people type. */
export function secretCases(): SecretCase[] {
  const cases: SecretCase[] = [];
  const add = (family: string, secret: string, text: string): void => {
    cases.push({ family, secret, text });
  };
  let seed = 100;
  const pw = (n = 14): string => `${fake(n - 2, seed++)}9!`;
  let s: string;

  s = pw();
  add('mysql -pSECRET', s, `mysql -h db.internal -u root -p${s} shop < dump.sql`);
  s = pw();
  add('mysqldump -pSECRET', s, `mysqldump -uadmin -p${s} --all-databases > all.sql`);
  s = pw();
  add('sshpass -p SECRET', s, `sshpass -p ${s} ssh deploy@host`);
  s = pw();
  add('--password=SECRET', s, `psql --password=${s} -h db`);
  s = pw();
  add('--password SECRET', s, `redis-cli --pass ${s} -h cache`);
  s = pw();
  add('curl -u user:SECRET', s, `curl -u admin:${s} https://jenkins.example.com/api/json`);
  s = pw();
  add('curl --user user:SECRET', s, `curl -s --user "ci-bot:${s}" https://nexus.example.com/repository/`);
  s = pw();
  add('docker login -p SECRET', s, `docker login -u robot -p ${s} registry.example.com`);
  s = pw();
  add('docker login --password SECRET', s, `echo ok && docker login --username robot --password ${s} ghcr.io`);
  s = pw();
  add('openssl -passout pass:SECRET', s, `openssl pkcs12 -export -in cert.pem -inkey key.pem -out bundle.p12 -passout pass:${s}`);
  s = pw();
  add('openssl -passin pass:SECRET', s, `openssl rsa -in enc.key -passin 'pass:${s}' -out plain.key`);
  s = pw();
  add('htpasswd -b', s, `htpasswd -b -c .htpasswd admin ${s}`);
  s = pw();
  add('name: value (yaml)', s, `database:\n  host: db\n  db_password: ${s}\n`);
  s = pw();
  add('name=value (env file)', s, `# .env\nAPP_ENV=production\nSMTP_PASSWORD=${s}\nSMTP_PORT=587\n`);
  s = pw();
  add('export NAME="value"', s, `export DB_PASS="${s}"`);
  s = pw();
  add('name is value (prose)', s, `the staging password is ${s}, please rotate it`);
  s = pw();
  add('the secret is (prose)', s, `The secret is: ${s}`);
  s = fake(32, seed++);
  add('api key is (prose)', s, `My API key is ${s} for the weather service`);
  s = pw();
  add('json password', s, `{"user":"svc","password":"${s}","port":5432}`);
  s = pw();
  add('json-escaped json', s, JSON.stringify(JSON.stringify({ clientSecret: s })));
  s = pw();
  add('url credentials', s, `git remote add origin https://deploy:${s}@git.example.com/org/app.git`);
  s = pw();
  add('url credentials (db)', s, `DATABASE_URL=postgres://app:${s}@db.example.com:5432/app`);
  s = pw();
  add('.netrc one line', s, `machine api.example.com login bob password ${s}`);
  s = pw();
  add('.netrc lines', s, `machine github.com\n  login octocat\n  password ${s}\n`);
  s = Buffer.from(pw()).toString('base64');
  add(
    'kubernetes Secret data',
    s,
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  username: ${Buffer.from('admin').toString('base64')}\n  password: ${s}\n`,
  );
  s = Buffer.from(pw()).toString('base64');
  add('kubernetes Secret data (any key)', s, `kind: Secret\ndata:\n  tls.crt: LS0tLS1CRUdJTg==\n  conn: ${s}\n`);
  s = `${fake(8, seed++, HEX)}-${fake(4, seed++, HEX)}-${fake(4, seed++, HEX)}-${fake(4, seed++, HEX)}-${fake(12, seed++, HEX)}`;
  add('heroku api key (uuid)', s, `HEROKU_API_KEY=${s} heroku apps`);
  s = `${fake(8, seed++, HEX)}-${fake(4, seed++, HEX)}-${fake(4, seed++, HEX)}-${fake(4, seed++, HEX)}-${fake(12, seed++, HEX)}`;
  add('heroku api key (export)', s, `export HEROKU_API_KEY="${s}"`);
  s = join('SG', '.', fake(10, seed++), '-', fake(11, seed++), '.', fake(20, seed++), '_', fake(22, seed++));
  add('sendgrid key', s, `sendgrid key ${s} in use`);
  s = fake(40, seed++, HEX);
  add('bare 40-hex next to a secret name', s, `GITHUB_CLIENT_SECRET ${s}`);
  s = fake(64, seed++, HEX);
  add('bare 64-hex next to a secret name', s, `signing secret: ${s}`);
  s = fake(40, seed++, HEX);
  add('40-hex token in json', s, `{"access_token": "${s}"}`);
  s = join('wJalrXUtnFEMI', '/K7MDENG/', 'bPxRfiCYEXAMPLEKEY');
  add('aws secret key in prose (word-like runs)', s, `the secret is ${s}`);
  s = join(fake(12, seed++), 'Password', fake(8, seed++), 'Token', fake(10, seed++)).slice(0, 40);
  add('aws secret access key in prose', s, `here is my aws secret access key ${s} thanks`);
  s = fake(24, seed++);
  add('high entropy token', s, `use ${s} as the value`);
  return cases;
}

export interface StructuralCase {
  kind: string;
  token: string;
  text: string;
}

/** Ids and hashes that make a session readable and are never secrets. */
export function structuralCases(): StructuralCase[] {
  let seed = 900;
  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const b58 = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789';
  const out: StructuralCase[] = [];
  const add = (kind: string, token: string, text: string): void => {
    out.push({ kind, token, text });
  };
  for (let i = 0; i < 4; i++) {
    const id = `toolu_01${fake(22, seed++, b58)}`;
    add('claude tool-use id', id, `{"type":"tool_result","tool_use_id":"${id}","content":"ok"}`);
  }
  const srv = `srvtoolu_01${fake(22, seed++, b58)}`;
  add('claude server tool-use id', srv, `"id": "${srv}"`);
  const msg = `msg_01${fake(22, seed++, b58)}`;
  add('message id', msg, `"message":{"id":"${msg}","role":"assistant"}`);
  const req = `req_011C${fake(20, seed++, b58)}`;
  add('request id', req, `"requestId":"${req}"`);
  const uuid = `${fake(8, seed++, HEX)}-${fake(4, seed++, HEX)}-4${fake(3, seed++, HEX)}-a${fake(3, seed++, HEX)}-${fake(12, seed++, HEX)}`;
  add('session uuid', uuid, `"sessionId":"${uuid}","parentUuid":"${uuid}"`);
  const sri = `sha512-${fake(86, seed++, b64)}==`;
  add('npm integrity', sri, `"integrity": "${sri}"`);
  const sri256 = `sha256-${fake(43, seed++, b64)}=`;
  add('SRI hash', sri256, `<script src="x.js" integrity="${sri256}"></script>`);
  const h1 = `h1:${fake(43, seed++, b64)}=`;
  add('go module sum', h1, `github.com/pkg/errors v0.9.1 ${h1}`);
  const gosum = `h1:${fake(43, seed++, b64)}=`;
  add('go.mod sum', gosum, `golang.org/x/sys v0.1.0/go.mod ${gosum}`);
  const commit = fake(40, seed++, HEX);
  add('git commit sha', commit, `git show ${commit}`);
  const blob = fake(40, seed++, HEX);
  add('git blob id', blob, `"blob": "${blob}"`);
  const short = fake(12, seed++, HEX);
  add('abbreviated sha', short, `commit ${short} (HEAD -> main)`);
  const digest = `sha256:${fake(64, seed++, HEX)}`;
  add('image digest', digest, `FROM node@${digest}`);
  const image = fake(120, seed++, b64);
  add('base64 image data', image, `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"${image}"}}`);
  const dataUrl = `data:image/png;base64,${fake(96, seed++, b64)}`;
  add('data url', dataUrl, `<img src="${dataUrl}">`);
  const tmp = `/var/folders/q8/${fake(26, seed++, 'abcdefghijklmnopqrstuvwxyz0123456789_')}0000gn/T/trace-${fake(6, seed++, b58)}`;
  add('macOS temp dir', tmp, `cd ${tmp} && ls`);
  const tmp2 = `/tmp/claude-${fake(8, seed++, HEX)}/${fake(24, seed++, b58)}`;
  add('tmp path', tmp2, `wrote ${tmp2}/out.json`);
  const repoPath = `test/fixtures/${fake(24, seed++, b58)}.json`;
  add('repository path', repoPath, `Read ${repoPath}`);
  return out;
}
