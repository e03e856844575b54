#!/usr/bin/env node
// Runs before `npm start` and `npm test` (npm's pre-scripts), with no dependencies of its own, so that the two
// commands do all set-up on a fresh clone: installs node_modules when missing or stale, and builds the pinned
// servers into .tools/bin unless TEMPORAL_ADDRESS and MONGO_URL point at servers you already run, and the suites'
// Python tools into .tools/venv.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.threds-lock-hash');
const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');

if (!existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== hash) {
  console.log('[setup] installing npm dependencies (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  execFileSync('node', ['-e', `require('fs').writeFileSync(${JSON.stringify(stamp)}, ${JSON.stringify(hash)})`]);
}

if (!(process.env.TEMPORAL_ADDRESS && process.env.MONGO_URL)) {
  execFileSync('bash', [join(root, 'scripts', 'install-tools.sh')], { cwd: root, stdio: 'inherit' });
}
// The fuzz and deployment suites' Python tools (schemathesis, check-jsonschema), whatever servers are used.
execFileSync('bash', [join(root, 'scripts', 'install-pytools.sh')], { cwd: root, stdio: 'inherit' });
