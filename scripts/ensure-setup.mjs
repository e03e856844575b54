#!/usr/bin/env node
// Runs before `npm start`, `npm test` and `npm run bench` (npm's pre-scripts) and first in .ci/run, with no
// dependencies of its own, so that those commands do all set-up on a fresh clone before anything starts:
//   npm      node_modules, when missing or stale (npm ci)
//   web      the web console in web/dist, when missing or older than web/src (esbuild)
//   tools    the pinned servers built into .tools/bin, unless TEMPORAL_ADDRESS and MONGO_URL point at yours
//   pytools  the suites' Python tools in .tools/venv
//   browser  Debian's Chromium for the e2e suite (apt-get)         — not for `npm start` / `npm run bench`
//   postgres PostgreSQL's server binaries for `npm run cluster`     — not for `npm start` / `npm run bench`
// Each step is a fast no-op when its part is there. THREDS_SETUP_SKIP=browser,postgres (any step names) skips steps.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = (name) => () => execFileSync('bash', [join(root, 'scripts', name)], { cwd: root, stdio: 'inherit' });

function npmDependencies() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.threds-lock-hash');
  const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash)
    return console.log('[setup] npm dependencies up to date');
  console.log('[setup] installing npm dependencies (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, hash);
}

// npm sets npm_lifecycle_event to the pre-script's name; run directly (.ci/run, npm run setup), every step applies.
const lifecycle = process.env.npm_lifecycle_event ?? '';
const serverOnly = lifecycle === 'prestart' || lifecycle === 'prebench';

const STEPS = [
  { name: 'npm', run: npmDependencies },
  // The gateway serves web/dist and never builds it (esbuild is a dev dependency): built here when missing or stale.
  {
    name: 'web',
    run: () =>
      execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'web', 'build.ts'), '--if-stale'], {
        cwd: root,
        stdio: 'inherit',
      }),
  },
  {
    name: 'tools',
    run: script('install-tools.sh'),
    skipBecause: () =>
      process.env.TEMPORAL_ADDRESS && process.env.MONGO_URL && 'TEMPORAL_ADDRESS and MONGO_URL are set',
  },
  { name: 'pytools', run: script('install-pytools.sh') },
  { name: 'browser', run: script('install-browser.sh'), skipBecause: () => serverOnly && `not needed by ${lifecycle}` },
  {
    name: 'postgres',
    run: script('install-postgres.sh'),
    skipBecause: () => serverOnly && `not needed by ${lifecycle}`,
  },
];

const skipped = new Set(
  (process.env.THREDS_SETUP_SKIP ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const unknown = [...skipped].filter((s) => !STEPS.some((step) => step.name === s));
if (unknown.length > 0) {
  console.error(
    `[setup] THREDS_SETUP_SKIP: unknown step(s) ${unknown.join(', ')} (steps: ${STEPS.map((s) => s.name).join(', ')})`,
  );
  process.exit(2);
}

const started = Date.now();
STEPS.forEach((step, i) => {
  const why = skipped.has(step.name) ? 'THREDS_SETUP_SKIP' : step.skipBecause?.();
  const head = `[setup] ${i + 1}/${STEPS.length} ${step.name}`;
  if (why) return console.log(`${head}: skipped (${why})`);
  console.log(head);
  try {
    step.run();
  } catch {
    // The step printed why; name it and the way around it.
    console.error(`[setup] step "${step.name}" failed (THREDS_SETUP_SKIP=${step.name} sets up without it)`);
    process.exit(1);
  }
});
console.log(`[setup] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
