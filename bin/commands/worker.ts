/**
 * `threds worker`: one thred worker process (scale out by running more). Ctrl-C / SIGTERM drain it gracefully:
 * in-flight workflow tasks finish, activities get shutdownGraceTime. Refuses to start (exit 1) on a namespace without
 * the thred search attributes, naming `threds setup`.
 */
import { loadConfig } from '../config';
import { openStore } from '../../store';
import { loadDirectory } from '../../store/directory';
import { connectWorkerTemporal, createThredWorker, SearchAttributesMissing } from '../worker';
import { httpPusher } from '../../activities';
import { internalToken } from '../internal-token';
import { announce, startProcessTelemetry } from '../../telemetry/process';

export async function run(_argv: string[]): Promise<number> {
  const config = loadConfig();
  const telemetry = await startProcessTelemetry('worker'); // Temporal's runtime, /metrics, tracing
  const { store, client } = await openStore(config.mongoUrl, config.mongoDb);
  const connection = await connectWorkerTemporal(config);
  try {
    const worker = await createThredWorker({
      connection,
      namespace: config.temporalNamespace,
      store,
      directory: loadDirectory(config.configDir),
      taskQueue: config.taskQueue,
      push: httpPusher(internalToken(config.jwtSecret)),
    });
    const stop = () => worker.shutdown();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    announce(
      telemetry.log,
      { taskQueue: config.taskQueue, temporalAddress: config.temporalAddress },
      `worker polling task queue "${config.taskQueue}" on ${config.temporalAddress}`,
    );
    await worker.run();
    return 0;
  } catch (err) {
    if (!(err instanceof SearchAttributesMissing)) throw err;
    console.error(`[threds] worker not started: ${err.message}`);
    return 1;
  } finally {
    await connection.close();
    await client.close();
    await telemetry.close();
  }
}
