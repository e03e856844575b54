/**
 * First-start content: the library patterns (added when absent, so an admin's edits are kept) and, when
 * THREDS_ADMIN_PASSWORD is set, the participant `admin` with role admin (SPEC §11).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import { validatePattern } from '../patterns';
import type { Store } from '../store';
import type { Config } from './config';
import { projectRoot } from './stack';

export const libraryDir = join(projectRoot, 'patterns', 'library');

export async function seed({ store, config }: { store: Store; config: Config }): Promise<void> {
  for (const file of readdirSync(libraryDir).filter((f) => f.endsWith('.json'))) {
    const report = validatePattern(JSON.parse(readFileSync(join(libraryDir, file), 'utf8')));
    if (!report.valid || !report.pattern?.id) {
      console.warn(`[seed] skipping invalid library pattern ${file}: ${JSON.stringify(report.errors)}`);
      continue;
    }
    if (!(await store.patterns.get(report.pattern.id))) await store.patterns.put(report.pattern, Date.now());
  }
  if (config.adminPassword) {
    await store.participants.upsert(
      { id: 'admin', name: 'Administrator', passwordHash: await hash(config.adminPassword), roles: ['admin'] },
      Date.now(),
    );
  }
}
