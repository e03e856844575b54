/**
 * `threds user add <participantId> --password <pw> [--roles a,b] [--name "…"]`: creates or updates a participant who
 * can log in (POST /login). Roles given replace the stored ones; without --roles, existing roles are kept.
 */
import { parseArgs } from 'node:util';
import { hash } from '@node-rs/argon2';
import { loadConfig } from '../config';
import { openStore } from '../../store';

const USAGE = 'usage: threds user add <participantId> --password <pw> [--roles a,b] [--name "Display Name"]';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { password: { type: 'string' }, roles: { type: 'string' }, name: { type: 'string' } },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [sub, participantId, ...extra] = parsed.positionals;
  const { password, roles, name } = parsed.values;
  if (sub !== 'add' || !participantId || extra.length > 0 || !password) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const { store, client } = await openStore(config.mongoUrl, config.mongoDb);
  try {
    const existed = (await store.participants.get(participantId)) !== null;
    const roleList = roles === undefined ? undefined : roles.split(',').map((r) => r.trim()).filter(Boolean);
    await store.participants.upsert(
      {
        id: participantId,
        passwordHash: await hash(password),
        ...(roleList && { roles: roleList }),
        ...(name !== undefined && { name }),
      },
      Date.now(),
    );
    // A new password ends the sessions the old one opened (refresh tokens; access tokens run out by themselves).
    if (existed) await store.refreshTokens.revokeParticipant(participantId);
    const saved = await store.participants.get(participantId);
    console.log(`${existed ? 'updated' : 'created'} participant ${participantId} (roles: ${saved?.roles.join(',') || 'none'})`);
    return 0;
  } finally {
    await client.close();
  }
}
