/**
 * `threds gateway`: the HTTP/WebSocket gateway alone (scale out by running more behind a load balancer; sessions are
 * registered in the store, so workers push to whichever instance holds a participant's socket).
 */
import { Client } from '@temporalio/client';
import { connectTemporal } from '../../gateway/temporal-connection';
import { loadConfig } from '../config';
import { openStore } from '../../store';
import { loadDirectory } from '../../store/directory';
import { engineSettings } from '../settings';
import { internalToken } from '../internal-token';
import { startGateway } from '../gateway';
import { initTracing, temporalClientInterceptors } from '../../telemetry/tracing';
import { announce } from '../../telemetry/process';

export async function run(_argv: string[]): Promise<number> {
  const config = loadConfig();
  const { store, client: mongo } = await openStore(config.mongoUrl, config.mongoDb);
  const connection = await connectTemporal(config.temporalAddress, config);
  initTracing('threds-gateway'); // before the Client, so its starts and signals are traced (SPEC §13)
  const client = new Client({
    connection,
    namespace: config.temporalNamespace,
    interceptors: temporalClientInterceptors(),
  });
  const directory = loadDirectory(config.configDir);
  const gateway = await startGateway({
    config,
    store,
    client,
    directory,
    settings: engineSettings(directory),
    internalToken: internalToken(config.jwtSecret),
  });
  announce(
    gateway.app.log,
    { url: gateway.url },
    `gateway listening on ${gateway.url} (GET /health, /docs, WebSocket /ws)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.close();
  await connection.close();
  await mongo.close();
  return 0;
}
