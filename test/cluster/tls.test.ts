// Temporal over mutual TLS (SPEC §13 TEMPORAL_TLS_CERT / _KEY / _CA): the real Temporal server with a frontend that
// requires client certificates signed by a test CA (made here with openssl), `threds setup`, a worker, the agents and
// a gateway connecting with the variables alone; a client without a certificate is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freeClusterPorts,
  startCluster,
  startClusterServers,
  type Cluster,
  type ClusterPorts,
  type ClusterServers,
} from '../../bin/cluster-stack';
import { loadConfig } from '../../bin/config';
import { projectRoot } from '../../bin/stack';
import { signAccessToken } from '../../gateway/tokens';
import { until } from '../faults/checks';
import { counterPattern } from '../faults/patterns';

const secret = `tls-${randomBytes(16).toString('hex')}`;
const adminToken = signAccessToken(secret, { participantId: 'tls-admin', roles: ['admin'], ttlMs: 3_600_000 }).token;

let dir: string;
let ports: ClusterPorts;
let env: NodeJS.ProcessEnv;
let servers: ClusterServers | undefined;
let cluster: Cluster | undefined;
let logFile: WriteStream;
let failed = false;

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(certDir: string): {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
} {
  const p = (name: string) => join(certDir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certDir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=threds-test-ca',
  );
  writeFileSync(p('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'threds-client'],
  ] as const) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      'san.ext',
    );
  }
  return {
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
  };
}

function threds(
  args: string[],
  extraEnv: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), ...args], {
      cwd: projectRoot,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (b: Buffer) => {
      output += b.toString();
      logFile.write(`[${args[0]}] ${b.toString()}`);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'threds-tls-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root, and must reach its folder
  logFile = createWriteStream(join(dir, 'processes.log'));
  const certs = makeCertificates(mkdtempSync(join(dir, 'certs-')));
  ports = await freeClusterPorts(1);
  const tls = { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca };
  servers = await startClusterServers({
    dir,
    ports,
    namespace: 'threds-tls',
    ui: false,
    tls,
    log: (l) => logFile.write(`[cluster] ${l}\n`),
  });
  env = {
    ...process.env,
    THREDS_DATA_DIR: join(dir, 'data'),
    TEMPORAL_ADDRESS: servers.temporalAddress,
    TEMPORAL_NAMESPACE: 'threds-tls',
    TEMPORAL_TLS_CA: certs.ca,
    TEMPORAL_TLS_CERT: certs.clientCert,
    TEMPORAL_TLS_KEY: certs.clientKey,
    MONGO_URL: servers.mongoUrl,
    MONGO_DB: 'threds_tls',
    THREDS_JWT_SECRET: secret,
    LOG_LEVEL: 'warn',
  };
}, 300_000);

afterAll(async () => {
  if (cluster) await cluster.stop();
  else await servers?.stop();
  logFile?.end();
  if (failed) console.log(`[tls suite] logs kept in ${dir}`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('Temporal over mutual TLS', () => {
  it('without a client certificate the server refuses; with TEMPORAL_TLS_* setup, worker, agents and gateway run a thred', async () => {
    try {
      const noCert = await threds(['setup'], { TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' }, 60_000);
      expect(noCert.code, noCert.output).not.toBe(0);

      const setup = await threds(['setup'], {}, 90_000);
      expect(setup.code, setup.output).toBe(0);
      expect(setup.output).toMatch(/search attributes registered/);

      cluster = await startCluster({
        dir,
        ports,
        config: loadConfig(env),
        servers: servers!,
        workers: 1,
        agents: ['org.wt.persistence'],
        ui: false,
        env: {
          TEMPORAL_TLS_CA: env.TEMPORAL_TLS_CA,
          TEMPORAL_TLS_CERT: env.TEMPORAL_TLS_CERT,
          TEMPORAL_TLS_KEY: env.TEMPORAL_TLS_KEY,
          LOG_LEVEL: 'warn',
        },
        log: (name, line) => logFile.write(`[${name}] ${line}\n`),
      });
      const gw = `http://127.0.0.1:${ports.gateways[0]}`;
      type Answer = { results: { started: string[] }[]; reaction?: string; locals?: { n?: number } };
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(gw + path, {
          method,
          headers: {
            authorization: `Bearer ${adminToken}`,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        return { status: res.status, json: (await res.json()) as Answer };
      };
      expect((await call('PUT', '/patterns/tls_count', counterPattern('tls_count'))).status).toBe(200);
      const open = await call('POST', '/events', { id: 'tls-open-1', type: 'tls_count.open', source: { id: 'x' } });
      expect(open.status, JSON.stringify(open.json)).toBe(202);
      const thredId = open.json.results[0]!.started[0]!;
      expect(await until(async () => (await call('GET', `/threds/${thredId}`)).json.reaction === 'count', 30_000)).toBe(
        true,
      );
      const tick = await call('POST', '/events', {
        id: 'tls-tick-1',
        type: 'tls_count.tick',
        source: { id: 'x' },
        thredId,
      });
      expect(tick.status, JSON.stringify(tick.json)).toBe(202);
      expect(
        await until(async () => (await call('GET', `/threds/${thredId}`)).json.locals?.n === 1, 30_000),
        'the tick applied by the worker over mTLS',
      ).toBe(true);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
