/**
 * The interface an agent implementation offers to the agent runtime (bin/agents.ts), built in or a user module.
 * The runtime owns the Temporal side (worker, activity `handleMessage`, retries, heartbeats) and the reply envelope;
 * an implementation only turns a Message into reply data.
 */
import type { Logger } from 'pino';
import type { Message, ThredsEvent } from '../../patterns';
import type { AgentConfig } from '../../store/directory';

/** Per-call context handed to `handleMessage`. */
export interface AgentContext {
  nodeType: string;
  /** The node answering (reply source.id): the agent's first nodeId, else its nodeType. */
  nodeId: string;
  /** 1 on the first try; higher on Temporal retries. */
  attempt: number;
  /** Records progress and lets Temporal detect a dead worker and deliver cancellation; call it in long loops. */
  heartbeat(details?: unknown): void;
  /** Aborted when the thred cancels the call, the activity times out or the worker shuts down. */
  signal: AbortSignal;
  logger: Logger;
  /** Throws a permanent failure: the thred gets an error reply (content.error = { code, message }), no retries. */
  fail(message: string, code?: number): never;
}

/**
 * What `handleMessage` returns: null for no reply, or the reply's parts (usually just `data`). The runtime fills and
 * enforces the envelope: type = nodeType, re = request event id, thredId = request thredId, source.id = nodeId, id, time.
 */
export type AgentReply = Partial<ThredsEvent> | null | undefined;

export interface AgentImplementation {
  handleMessage(message: Message, ctx: AgentContext): Promise<AgentReply>;
  /** Called once on shutdown (close connections). */
  close?(): Promise<void>;
}

/** What a factory receives once at start. */
export interface AgentInit {
  config: AgentConfig;
  nodeType: string;
  nodeId: string;
  options: Record<string, unknown>;
  logger: Logger;
  /** MongoDB URL of the deployment (for agents that keep data). */
  mongoUrl: string;
  /** Threds' own database: agents must never expose it to patterns. */
  thredsDb: string;
  /** Directory holding agents.json; relative paths in options resolve against it. */
  configDir: string;
}

/**
 * A module named by `implementation` default-exports either an AgentImplementation object or a factory
 * `(init: AgentInit) => AgentImplementation | Promise<AgentImplementation>` (for set-up such as connections).
 */
export type AgentFactory = (init: AgentInit) => AgentImplementation | Promise<AgentImplementation>;

/** Thrown by a factory whose required options are missing: the runtime skips the agent with a log line. */
export class AgentNotConfigured extends Error {
  override name = 'AgentNotConfigured';
}
