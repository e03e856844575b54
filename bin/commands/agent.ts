/**
 * `threds agent <nodeType…>`: runs the named agents (from THREDS_CONFIG_DIR/agents.json) in this process, e.g. to
 * scale the persistence agent separately from `npm start`. No nodeType = every agent with an implementation.
 * Ctrl-C / SIGTERM stop polling and give in-flight calls the grace time to finish.
 */
import { loadConfig } from '../config';
import { openStore } from '../../store';
import { loadDirectory } from '../../store/directory';
import { announce, startProcessTelemetry } from '../../telemetry/process';
import { startAgentWorkers } from '../agents';
import { connectWorkerTemporal } from '../worker';

export async function run(argv: string[]): Promise<number> {
  const config = loadConfig();
  const directory = loadDirectory(config.configDir);
  const only = argv.filter((a) => !a.startsWith('-'));
  // Temporal's runtime (without signal handlers: ours stop the agents), /metrics, tracing.
  const telemetry = await startProcessTelemetry('agents');
  const { store, client } = await openStore(config.mongoUrl, config.mongoDb);
  const connection = await connectWorkerTemporal(config);
  try {
    const agents = await startAgentWorkers({
      connection,
      namespace: config.temporalNamespace,
      store,
      directory,
      mongoUrl: config.mongoUrl,
      ...(only.length > 0 && { only }),
    });
    if (agents.started.length === 0) {
      console.error('[threds] no agent to run (see the log lines above)');
      return 1;
    }
    const stop = () => void agents.shutdown();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    announce(
      telemetry.log,
      { agents: agents.started, temporalAddress: config.temporalAddress },
      `agents ${agents.started.join(', ')} polling on ${config.temporalAddress}`,
    );
    await agents.running;
    return 0;
  } finally {
    await connection.close();
    await client.close();
    await telemetry.close();
  }
}
