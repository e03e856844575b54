/**
 * How the cluster runs its server binaries (from scripts/install-tools.sh, in .tools/bin) and stops them and the
 * Threds processes: the embedded stack's launcher, with the cluster's own set-up hint and stop signal.
 */
import { requireTool, stopAll, type ServerProcess } from '../stack';

export { launch } from '../stack';

/** The cluster's binaries come from install-tools.sh alone: no external servers stand in for them. */
export function tool(name: string): string {
  return requireTool(name, ': run `bash scripts/install-tools.sh` (needs Go).');
}

/** SIGTERM, as a container runtime stops its services, in reverse start order; SIGKILL after the grace time. */
export async function stopProcesses(
  processes: Pick<ServerProcess, 'name' | 'child'>[],
  graceMs = 15_000,
): Promise<void> {
  await stopAll(processes, graceMs, 'SIGTERM');
}
