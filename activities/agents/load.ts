/**
 * Resolves an agent's `implementation` to an AgentImplementation: `builtin:<name>` from the table below, or a module
 * path relative to the config directory whose default export is an implementation object or a factory.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPersistenceAgent } from '../persistence';
import { createWebhookAgent } from '../webhook';
import type { AgentFactory, AgentImplementation, AgentInit } from './types';

export const BUILTIN_AGENTS: Record<string, AgentFactory> = {
  persistence: createPersistenceAgent,
  webhook: createWebhookAgent,
};

function isImplementation(x: unknown): x is AgentImplementation {
  return typeof x === 'object' && x !== null && typeof (x as AgentImplementation).handleMessage === 'function';
}

export async function loadImplementation(implementation: string, init: AgentInit): Promise<AgentImplementation> {
  if (implementation.startsWith('builtin:')) {
    const factory = BUILTIN_AGENTS[implementation.slice('builtin:'.length)];
    if (!factory)
      throw new Error(
        `unknown built-in agent "${implementation}" (known: ${Object.keys(BUILTIN_AGENTS)
          .map((b) => `builtin:${b}`)
          .join(', ')})`,
      );
    return factory(init);
  }
  const file = isAbsolute(implementation) ? implementation : resolve(init.configDir, implementation);
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown; handleMessage?: unknown };
  const exported = mod.default ?? mod;
  const impl = typeof exported === 'function' ? await (exported as AgentFactory)(init) : exported;
  if (!isImplementation(impl))
    throw new Error(`${file}: the default export must be { handleMessage(message, ctx) } or a factory returning one`);
  return impl;
}
