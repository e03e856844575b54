/**
 * `threds user add <participantId> --password <pw> [--roles a,b] [--name "…"]`: creates or updates a participant who
 * can log in (POST /login). Roles given replace the stored ones; without --roles, existing roles are kept.
 * Usage text: COMMANDS in bin/threds.ts; bad arguments throw UsageError (exit 2).
 */
import { parseArgs } from 'node:util';
import { hash } from '@node-rs/argon2';
import { loadConfig } from '../config';
import { UsageError } from '../usage';
import { openStore } from '../../store';

export function parseUserArgs(argv: string[]): {
  participantId: string;
  password: string;
  roles?: string[];
  name?: string;
} {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { password: { type: 'string' }, roles: { type: 'string' }, name: { type: 'string' } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [sub, participantId, ...extra] = parsed.positionals;
  const { password, roles, name } = parsed.values;
  if (sub === undefined) throw new UsageError('missing subcommand (add)');
  if (sub !== 'add') throw new UsageError(`unknown subcommand "${sub}"`);
  if (!participantId) throw new UsageError('missing <participantId>');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!password) throw new UsageError('missing --password');
  return {
    participantId,
    password,
    ...(roles !== undefined && { roles: splitRoles(roles) }),
    ...(name !== undefined && { name }),
  };
}

export const splitRoles = (text: string): string[] =>
  text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

export async function run(argv: string[]): Promise<number> {
  const { participantId, password, roles, name } = parseUserArgs(argv);
  const config = loadConfig();
  const { store, client } = await openStore(config.mongoUrl, config.mongoDb);
  try {
    const existed = (await store.participants.get(participantId)) !== null;
    await store.participants.upsert(
      {
        id: participantId,
        passwordHash: await hash(password),
        ...(roles && { roles }),
        ...(name !== undefined && { name }),
      },
      Date.now(),
    );
    // A new password ends the sessions the old one opened (refresh tokens; access tokens run out by themselves).
    if (existed) await store.refreshTokens.revokeParticipant(participantId);
    // Records written before roles were always set (or by other tools) may lack the field: no roles.
    const savedRoles = (await store.participants.get(participantId))?.roles ?? [];
    console.log(
      `${existed ? 'updated' : 'created'} participant ${participantId} (roles: ${savedRoles.join(',') || 'none'})`,
    );
    return 0;
  } finally {
    await client.close();
  }
}
