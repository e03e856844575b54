/**
 * `threds token <participantId> [--roles a,b] [--ttl 1h]`: prints an access token (only the token, on stdout, so
 * scripts can capture it) for sensors, agents and tests. Signed with the gateway's secret (THREDS_JWT_SECRET or the one
 * kept under .data/). Without --roles, the participant's stored roles and its sessions-model roles are used.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { openStore } from '../../store';
import { loadDirectory } from '../../store/directory';
import { parseDuration, signAccessToken } from '../../gateway/tokens';

const USAGE = 'usage: threds token <participantId> [--roles a,b] [--ttl 1h]   (ttl: 90s, 15m, 1h, 7d; default 1h)';

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

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { roles: { type: 'string' }, ttl: { type: 'string' } } });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [participantId, ...extra] = parsed.positionals;
  const ttlMs = parseDuration(parsed.values.ttl ?? '1h');
  if (!participantId || extra.length > 0 || !ttlMs) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const roles =
    parsed.values.roles !== undefined
      ? parsed.values.roles.split(',').map((r) => r.trim()).filter(Boolean)
      : await storedRoles(participantId);
  const { token } = signAccessToken(config.jwtSecret, { participantId, roles, ttlMs });
  console.log(token);
  return 0;
}
