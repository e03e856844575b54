/**
 * `threds dev` (npm start): the whole stack in one command. Without TEMPORAL_ADDRESS / MONGO_URL it runs the embedded
 * Temporal dev server (SQLite file under .data/, Web UI on :8233) and FerretDB (data under .data/); then the thred
 * worker, the built-in agents and the gateway. Ctrl-C stops everything it started, in order; data survives restarts.
 */
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { connectTemporal } from '../../gateway/temporal-connection';
import { loadConfig } from '../config';
import {
  portInUse,
  startMongo,
  startTemporal,
  stopAll,
  waitForMongo,
  waitForTemporal,
  type ServerProcess,
} from '../stack';
import { openStore } from '../../store';
import { loadDirectory } from '../../store/directory';
import { engineSettings } from '../settings';
import { connectWorkerTemporal, createThredWorker } from '../worker';
import { httpPusher } from '../../activities';
import { internalToken } from '../internal-token';
import { startGateway } from '../gateway';
import { startAgentWorkers } from '../agents';
import { seed } from '../seed';
import { formatCredentials, seedDemo } from '../demo-seed';
import { startProcessTelemetry } from '../../telemetry/process';
import { temporalClientInterceptors } from '../../telemetry/tracing';

// Ports of the embedded servers; overridable so a test can run a second stack beside a developer's.
const TEMPORAL_PORT = Number(process.env.THREDS_TEMPORAL_PORT ?? 7233);
const TEMPORAL_UI_PORT = Number(process.env.THREDS_TEMPORAL_UI_PORT ?? 8233);
const MONGO_PORT = Number(process.env.THREDS_MONGO_PORT ?? 27017);

export async function run(_argv: string[]): Promise<number> {
  const embedTemporal = !process.env.TEMPORAL_ADDRESS;
  const embedMongo = !process.env.MONGO_URL;
  const config = loadConfig();
  // Temporal's runtime, one /metrics for the worker and agents of this process (THREDS_METRICS_PORT), tracing.
  const telemetry = await startProcessTelemetry('dev');
  const servers: ServerProcess[] = [];
  const stops: (() => Promise<void>)[] = [telemetry.close];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      console.log('\n[threds] stopping…');
      for (const s of stops.reverse()) await s().catch((err: unknown) => console.error(String(err)));
      await stopAll(servers);
      console.log('[threds] stopped');
    })());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  try {
    if (embedTemporal) {
      if (await portInUse(TEMPORAL_PORT))
        throw new Error(
          `port ${TEMPORAL_PORT} is in use: is another Threds or Temporal running? Set TEMPORAL_ADDRESS to use it.`,
        );
      const dataDir = join(config.dataDir, 'temporal');
      servers.push(
        startTemporal({
          port: TEMPORAL_PORT,
          uiPort: TEMPORAL_UI_PORT,
          dbFile: join(dataDir, 'temporal.sqlite'),
          dataDir,
        }),
      );
      config.temporalAddress = `127.0.0.1:${TEMPORAL_PORT}`;
    }
    if (embedMongo) {
      if (await portInUse(MONGO_PORT))
        throw new Error(`port ${MONGO_PORT} is in use: set MONGO_URL to use that server.`);
      servers.push(startMongo({ port: MONGO_PORT, dataDir: join(config.dataDir, 'mongo') }));
      config.mongoUrl = `mongodb://127.0.0.1:${MONGO_PORT}`;
    }
    console.log('[threds] waiting for Temporal and MongoDB…');
    await Promise.all([
      waitForTemporal(
        config.temporalAddress,
        servers.find((s) => s.name === 'temporal'),
      ),
      waitForMongo(
        config.mongoUrl,
        servers.find((s) => s.name === 'ferretdb'),
      ),
    ]);

    const { store, client: mongo } = await openStore(config.mongoUrl, config.mongoDb);
    stops.push(() => mongo.close());
    const directory = loadDirectory(config.configDir);
    const settings = engineSettings(directory);
    await seed({ store, config });
    // The demo (issue 7): participants with printed credentials, ContactInfo, uav_detect active. THREDS_DEMO=0 skips it.
    const demo = process.env.THREDS_DEMO === '0' ? { credentials: [] } : await seedDemo({ store, config });

    const nativeConnection = await connectWorkerTemporal(config);
    stops.push(() => nativeConnection.close());
    const connection = await connectTemporal(config.temporalAddress, config);
    stops.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: config.temporalNamespace,
      interceptors: temporalClientInterceptors(),
    });
    const token = internalToken(config.jwtSecret);

    const worker = await createThredWorker({
      connection: nativeConnection,
      namespace: config.temporalNamespace,
      store,
      directory,
      push: httpPusher(token),
    });
    const workerRun = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await workerRun;
    });

    const agents = await startAgentWorkers({
      connection: nativeConnection,
      namespace: config.temporalNamespace,
      store,
      directory,
      mongoUrl: config.mongoUrl,
    });
    stops.push(() => agents.shutdown());

    const gateway = await startGateway({ config, store, client, directory, settings, internalToken: token });
    stops.push(() => gateway.close());

    console.log(
      [
        '',
        '[threds] ready',
        `  console      ${gateway.url}/`,
        `  gateway      ${gateway.url}   (GET /health, /docs, WebSocket /ws)`,
        embedTemporal
          ? `  Temporal UI  http://localhost:${TEMPORAL_UI_PORT}`
          : `  Temporal     ${config.temporalAddress}`,
        `  MongoDB      ${config.mongoUrl}/${config.mongoDb}`,
        `  data         ${config.dataDir}`,
        ...(demo.credentials.length > 0
          ? ['  demo logins:', ...formatCredentials(demo.credentials, Boolean(config.adminPassword))]
          : []),
        '  Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
    await Promise.race([workerRun, new Promise<void>((r) => process.once('SIGINT', r).once('SIGTERM', r))]);
    await stop();
    return 0;
  } catch (err) {
    console.error(`[threds] ${err instanceof Error ? err.message : String(err)}`);
    await stop();
    return 1;
  }
}
