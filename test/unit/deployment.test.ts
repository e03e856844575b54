/**
 * The deployment files, checked without a Docker engine: docker-compose.yml against the compose-spec schema
 * (check-jsonschema, installed by `npm run setup`), then our own consistency checks of docker-compose.yml, the
 * Dockerfile, .dockerignore and deploy/prometheus/prometheus.yml against the code — names of services, environment
 * variables the code reads, `threds` commands, pinned images, health checks, secrets. Each check returns the problems
 * it finds, naming the service (or file) and what is wrong; each is also run on a broken copy, so it can fail.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../../bin/threds.ts'; // .ts: bin/threds.mjs (the entry) would resolve first

const ROOT = join(import.meta.dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const DOCKERFILE = join(ROOT, 'Dockerfile');
const PROMETHEUS_FILE = join(ROOT, 'deploy', 'prometheus', 'prometheus.yml');
const CHECK_JSONSCHEMA = join(ROOT, '.tools', 'venv', 'bin', 'check-jsonschema');

type Obj = Record<string, unknown>;
interface Service extends Obj {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  links?: string[];
  volumes_from?: string[];
  network_mode?: string;
  ports?: (string | number | Obj)[];
  expose?: (string | number)[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: (string | Obj)[];
  restart?: string;
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
}

const readYaml = (file: string): unknown => parse(readFileSync(file, 'utf8'), { merge: true });
const loadCompose = (): Compose => readYaml(COMPOSE_FILE) as Compose;
const clone = <T>(v: T): T => structuredClone(v);

/** A compose value with `${VAR:-default}` replaced by its default and other references by `<VAR>`. */
function withDefaults(text: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|:?\?[^}]*)?\}/g, (_m, name: string, dash, def) =>
    dash ? (def as string) : `<${name}>`,
  );
}

const isThredsImage = (s: Service): boolean => s.build !== undefined || (s.image ?? '').startsWith('threds:');
const argv = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : v.trim().split(/\s+/);

function environmentOf(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => [e.split('=')[0]!, e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependencies(s: Service): Record<string, string | undefined> {
  const d = s.depends_on ?? [];
  return Array.isArray(d)
    ? Object.fromEntries(d.map((n) => [n, undefined]))
    : Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v?.condition]));
}

/** Container ports a service listens on, as declared by `expose` and the container side of `ports`. */
function declaredPorts(s: Service): Set<number> {
  const ports = new Set<number>();
  for (const e of s.expose ?? []) ports.add(Number(String(e).split('/')[0]));
  for (const p of s.ports ?? []) {
    if (typeof p === 'object') ports.add(Number(p.target));
    else ports.add(Number(String(p).split('/')[0]!.split(':').at(-1)));
  }
  return ports;
}

// ---- what the code defines ----

const SOURCE_DIRS = ['bin', 'gateway', 'activities', 'store', 'workflows', 'patterns', 'telemetry'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|mjs)$/.test(name) ? [p] : [];
  });
}

/**
 * Variables of our prefixes the code reads: `env.NAME`, `env['NAME']`, and a property whose whole value is the name
 * (`port: 'THREDS_PORT',` — bin/config.ts's table of variable names; error codes like 'THREDS_ERR_…' are not that).
 */
function variablesReadByCode(): Set<string> {
  const names = new Set<string>();
  const NAME = '((?:THREDS|TEMPORAL|MONGO|OTEL)_[A-Z0-9_]+)';
  const read = new RegExp(`\\benv(?:\\.|\\[\\s*['"\`])${NAME}\\b`, 'g');
  const tableEntry = new RegExp(`^\\s*[A-Za-z_$][\\w$]*\\s*:\\s*['"\`]${NAME}['"\`],?\\s*$`, 'gm');
  for (const file of SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of [...text.matchAll(read), ...text.matchAll(tableEntry)]) names.add(m[1]!);
  }
  return names;
}

const agentNodeTypes = (): Set<string> =>
  new Set(
    (JSON.parse(readFileSync(join(ROOT, 'config', 'agents.json'), 'utf8')) as { nodeType: string }[]).map(
      (a) => a.nodeType,
    ),
  );

// ---- checks of docker-compose.yml ----

function checkReferences(c: Compose): string[] {
  const problems: string[] = [];
  const exists = (n: string) => Object.hasOwn(c.services, n);
  for (const [name, s] of Object.entries(c.services)) {
    for (const [dep, condition] of Object.entries(dependencies(s))) {
      if (!exists(dep)) {
        problems.push(`${name}: depends_on names "${dep}", which is not a service`);
        continue;
      }
      const target = c.services[dep]!;
      if (condition === 'service_healthy' && (!target.healthcheck || target.healthcheck.disable)) {
        problems.push(`${name}: waits for "${dep}" to be healthy, but ${dep} has no healthcheck`);
      }
      if (condition === 'service_completed_successfully' && target.restart && target.restart !== 'no') {
        problems.push(
          `${name}: waits for "${dep}" to complete, but ${dep} has restart: ${target.restart} (it would run forever)`,
        );
      }
    }
    for (const link of s.links ?? [])
      if (!exists(link.split(':')[0]!)) problems.push(`${name}: links names "${link}", which is not a service`);
    for (const v of s.volumes_from ?? []) {
      const svc = v.replace(/^service:/, '').split(':')[0]!;
      if (!v.startsWith('container:') && !exists(svc))
        problems.push(`${name}: volumes_from names "${svc}", which is not a service`);
    }
    const nm = s.network_mode?.match(/^service:(.+)$/);
    if (nm && !exists(nm[1]!)) problems.push(`${name}: network_mode names "${nm[1]}", which is not a service`);
  }
  return problems;
}

function checkEnvironment(c: Compose, known: Set<string>): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(c.services)) {
    if (!isThredsImage(s)) continue;
    for (const key of Object.keys(environmentOf(s))) {
      if (/^(THREDS|TEMPORAL|MONGO|OTEL)_/.test(key) && !known.has(key)) {
        problems.push(`${name}: sets ${key}, which no Threds code reads (bin/config.ts and the sources)`);
      }
    }
  }
  return problems;
}

function checkCommands(c: Compose, commands: Record<string, unknown>, nodeTypes: Set<string>): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(c.services)) {
    if (!isThredsImage(s)) continue;
    if (s.entrypoint !== undefined)
      problems.push(`${name}: overrides the Threds image's entrypoint (node bin/threds.mjs)`);
    const cmd = argv(s.command);
    if (!cmd || cmd.length === 0) {
      problems.push(`${name}: runs the Threds image without a command (say which threds command it runs)`);
      continue;
    }
    if (!Object.hasOwn(commands, cmd[0]!)) {
      problems.push(`${name}: runs "threds ${cmd[0]}", which is not a command in bin/threds.ts COMMANDS`);
      continue;
    }
    if (cmd[0] === 'agent') {
      for (const t of cmd.slice(1).filter((a) => !a.startsWith('-'))) {
        if (!nodeTypes.has(t)) problems.push(`${name}: runs agent "${t}", which config/agents.json does not define`);
      }
    }
  }
  return problems;
}

function checkImages(c: Compose): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(c.services)) {
    if (!s.image) {
      problems.push(`${name}: has no image (a pinned name:tag, also for built services so every service runs one tag)`);
      continue;
    }
    const image = withDefaults(s.image);
    if (image.includes('@sha256:')) continue;
    const tag = /:([^/:]+)$/.exec(image)?.[1];
    if (!tag) problems.push(`${name}: image ${image} has no tag (pin one)`);
    else if (tag === 'latest' || /^<.*>$/.test(tag))
      problems.push(`${name}: image ${image} is not pinned (tag "${tag}")`);
  }
  return problems;
}

function checkHealthchecks(c: Compose): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(c.services)) {
    if (declaredPorts(s).size === 0) continue;
    const test = argv(s.healthcheck?.test);
    if (!test || s.healthcheck?.disable || test[0] === 'NONE') {
      problems.push(`${name}: serves on ${[...declaredPorts(s)].join(', ')} but has no healthcheck`);
      continue;
    }
    // A probe script run by node inside the Threds image must exist in the repository (the Dockerfile copies it).
    if (isThredsImage(s) && test[0] === 'CMD' && test[1] === 'node' && !existsSync(join(ROOT, test[2]!))) {
      problems.push(`${name}: healthcheck runs node ${test[2]}, which does not exist`);
    }
  }
  return problems;
}

const SECRET_NAME = /(SECRET|PASSWORD|PWD|API_KEY|TOKEN)/;

/** Secrets come from the environment with no default: `${NAME:?message}` only (never a literal, never `:-`). */
function checkSecrets(c: Compose, text: string): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(c.services)) {
    for (const [key, value] of Object.entries(environmentOf(s))) {
      if (SECRET_NAME.test(key) && !/^\$\{[A-Za-z0-9_]+:\?[^}]+\}$/.test(value)) {
        problems.push(`${name}: ${key} must come from the environment as \${VAR:?message}, not "${value}"`);
      }
    }
  }
  for (const m of text.matchAll(/\$\{([A-Za-z0-9_]+)(:?[-+][^}]*)\}/g)) {
    if (SECRET_NAME.test(m[1]!)) problems.push(`docker-compose.yml: \${${m[1]}${m[2]}} gives a secret a default`);
  }
  return problems;
}

function checkBindMounts(c: Compose): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(c.services)) {
    for (const v of s.volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0]! : String(v.source ?? '');
      if (source.startsWith('.') && !existsSync(join(ROOT, source)))
        problems.push(`${name}: mounts ${source}, which does not exist`);
    }
  }
  return problems;
}

// ---- the Dockerfile ----

interface Stage {
  name: string;
  image: string;
  lines: string[];
}

function dockerStages(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)/.exec(line);
    if (arg && stages.length === 0) args[arg[1]!] = arg[2]!;
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const image = from[1]!.replace(/\$\{?([A-Za-z0-9_]+)\}?/g, (_m, n: string) => args[n] ?? `<${n}>`);
      stages.push({ name: from[2] ?? String(stages.length), image, lines: [] });
    } else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

const jsonForm = (line: string, instruction: string): string[] | undefined => {
  const m = new RegExp(`^${instruction}\\s+(\\[.*\\])$`).exec(line);
  return m ? (JSON.parse(m[1]!) as string[]) : undefined;
};

/** What the build stage produces that the repository does not hold, and the RUN that produces it. */
const BUILD_OUTPUTS: Record<string, RegExp> = {
  node_modules: /npm ci/,
  'web/dist': /npm run build:web/,
  '.data': /workflowBundle\(\)/,
};

/** Paths (relative to the project root) the stage copies from the build stage's /app. */
function runtimeCopies(stage: Stage): string[] {
  return stage.lines.flatMap((line) => {
    const copy = /^COPY\s+(?:--\S+\s+)*--from=build\s+(?:--\S+\s+)*(.+)\s+(\S+)$/.exec(line);
    return copy
      ? copy[1]!
          .trim()
          .split(/\s+/)
          .map((src) => src.replace(/^\/app\/?/, ''))
      : [];
  });
}

function dockerIgnored(path: string): boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return patterns.some((p) => path === p || path.startsWith(`${p.replace(/\/$/, '')}/`));
}

function checkDockerfile(text: string, commands: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const stages = dockerStages(text);
  const names = new Set(stages.map((s) => s.name));
  for (const wanted of ['build', 'runtime']) if (!names.has(wanted)) problems.push(`Dockerfile: no stage "${wanted}"`);
  for (const s of stages) {
    const tag = /:([^/:]+)$/.exec(s.image)?.[1];
    if (!tag || tag === 'latest' || tag.startsWith('<'))
      problems.push(`Dockerfile: stage ${s.name} FROM ${s.image} is not pinned`);
    for (const line of s.lines) {
      const from = /^COPY\s+.*--from=(\S+)/.exec(line);
      if (from && !names.has(from[1]!))
        problems.push(`Dockerfile: stage ${s.name} copies from "${from[1]}", which is not a stage`);
      if (/^(ENV|ARG)\s/.test(line) && SECRET_NAME.test(line.split(/\s+/)[1] ?? '')) {
        problems.push(`Dockerfile: stage ${s.name} bakes a secret into the image (${line})`);
      }
    }
  }
  const build = stages.find((s) => s.name === 'build');
  const final = stages.at(-1);
  if (!build || !final) return problems;
  if (!build.lines.some((l) => /^RUN .*npm ci\b/.test(l)))
    problems.push('Dockerfile: the build stage does not run npm ci');
  if (!build.lines.some((l) => /^RUN .*npm prune --omit=dev/.test(l)))
    problems.push('Dockerfile: the build stage does not prune dev dependencies');
  if (!build.lines.some((l) => /^RUN .*npm run build:web/.test(l)))
    problems.push('Dockerfile: the build stage does not build the web console');

  for (const path of runtimeCopies(final)) {
    const output = Object.keys(BUILD_OUTPUTS).find((o) => path === o || path.startsWith(`${o}/`));
    if (output) {
      if (!build.lines.some((l) => l.startsWith('RUN') && BUILD_OUTPUTS[output]!.test(l))) {
        problems.push(`Dockerfile: the runtime copies ${path}, which the build stage never produces`);
      }
    } else if (!existsSync(join(ROOT, path)))
      problems.push(`Dockerfile: the runtime copies ${path}, which does not exist`);
    else if (dockerIgnored(path))
      problems.push(`Dockerfile: the runtime copies ${path}, which .dockerignore leaves out of the context`);
  }
  for (const needed of ['web/src', 'package-lock.json']) {
    if (dockerIgnored(needed)) problems.push(`.dockerignore: leaves out ${needed}, which the build stage needs`);
  }
  const user = final.lines
    .filter((l) => l.startsWith('USER '))
    .at(-1)
    ?.split(/\s+/)[1];
  if (!user || user === 'root' || user === '0' || user.startsWith('0:'))
    problems.push('Dockerfile: the runtime stage runs as root (add USER)');
  const entrypoint = final.lines.map((l) => jsonForm(l, 'ENTRYPOINT')).find(Boolean);
  if (!entrypoint || entrypoint[0] !== 'node' || !entrypoint[1])
    problems.push('Dockerfile: ENTRYPOINT is not ["node", "<script>"] in JSON form');
  else if (!existsSync(join(ROOT, entrypoint[1])))
    problems.push(`Dockerfile: ENTRYPOINT runs ${entrypoint[1]}, which does not exist`);
  const cmd = final.lines.map((l) => jsonForm(l, 'CMD')).find(Boolean);
  if (!cmd?.[0]) problems.push('Dockerfile: no CMD in JSON form (the default threds command)');
  else if (!Object.hasOwn(commands, cmd[0]))
    problems.push(`Dockerfile: CMD runs "threds ${cmd[0]}", which is not a command in bin/threds.ts`);
  return problems;
}

// ---- Prometheus ----

interface PromConfig {
  rule_files?: string[];
  scrape_configs?: {
    job_name?: string;
    static_configs?: { targets?: string[] }[];
    dns_sd_configs?: { names?: string[]; type?: string; port?: number }[];
  }[];
}

function checkPrometheus(p: PromConfig, c: Compose): string[] {
  const problems: string[] = [];
  const prom = c.services.prometheus;
  if (!prom) return ['docker-compose.yml: no prometheus service'];
  const mounts = (prom.volumes ?? []).filter((v): v is string => typeof v === 'string').map((v) => v.split(':'));
  if (
    !mounts.some(
      ([src, dst]) => src === './deploy/prometheus/prometheus.yml' && dst === '/etc/prometheus/prometheus.yml',
    )
  ) {
    problems.push('prometheus: does not mount ./deploy/prometheus/prometheus.yml at /etc/prometheus/prometheus.yml');
  }
  for (const rule of p.rule_files ?? []) {
    const dir = rule.slice(0, rule.lastIndexOf('/'));
    if (!mounts.some(([, dst]) => dst === dir))
      problems.push(`prometheus.yml: rule_files ${rule} is in ${dir}, which the prometheus service does not mount`);
  }
  if (!p.scrape_configs?.length) problems.push('prometheus.yml: no scrape_configs');
  const target = (job: string, host: string, port: number) => {
    const s = c.services[host];
    if (!s) problems.push(`prometheus.yml: job ${job} scrapes "${host}", which is not a compose service`);
    else if (!declaredPorts(s).has(port))
      problems.push(
        `prometheus.yml: job ${job} scrapes ${host}:${port}, but ${host} declares no port ${port} (expose/ports)`,
      );
  };
  for (const sc of p.scrape_configs ?? []) {
    const job = sc.job_name ?? '?';
    for (const t of (sc.static_configs ?? []).flatMap((s) => s.targets ?? [])) {
      const [host, port] = t.split(':');
      target(job, host!, Number(port));
    }
    for (const d of sc.dns_sd_configs ?? []) for (const n of d.names ?? []) target(job, n, Number(d.port));
  }
  // Every Threds process is scraped.
  const scraped = new Set(
    (p.scrape_configs ?? []).flatMap((sc) => [
      ...(sc.static_configs ?? []).flatMap((s) => (s.targets ?? []).map((t) => t.split(':')[0]!)),
      ...(sc.dns_sd_configs ?? []).flatMap((d) => d.names ?? []),
    ]),
  );
  for (const [name, s] of Object.entries(c.services)) {
    const oneShot = s.restart === undefined || s.restart === 'no';
    if (isThredsImage(s) && !oneShot && !scraped.has(name))
      problems.push(`prometheus.yml: the Threds service ${name} is not scraped`);
  }
  return problems;
}

// ---- the tests ----

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const text = readFileSync(COMPOSE_FILE, 'utf8');

  it('is valid against the compose-spec schema (check-jsonschema)', { timeout: 60_000 }, () => {
    expect(
      existsSync(CHECK_JSONSCHEMA),
      `${CHECK_JSONSCHEMA} is missing: run \`npm run setup\` (scripts/install-pytools.sh)`,
    ).toBe(true);
    const r = spawnSync(CHECK_JSONSCHEMA, ['--builtin-schema', 'vendor.compose-spec', COMPOSE_FILE], {
      encoding: 'utf8',
    });
    expect(r.status, `check-jsonschema: ${r.stdout}${r.stderr}`).toBe(0);
  });

  it('runs the whole topology of SPEC §13', () => {
    const s = compose.services;
    const missing = [
      'postgresql',
      'temporal-setup',
      'temporal',
      'temporal-ui',
      'mongodb',
      'mongodb-init',
      'threds-setup',
      'agents',
    ].filter((n) => !s[n]);
    expect(missing, 'services missing').toEqual([]);
    const role = (cmd: string) => Object.entries(s).filter(([, v]) => isThredsImage(v) && argv(v.command)?.[0] === cmd);
    const count = (cmd: string) =>
      role(cmd).reduce((n, [, v]) => n + Number((v.deploy as Obj | undefined)?.replicas ?? 1), 0);
    expect(count('gateway'), 'gateways').toBeGreaterThanOrEqual(2);
    expect(count('worker'), 'workers').toBeGreaterThanOrEqual(2);
    expect(withDefaults(s.temporal!.image!)).toMatch(/^temporalio\/server:1\.(29|[3-9]\d)\./);
    expect(dependencies(s.temporal!)['temporal-setup']).toBe('service_completed_successfully');
    expect(argv(s.mongodb!.command)).toEqual(expect.arrayContaining(['--replSet']));
    for (const [name, g] of role('gateway')) expect(argv(g.healthcheck?.test)?.join(' '), name).toContain('/ready');
    expect(s.prometheus?.profiles).toEqual(['metrics']);
  });

  it('names only services that exist, and waits only on what can be waited on', () => {
    expect(checkReferences(compose)).toEqual([]);
  });

  it('sets only the environment variables the code reads', () => {
    const known = variablesReadByCode();
    expect([...known]).toEqual(
      expect.arrayContaining(['THREDS_JWT_SECRET', 'THREDS_PUBLIC_URL', 'TEMPORAL_ADDRESS', 'MONGO_URL']),
    );
    expect(known.has('THREDS_ERR_VALIDATION'), 'an error code is not a variable').toBe(false);
    expect(checkEnvironment(compose, known)).toEqual([]);
  });

  it('runs only threds commands that exist (bin/threds.ts COMMANDS)', () => {
    expect(checkCommands(compose, COMMANDS, agentNodeTypes())).toEqual([]);
  });

  it('pins every image', () => {
    expect(checkImages(compose)).toEqual([]);
  });

  it('has a health check on every service that serves', () => {
    expect(checkHealthchecks(compose)).toEqual([]);
  });

  it('takes secrets from the environment, without defaults', () => {
    expect(checkSecrets(compose, text)).toEqual([]);
  });

  it('mounts only files that exist', () => {
    expect(checkBindMounts(compose)).toEqual([]);
  });

  it('each check finds the problem it is for, on a broken copy', () => {
    const c = clone(compose);
    c.services['gateway-1']!.depends_on = { 'no-such-db': { condition: 'service_healthy' } };
    c.services.worker!.environment = { ...environmentOf(c.services.worker!), THREDS_NO_SUCH_SETTING: '1' };
    c.services.agents!.command = ['agent', 'org.example.unknown'];
    c.services['threds-setup']!.command = ['no-such-command'];
    c.services.mongodb!.image = 'mongo';
    c.services.postgresql!.image = 'postgres:latest';
    delete c.services['gateway-2']!.healthcheck;
    c.services.postgresql!.environment = { POSTGRES_PASSWORD: 'hunter2' };
    c.services['temporal-setup']!.volumes = ['./deploy/no-such-script.sh:/x.sh:ro'];
    c.services['temporal-setup']!.restart = 'always';
    expect(checkReferences(c)).toEqual([
      'temporal: waits for "temporal-setup" to complete, but temporal-setup has restart: always (it would run forever)',
      'gateway-1: depends_on names "no-such-db", which is not a service',
    ]);
    expect(checkEnvironment(c, variablesReadByCode())).toEqual([
      'worker: sets THREDS_NO_SUCH_SETTING, which no Threds code reads (bin/config.ts and the sources)',
    ]);
    expect(checkCommands(c, COMMANDS, agentNodeTypes())).toEqual(
      expect.arrayContaining([
        'threds-setup: runs "threds no-such-command", which is not a command in bin/threds.ts COMMANDS',
        'agents: runs agent "org.example.unknown", which config/agents.json does not define',
      ]),
    );
    expect(checkImages(c)).toEqual([
      'postgresql: image postgres:latest is not pinned (tag "latest")',
      'mongodb: image mongo has no tag (pin one)',
    ]);
    expect(checkHealthchecks(c)).toEqual(['gateway-2: serves on 3000 but has no healthcheck']);
    expect(checkSecrets(c, `${text}\n# \${THREDS_JWT_SECRET:-changeme}`)).toEqual([
      'postgresql: POSTGRES_PASSWORD must come from the environment as ${VAR:?message}, not "hunter2"',
      'docker-compose.yml: ${THREDS_JWT_SECRET:-changeme} gives a secret a default',
    ]);
    expect(checkBindMounts(c)).toEqual(['temporal-setup: mounts ./deploy/no-such-script.sh, which does not exist']);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(DOCKERFILE, 'utf8');

  it('builds in stages, runs unprivileged, and its entrypoint and default command exist', () => {
    expect(checkDockerfile(text, COMMANDS)).toEqual([]);
  });

  // The runtime stage rebuilt from the repository (build outputs aside, node_modules linked): every command the
  // compose file runs, and the image's default, loads from it, so no source a command imports is left out.
  it('ships every source the commands it runs import', { timeout: 120_000 }, () => {
    const runtime = dockerStages(text).at(-1)!;
    const cmd = runtime.lines.map((l) => jsonForm(l, 'CMD')).find(Boolean)?.[0];
    const commands = new Set([
      cmd,
      ...Object.values(loadCompose().services)
        .filter(isThredsImage)
        .map((s) => argv(s.command)?.[0]),
    ]);
    const modules = [...commands].filter((c) => c && existsSync(join(ROOT, 'bin', 'commands', `${c}.ts`)));
    expect(modules).toContain('gateway');
    const dir = mkdtempSync(join(tmpdir(), 'threds-image-'));
    try {
      for (const p of runtimeCopies(runtime).filter(
        (p) => !Object.keys(BUILD_OUTPUTS).some((o) => p === o || p.startsWith(`${o}/`)),
      )) {
        cpSync(join(ROOT, p), join(dir, p), { recursive: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      const script = `for (const c of ${JSON.stringify(modules)}) await import(\`./bin/commands/\${c}.ts\`);`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(r.status, `importing ${modules.join(', ')} from the runtime files failed:\n${r.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the check finds the problem it is for, on a broken copy', () => {
    const broken = text
      .replace('AS runtime', 'AS final')
      .replace('USER node', 'USER root')
      .replace('["node", "bin/threds.mjs"]', '["node", "bin/nowhere.mjs"]')
      .replace('CMD ["gateway"]', 'CMD ["gatewy"]')
      .replace('/app/deploy/probe.mjs', '/app/deploy/missing.mjs')
      .replace('RUN npm run build:web', 'RUN true')
      .replace('ENV NODE_ENV=production', 'ENV THREDS_JWT_SECRET=oops');
    expect(checkDockerfile(broken, COMMANDS)).toEqual([
      'Dockerfile: no stage "runtime"',
      'Dockerfile: stage final bakes a secret into the image (ENV THREDS_JWT_SECRET=oops)',
      'Dockerfile: the build stage does not build the web console',
      'Dockerfile: the runtime copies web/dist, which the build stage never produces',
      'Dockerfile: the runtime copies deploy/missing.mjs, which does not exist',
      'Dockerfile: the runtime stage runs as root (add USER)',
      'Dockerfile: ENTRYPOINT runs bin/nowhere.mjs, which does not exist',
      'Dockerfile: CMD runs "threds gatewy", which is not a command in bin/threds.ts',
    ]);
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  it('parses, and scrapes every Threds process at a port its compose service declares', () => {
    expect(checkPrometheus(readYaml(PROMETHEUS_FILE) as PromConfig, loadCompose())).toEqual([]);
  });

  it('the check finds the problem it is for, on a broken copy', () => {
    const p = readYaml(PROMETHEUS_FILE) as PromConfig;
    p.scrape_configs = p.scrape_configs!.filter((s) => s.job_name !== 'threds-agents');
    p.scrape_configs[0]!.static_configs = [{ targets: ['gateway-3:3000', 'gateway-1:9999'] }];
    expect(checkPrometheus(p, loadCompose())).toEqual([
      'prometheus.yml: job threds-gateway scrapes "gateway-3", which is not a compose service',
      'prometheus.yml: job threds-gateway scrapes gateway-1:9999, but gateway-1 declares no port 9999 (expose/ports)',
      'prometheus.yml: the Threds service gateway-2 is not scraped',
      'prometheus.yml: the Threds service agents is not scraped',
    ]);
  });

  it('the Grafana provisioning files parse and point at the compose Prometheus', () => {
    const ds = readYaml(join(ROOT, 'deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml')) as {
      datasources: { url: string }[];
    };
    const host = new URL(ds.datasources[0]!.url);
    expect(host.hostname).toBe('prometheus');
    expect(declaredPorts(loadCompose().services.prometheus!).has(Number(host.port))).toBe(true);
    const dash = readYaml(join(ROOT, 'deploy', 'grafana', 'provisioning', 'dashboards', 'threds.yml')) as {
      providers: { options: { path: string } }[];
    };
    const grafanaMounts = (loadCompose().services.grafana!.volumes ?? []).filter(
      (v): v is string => typeof v === 'string',
    );
    expect(grafanaMounts).toContain(`./deploy/grafana/dashboards:${dash.providers[0]!.options.path}:ro`);
  });
});
