/** What every phase of `npm run bench` is given, and the options it runs with. */
import type { Client } from '@temporalio/client';
import type { Post, Threds } from '../harness/threds';
import type { WsClient } from '../harness/ws-client';

export interface BenchOptions {
  durationMs: number;
  concurrency: number;
  idleThreds: number;
  longEvents: number;
  /** Directory for V8 CPU profiles of the worker and the gateway (written when they exit), or none. */
  profileDir?: string;
}

/** Runs `fn` as a named phase of the CPU profile (bench/profile.ts). */
export type Phase = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

export interface BenchContext {
  opts: BenchOptions;
  phase: Phase;
}

/** For the phases that drive Threds: the worker and gateway up, a sensor posting, a client listening. */
export interface ThredsContext extends BenchContext {
  client: Client;
  threds: Threds;
  /** Posts as `bench_sensor`. */
  post: Post;
  /** Listens as `bench_client`, to whom the bench patterns publish. */
  ws: WsClient;
}
