/**
 * Builds the web console (web/src → web/dist) with esbuild: one ES module bundle (app.js), one stylesheet (app.css)
 * and index.html with a content hash on both URLs. `npm run build:web` builds; set-up (scripts/ensure-setup.mjs) and
 * the test suites' global set-up run it with `--if-stale`, which builds only when dist is missing or older than a
 * source file. The gateway only serves the result (gateway/plugins/web.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webRoot = dirname(fileURLToPath(import.meta.url));
export const webDist = join(webRoot, 'dist');
const srcDir = join(webRoot, 'src');

function newestSource(): number {
  let newest = statSync(join(webRoot, 'index.html')).mtimeMs;
  newest = Math.max(newest, statSync(fileURLToPath(import.meta.url)).mtimeMs);
  for (const f of readdirSync(srcDir)) newest = Math.max(newest, statSync(join(srcDir, f)).mtimeMs);
  return newest;
}

/** True when web/dist/index.html is missing or older than any source (sources absent → never stale). */
export function webBuildStale(): boolean {
  const index = join(webDist, 'index.html');
  if (!existsSync(index)) return true;
  if (!existsSync(srcDir)) return false;
  return statSync(index).mtimeMs < newestSource();
}

export async function buildWeb({ minify = true }: { minify?: boolean } = {}): Promise<{ outDir: string; ms: number }> {
  const started = Date.now();
  const { build } = await import('esbuild');
  mkdirSync(webDist, { recursive: true });
  rmSync(join(webDist, 'chunks'), { recursive: true, force: true }); // chunks of earlier builds are never loaded again
  await build({
    entryPoints: { app: join(srcDir, 'main.ts') },
    bundle: true,
    format: 'esm',
    // Mermaid (the diagrams) is imported on first use: split into content-hashed chunks the main bundle loads lazily.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    target: ['es2022'],
    platform: 'browser',
    minify,
    sourcemap: 'linked',
    outdir: webDist,
    logLevel: 'warning',
  });
  writeFileSync(join(webDist, 'app.css'), readFileSync(join(srcDir, 'style.css')));
  const version = (file: string) =>
    createHash('sha256')
      .update(readFileSync(join(webDist, file)))
      .digest('hex')
      .slice(0, 10);
  const html = readFileSync(join(webRoot, 'index.html'), 'utf8')
    .replace('app.css', `app.css?v=${version('app.css')}`)
    .replace('app.js', `app.js?v=${version('app.js')}`);
  writeFileSync(join(webDist, 'index.html'), html);
  return { outDir: webDist, ms: Date.now() - started };
}

/** Builds when needed; returns whether it built. Never throws when a (possibly stale) dist is there to serve. */
export async function ensureWebBuilt(log: (msg: string) => void = console.log): Promise<boolean> {
  if (!webBuildStale()) return false;
  try {
    const { ms } = await buildWeb();
    log(`[web] console built into ${webDist} (${ms} ms)`);
    return true;
  } catch (err) {
    if (!existsSync(join(webDist, 'index.html'))) throw err;
    log(`[web] rebuild failed, serving the previous build: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const build = process.argv.includes('--if-stale')
    ? ensureWebBuilt().then((built) => built || console.log(`[web] ${webDist} is up to date`))
    : buildWeb({ minify: !process.argv.includes('--dev') }).then(({ outDir, ms }) =>
        console.log(`[web] built ${outDir} in ${ms} ms`),
      );
  build.catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
