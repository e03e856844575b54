/**
 * First-start content: the library patterns (added when absent, so an admin's edits are kept) and, when
 * THREDS_ADMIN_PASSWORD is set, the participant `admin` with role admin (SPEC §11).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import { validatePattern, type Pattern } from '../patterns';
import type { Store } from '../store';
import type { Config } from './config';
import { projectRoot } from './stack';

export const libraryDir = join(projectRoot, 'patterns', 'library');

/** A library pattern, validated; throws naming the file when it is invalid. */
export function loadLibraryPattern(file: string): Pattern & { id: string } {
  const report = validatePattern(JSON.parse(readFileSync(join(libraryDir, file), 'utf8')));
  if (!report.valid || !report.pattern?.id) throw new Error(`${file} is invalid: ${JSON.stringify(report.errors)}`);
  return report.pattern as Pattern & { id: string };
}

/** Also owns the `admin` participant when THREDS_ADMIN_PASSWORD is set (the demo seed then only reports it). */
export async function seed({ store, config }: { store: Store; config: Config }): Promise<void> {
  for (const file of readdirSync(libraryDir).filter((f) => f.endsWith('.json'))) {
    let pattern: Pattern & { id: string };
    try {
      pattern = loadLibraryPattern(file);
    } catch (err) {
      console.warn(`[seed] skipping invalid library pattern: ${(err as Error).message}`);
      continue;
    }
    if (!(await store.patterns.get(pattern.id))) await store.patterns.put(pattern, Date.now());
  }
  if (config.adminPassword) {
    await store.participants.upsert(
      { id: 'admin', name: 'Administrator', passwordHash: await hash(config.adminPassword), roles: ['admin'] },
      Date.now(),
    );
  }
}
