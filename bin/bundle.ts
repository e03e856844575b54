/**
 * The prebuilt workflow bundle: webpack-bundling the workflows takes seconds, so it is built once per source change
 * (hash of workflows/, patterns/ and the lock file) into .data/bundle/ and reused by every worker start and test file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { projectRoot } from './stack';

function hashSources(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(name)) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(projectRoot, 'workflows'));
  walk(join(projectRoot, 'patterns'));
  walk(join(projectRoot, 'telemetry')); // the workflow imports its trace helpers and sink types
  h.update(readFileSync(join(projectRoot, 'package-lock.json')));
  return h.digest('hex').slice(0, 16);
}

export async function workflowBundle(dir = join(projectRoot, '.data', 'bundle')): Promise<{ code: string }> {
  const file = join(dir, `workflows-${hashSources()}.js`);
  if (existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(projectRoot, 'workflows', 'index.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file); // atomic: parallel test files never read half a bundle
  // Bundles of earlier sources are never read again (a running worker holds its code in memory).
  for (const name of readdirSync(dir)) {
    if (/^workflows-[0-9a-f]{16}\.js$/.test(name) && join(dir, name) !== file) rmSync(join(dir, name), { force: true });
  }
  return { code };
}
