/**
 * `threds token <participantId> [--roles a,b] [--ttl 1h]`: prints an access token (only the token, on stdout, so
 * scripts can capture it) for sensors, agents and tests. Signed with the gateway's secret (THREDS_JWT_SECRET or the one
 * kept under .data/). Without --roles, the participant's stored roles and its sessions-model roles are used.
 * Usage text: COMMANDS in bin/threds.ts; bad arguments throw UsageError (exit 2).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { UsageError } from '../usage';
import { splitRoles } from './user';
import { openStore } from '../../store';
import { loadDirectory } from '../../store/directory';
import { parseDuration, signAccessToken } from '../../gateway/tokens';

async function storedRoles(participantId: string): Promise<string[]> {
  const config = loadConfig();
  const fromModel = loadDirectory(config.configDir).roles[participantId] ?? [];
  try {
    const { store, client } = await openStore(config.mongoUrl, config.mongoDb);
    try {
      return [...new Set([...((await store.participants.get(participantId))?.roles ?? []), ...fromModel])];
    } finally {
      await client.close();
    }
  } catch (err) {
    console.error(`[threds] store not reachable (${(err as Error).message}); using sessions-model roles only`);
    return fromModel;
  }
}

export function parseTokenArgs(argv: string[]): { participantId: string; roles?: string[]; ttlMs: number } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { roles: { type: 'string' }, ttl: { type: 'string' } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [participantId, ...extra] = parsed.positionals;
  if (!participantId) throw new UsageError('missing <participantId>');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const ttl = parsed.values.ttl ?? '1h';
  const ttlMs = parseDuration(ttl);
  if (!ttlMs) throw new UsageError(`--ttl: not a duration: "${ttl}" (use e.g. 90s, 15m, 1h, 7d)`);
  return { participantId, ttlMs, ...(parsed.values.roles !== undefined && { roles: splitRoles(parsed.values.roles) }) };
}

export async function run(argv: string[]): Promise<number> {
  const { participantId, roles, ttlMs } = parseTokenArgs(argv);
  const config = loadConfig();
  const { token } = signAccessToken(config.jwtSecret, {
    participantId,
    roles: roles ?? (await storedRoles(participantId)),
    ttlMs,
  });
  console.log(token);
  return 0;
}
