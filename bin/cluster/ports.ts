/**
 * The cluster's listening ports: the fixed set of `npm run cluster`, or free ones for the suites and for a cluster
 * beside a running dev stack.
 */
import { freePort, portInUse } from '../stack';

export interface ClusterPorts {
  postgres: number;
  /** Temporal frontend gRPC (what clients use). */
  temporal: number;
  temporalHttp: number;
  temporalHistory: number;
  temporalMatching: number;
  temporalWorker: number;
  /** Ringpop membership ports of frontend, history, matching, worker. */
  temporalMembership: [number, number, number, number];
  temporalMetrics: number;
  ui: number;
  mongo: number;
  gateways: number[];
  /** THREDS_METRICS_PORT of each worker and agent process, in start order. */
  metrics: number[];
}

/** `npm run cluster`: the ports of the dev stack and of Temporal's own development config. */
export const DEFAULT_CLUSTER_PORTS: ClusterPorts = {
  postgres: 5433, // not 5432: a system PostgreSQL may hold it
  temporal: 7233,
  temporalHttp: 7243,
  temporalHistory: 7234,
  temporalMatching: 7235,
  temporalWorker: 7239,
  temporalMembership: [6933, 6934, 6935, 6939],
  temporalMetrics: 7244,
  ui: 8233,
  mongo: 27017,
  gateways: [3000, 3001],
  metrics: [9464, 9465, 9466, 9467, 9468, 9469, 9470, 9471],
};

/** Distinct free ports for every server (tests, and a cluster beside a running dev stack). */
export async function freeClusterPorts(gateways = 2): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  // Temporal stores membership ports in a smallint column: they must be below 32768, under the ephemeral range.
  const low = async (): Promise<number> => {
    for (;;) {
      const p = 20_000 + Math.floor(Math.random() * 12_000);
      if (!taken.has(p) && !(await portInUse(p))) {
        taken.add(p);
        return p;
      }
    }
  };
  return {
    postgres: await next(),
    temporal: await next(),
    temporalHttp: await next(),
    temporalHistory: await next(),
    temporalMatching: await next(),
    temporalWorker: await next(),
    temporalMembership: [await low(), await low(), await low(), await low()],
    temporalMetrics: await next(),
    ui: await next(),
    mongo: await next(),
    gateways: await Promise.all(Array.from({ length: gateways }, next)),
    metrics: await Promise.all(Array.from({ length: 8 }, next)),
  };
}
