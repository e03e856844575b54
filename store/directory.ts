/**
 * The sessions model and the agent list (SPEC §11 THREDS_CONFIG_DIR): who is in which group, which roles a participant
 * holds, and which addresses are agents. Read from `<dir>/sessions.json` and `<dir>/agents.json`, validated, with
 * errors that name the file and the field. Defaults ship in config/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

const DurationSchema = Type.Union([Type.String({ pattern: '^[0-9]+(ms|s|m|h)$' }), Type.Integer({ minimum: 0 })]);

const SessionsSchema = Type.Object({
  groups: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
  participants: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String({ minLength: 1 }),
        name: Type.Optional(Type.String()),
        roles: Type.Optional(Type.Array(Type.String())),
      }),
    ),
  ),
});

const AgentSchema = Type.Object({
  nodeType: Type.String({ minLength: 1 }),
  nodeIds: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  name: Type.Optional(Type.String()),
  /** Task queue the agent polls; defaults to nodeType (SPEC §6). Tests and multi-tenant setups override it. */
  taskQueue: Type.Optional(Type.String({ minLength: 1 })),
  /** `builtin:<name>` or a path (relative to the config dir) of a module exporting `handleMessage`. */
  implementation: Type.Optional(Type.String()),
  retry: Type.Optional(
    Type.Object({
      initialInterval: Type.Optional(DurationSchema),
      backoffCoefficient: Type.Optional(Type.Number({ minimum: 1 })),
      maximumInterval: Type.Optional(DurationSchema),
      maximumAttempts: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
  ),
  timeouts: Type.Optional(
    Type.Object({
      startToClose: Type.Optional(DurationSchema),
      scheduleToClose: Type.Optional(DurationSchema),
      heartbeat: Type.Optional(DurationSchema),
    }),
  ),
  concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
  options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
const AgentsSchema = Type.Array(AgentSchema);

export type SessionsModel = Static<typeof SessionsSchema>;
export type AgentConfig = Static<typeof AgentSchema>;

export interface Directory {
  groups: Record<string, string[]>;
  /** participantId → roles, from the sessions model (database participants add theirs at resolution time). */
  roles: Record<string, string[]>;
  agents: AgentConfig[];
  configDir: string;
}

export const defaultConfigDir = resolve(fileURLToPath(new URL('../config', import.meta.url)));

function readJson<T>(file: string, schema: TSchema, fallback: T): T {
  if (!existsSync(file)) return fallback;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const errors = [...Value.Errors(schema, data)];
  if (errors.length > 0) {
    throw new Error(`${file}: ${errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  }
  return data as T;
}

export function loadDirectory(configDir: string = defaultConfigDir): Directory {
  const sessions = readJson<SessionsModel>(join(configDir, 'sessions.json'), SessionsSchema, {});
  const agents = readJson<AgentConfig[]>(join(configDir, 'agents.json'), AgentsSchema, []);
  const seen = new Set<string>();
  agents.forEach((a, i) => {
    if (seen.has(a.nodeType))
      throw new Error(`${join(configDir, 'agents.json')}: /${i}/nodeType "${a.nodeType}" is listed twice`);
    seen.add(a.nodeType);
  });
  const roles: Record<string, string[]> = {};
  for (const p of sessions.participants ?? []) roles[p.id] = p.roles ?? [];
  return { groups: sessions.groups ?? {}, roles, agents, configDir };
}

/** Agent addresses as the pattern core wants them. */
export function agentAddresses(dir: Directory): { nodeType: string; nodeIds?: string[] }[] {
  return dir.agents.map((a) => (a.nodeIds ? { nodeType: a.nodeType, nodeIds: a.nodeIds } : { nodeType: a.nodeType }));
}
