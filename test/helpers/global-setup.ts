/**
 * Integration suites need real servers. `npm test` (bin/commands/test.ts) starts them and passes their addresses;
 * running vitest directly without them is a setup mistake, reported here once instead of as N timeouts.
 */
import { workflowBundle } from '../../bin/bundle';
import { waitForMongo, waitForTemporal } from '../../bin/stack';
import { ensureWebBuilt } from '../../web/build';

export default async function setup(): Promise<void> {
  const { TEMPORAL_ADDRESS, MONGO_URL } = process.env;
  if (!TEMPORAL_ADDRESS || !MONGO_URL) {
    throw new Error('Integration tests need TEMPORAL_ADDRESS and MONGO_URL: run them with `npm test`.');
  }
  await Promise.all([waitForTemporal(TEMPORAL_ADDRESS, undefined, 30_000), waitForMongo(MONGO_URL, undefined, 30_000)]);
  // Built once here: otherwise every test file that starts a worker bundles the workflows at the same moment, and
  // the CPU spike makes timing-sensitive tests flaky.
  await workflowBundle();
  // The gateway serves web/dist and never builds it; a suite run straight after editing web/src gets a fresh one.
  await ensureWebBuilt();
}
