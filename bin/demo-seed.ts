/**
 * Demo content for `npm start` and the console's end-to-end tests: the participants of the UAV flow (SPEC §7.1 of the
 * reference) with known passwords, the ContactInfo record the persistence agent looks up, and `uav_detect` active.
 *
 * - participant0, participant1 (role responder): fixed demo passwords, set only when the participant has none yet
 *   (a password changed with `threds user add` is kept and not printed).
 * - admin (role admin): THREDS_ADMIN_PASSWORD when set, else the fixed demo password (printed with a warning).
 * - ContactInfo { sensorId: 'sensor0', contactId: 'participant0' } in the persistence agent's data database.
 */
import { hash, verify } from '@node-rs/argon2';
import type { Store } from '../store';
import type { Config } from './config';
import { loadLibraryPattern } from './seed';
import { loadDirectory } from '../store/directory';
import { DEFAULT_DATA_DB } from '../activities/persistence';

/**
 * The persistence agent's data database (where tasks without options.dbname land): its `options.dbname` in
 * agents.json, else the agent's default.
 */
export function demoDataDb(configDir?: string): string {
  const agent = loadDirectory(configDir).agents.find((a) => a.implementation === 'builtin:persistence');
  const name = agent?.options?.dbname;
  return typeof name === 'string' && name !== '' ? name : DEFAULT_DATA_DB;
}
export const DEMO_ADMIN_PASSWORD = 'admin-demo';

export const DEMO_PARTICIPANTS: { id: string; name: string; roles: string[]; password: string }[] = [
  { id: 'participant0', name: 'Participant 0', roles: ['responder'], password: 'participant0-demo' },
  { id: 'participant1', name: 'Participant 1', roles: ['responder'], password: 'participant1-demo' },
];

export const DEMO_CONTACTS = [
  { _id: 'sensor0', sensorId: 'sensor0', contactId: 'participant0', name: 'Sensor 0 (north gate)' },
  { _id: 'sensor1', sensorId: 'sensor1', contactId: 'participant1', name: 'Sensor 1 (south field)' },
];

export interface DemoCredentials {
  participantId: string;
  password: string;
  roles: string[];
}

async function ensureParticipant(
  store: Store,
  p: { id: string; name: string; roles: string[]; password: string },
): Promise<DemoCredentials | null> {
  const existing = await store.participants.get(p.id);
  const now = Date.now();
  if (existing?.passwordHash) {
    // Keep an operator's password; report the demo one only if it is still the one in use.
    const same = await verify(existing.passwordHash, p.password).catch(() => false);
    if (!existing.roles?.length) await store.participants.upsert({ id: p.id, roles: p.roles }, now);
    return same
      ? { participantId: p.id, password: p.password, roles: existing.roles?.length ? existing.roles : p.roles }
      : null;
  }
  await store.participants.upsert(
    { id: p.id, name: p.name, passwordHash: await hash(p.password), roles: p.roles },
    now,
  );
  return { participantId: p.id, password: p.password, roles: p.roles };
}

export async function seedDemo({
  store,
  config,
  dataDb,
}: {
  store: Store;
  config: Config;
  /** The persistence agent's data database; tests pass their own. */
  dataDb?: string;
}): Promise<{ credentials: DemoCredentials[] }> {
  const credentials: DemoCredentials[] = [];
  for (const p of DEMO_PARTICIPANTS) {
    const c = await ensureParticipant(store, p);
    if (c) credentials.push(c);
  }
  // With THREDS_ADMIN_PASSWORD, seed() has just written the admin: only report it (argon2 costs ~50 ms a hash).
  const admin = config.adminPassword
    ? { participantId: 'admin', password: config.adminPassword, roles: ['admin'] }
    : await ensureParticipant(store, {
        id: 'admin',
        name: 'Administrator',
        roles: ['admin'],
        password: DEMO_ADMIN_PASSWORD,
      });
  if (admin) credentials.push(admin);

  const contacts = store.db.client
    .db(dataDb ?? demoDataDb(config.configDir))
    .collection<{ _id: string }>('ContactInfo');
  for (const { _id, ...doc } of DEMO_CONTACTS) await contacts.updateOne({ _id }, { $set: doc }, { upsert: true });

  // uav_detect: stored from the library when absent, and active (an admin's other edits are kept).
  const stored = await store.patterns.get('uav_detect');
  if (stored && stored.meta?.active === false) {
    await store.patterns.put({ ...stored, meta: { ...stored.meta, active: true } }, Date.now());
  } else if (!stored) {
    const pattern = loadLibraryPattern('uav_detect.json');
    await store.patterns.put({ ...pattern, meta: { ...pattern.meta, active: true } }, Date.now());
  }
  return { credentials };
}

/** Lines for the start banner. */
export function formatCredentials(credentials: DemoCredentials[], adminFromEnv: boolean): string[] {
  const lines = credentials.map(
    (c) => `  ${c.participantId.padEnd(14)} ${c.password.padEnd(20)} ${c.roles.join(', ')}`,
  );
  if (!adminFromEnv && credentials.some((c) => c.participantId === 'admin'))
    lines.push('  (demo admin password: set THREDS_ADMIN_PASSWORD for anything but a local demo)');
  return lines;
}
