/**
 * The whole stack in-process for the console's end-to-end tests, on the servers `threds test` started: startEngine
 * (own database and thred task queue), a thred worker that pushes to the gateway, the built-in agents (persistence on
 * a task queue of this file's own), the gateway with the web console plugin, and the demo seed.
 */
import { randomBytes } from 'node:crypto';
import { startEngine, type TestEngine } from '../helpers/engine';
import { uniqueName } from '../helpers/servers';
import { loadConfig, type Config } from '../../bin/config';
import { loadDirectory, type Directory } from '../../store/directory';
import { engineSettings } from '../../bin/settings';
import { createThredWorker } from '../../bin/worker';
import { internalToken } from '../../bin/internal-token';
import { httpPusher } from '../../activities';
import { seedDemo, type DemoCredentials } from '../../bin/demo-seed';
import { signAccessToken } from '../../gateway/tokens';

export interface ConsoleStack {
  url: string;
  engine: TestEngine;
  config: Config;
  credentials: DemoCredentials[];
  password(participantId: string): string;
  /** An access token for a non-human participant (the sensor), as `threds token` mints it. */
  token(participantId: string, roles?: string[]): string;
  close(): Promise<void>;
}

type Closer = () => Promise<unknown>;

export async function startConsoleStack(label: string): Promise<ConsoleStack> {
  const closers: Closer[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => console.error('[e2e] close:', err));
  };
  try {
    const engine = await startEngine(label, { patterns: [] });
    closers.push(() => engine.close());
    const s = engine.s;

    // Isolation: this file's own persistence queue and data database (the shared servers serve other files too).
    const dataDb = uniqueName(`d_${label}`);
    const base = loadDirectory();
    const directory: Directory = {
      ...base,
      agents: base.agents.map((a) => ({
        ...a,
        taskQueue: uniqueName(`aq_${label}`),
        options: { ...a.options, dbname: dataDb },
      })),
    };
    const settings = engineSettings(directory, {});
    const config: Config = {
      ...loadConfig({
        ...process.env,
        THREDS_JWT_SECRET: randomBytes(24).toString('base64url'),
        THREDS_ADMIN_PASSWORD: '',
        LOG_LEVEL: 'warn',
      }),
      temporalAddress: s.address,
      temporalNamespace: s.namespace,
      mongoUrl: s.mongoUrl,
      mongoDb: s.dbName,
      port: 0,
      taskQueue: s.taskQueue,
    };
    delete config.adminPassword;
    const token = internalToken(config.jwtSecret);

    // startEngine's thred worker does not push to gateways: replace it by one that does.
    await engine.stopThredWorker();
    const worker = await createThredWorker({
      connection: engine.connection,
      namespace: s.namespace,
      store: engine.store,
      directory,
      taskQueue: s.taskQueue,
      push: httpPusher(token),
    });
    const running = worker.run();
    closers.push(async () => {
      worker.shutdown();
      await running;
    });

    const { startAgentWorkers } = await import('../../bin/agents');
    const agents = await startAgentWorkers({
      connection: engine.connection,
      namespace: s.namespace,
      store: engine.store,
      directory,
      mongoUrl: s.mongoUrl,
    });
    closers.push(() => agents.shutdown());

    const { credentials } = await seedDemo({ store: engine.store, config, dataDb });
    closers.push(() => s.mongo.db(dataDb).dropDatabase());

    const { startGateway } = await import('../../bin/gateway');
    const gateway = await startGateway({
      config,
      store: engine.store,
      client: s.client,
      directory,
      settings,
      internalToken: token,
      host: '127.0.0.1',
    });
    closers.push(() => gateway.close());

    return {
      url: gateway.url.replace(/\/$/, ''),
      engine,
      config,
      credentials,
      password(id) {
        const c = credentials.find((x) => x.participantId === id);
        if (!c) throw new Error(`no demo credentials for ${id}`);
        return c.password;
      },
      token: (id, roles = []) =>
        signAccessToken(config.jwtSecret, { participantId: id, roles, ttlMs: 3_600_000 }).token,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
