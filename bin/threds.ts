/**
 * `threds` — one CLI for every entry point. Each command lives in bin/commands/<name>.ts and exports
 * `run(argv): Promise<number>` (the exit code); bin/threds.mjs calls `main` and only it sets the exit code.
 *
 * Exit codes: 0 done, 1 failed while running, 2 bad arguments (usage on stderr). `--help`/`-h` before a `--` prints
 * the command's usage on stdout and exits 0 without loading the command, so it never starts or connects to anything.
 */
import { UsageError } from './usage';

/** Shared by the ops commands' help (kept here: --help must not load a command module). */
const OPS_HELP = [
  'Connection: --url (THREDS_URL, default http://localhost:3000); auth: --token (THREDS_TOKEN), or --user <id> with',
  '--password (THREDS_PASSWORD) to log in (POST /login). --json prints the JSON the gateway answered.',
  'Exit codes: 0 done, 1 the gateway refused or failed (its error on stderr), 2 bad arguments.',
];

export interface CommandInfo {
  /** The synopsis after `threds `. */
  usage: string;
  /** One line: what it does. */
  summary: string;
  /** More lines printed by `threds <command> --help` (options, notes). */
  details?: string[];
  /** Takes no arguments: any is a usage error (exit 2) rather than silently ignored. */
  noArgs?: true;
}

// One entry per command; its module is bin/commands/<name>.ts.
export const COMMANDS: Record<string, CommandInfo> = {
  dev: {
    usage: 'dev',
    noArgs: true,
    summary: 'start the whole stack: embedded Temporal + FerretDB (unless configured), worker, agents and gateway',
  },
  worker: {
    usage: 'worker',
    noArgs: true,
    summary: 'run the thred worker (workflows and built-in activities) against TEMPORAL_ADDRESS / MONGO_URL',
  },
  gateway: { usage: 'gateway', noArgs: true, summary: 'run the HTTP/WebSocket gateway on THREDS_PORT' },
  setup: {
    usage: 'setup',
    noArgs: true,
    summary: 'prepare a Temporal cluster and MongoDB: namespace and retention, search attributes, indexes (idempotent)',
    details: [
      'Retention from THREDS_RETENTION (default 30d). Connects with TEMPORAL_ADDRESS, TEMPORAL_TLS_*, TEMPORAL_API_KEY.',
    ],
  },
  cluster: {
    usage: 'cluster',
    noArgs: true,
    summary:
      'run the production topology locally: Temporal server and FerretDB on PostgreSQL, 2 gateways, 2 workers, agents',
    details: [
      'Data under .data/cluster (kept across restarts). Gateways :3000 and :3001, Temporal :7233, its UI :8233.',
    ],
  },
  test: {
    usage: 'test [vitest args…]',
    summary: 'run every test suite against throwaway servers (or TEMPORAL_ADDRESS / MONGO_URL)',
    details: [
      'Other arguments go to `vitest run` (e.g. a file, -t "name", --project unit).',
      "Vitest's own help: threds test -- --help (npm test -- -- --help).",
    ],
  },
  agent: {
    usage: 'agent [nodeType…]',
    summary: 'run agents from agents.json in this process (default: every agent with an implementation)',
  },
  user: {
    usage: 'user add <participantId> --password <pw> [--roles a,b] [--name "Display Name"]',
    summary: 'create or update a participant who can log in (without --roles, stored roles are kept)',
  },
  token: {
    usage: 'token <participantId> [--roles a,b] [--ttl 1h]',
    summary: 'print an access token (for sensors and agents); ttl like 90s, 15m, 1h, 7d (default 1h)',
    details: ["Without --roles: the participant's stored roles plus its sessions-model roles."],
  },
  sensor: {
    usage:
      'sensor --id <participantId> [--interval 5s] [--count N] [--sensor-id sensor0] [--lat 51.5007] [--lon -0.1246] [--jitter 0] [--url http://localhost:3000] [--roles a,b]',
    summary: 'post detection events to the gateway (demo, load)',
  },
  bench: {
    usage: 'bench [--duration 15s] [--concurrency 8] [--idle 10000] [--long 3000] [--profile [--profile-dir D]]',
    summary: 'benchmark Threds against bare Temporal (starts its own servers; results under bench/results/)',
  },
  simulate: {
    usage: 'simulate <pattern.json> <events.json> [--json] [--agents nodeType,…] [--now ms]',
    summary: 'dry-run a pattern over events, no servers touched (exit 1: pattern invalid)',
  },
  validate: {
    usage: 'validate <pattern.json> [--json]',
    summary: 'print the validation report of a pattern (exit 1: invalid)',
  },
  diagram: {
    usage: 'diagram <pattern.json>',
    summary: 'print the pattern as a Mermaid stateDiagram-v2 (exit 1: invalid)',
  },
  cover: {
    usage: 'cover <pattern.json> [--out dir] [--json]',
    summary: 'generate event sequences taking every transition, run them in the simulator, print coverage',
    details: [
      '--out dir writes dir/path-N/events.json (input for threds simulate); --json prints the whole report.',
      'Exit codes: 0 every transition covered, 1 some not (each printed with the condition that stopped it) or invalid.',
    ],
  },
  // Ops commands: through the gateway's HTTP API only (bin/commands/ops-client.ts).
  threds: {
    usage:
      'threds list [--pattern P] [--status S] [--reaction R] [--limit N] | show <thredId> | ' +
      'terminate|reset|transition <thredId…|--query Q|--pattern P --status S --reaction R> [--to …] [--reason R] ' +
      '[--reapply-exclude signals,updates] [--dry-run] [--wait] | batch <batchId> [--wait]',
    summary: 'list, show, terminate, reset and transition threds through the gateway (one by one, or a batch)',
    details: [
      'transition --to <reaction>; reset --to last|first|<event id> (default last). Ids act one by one; --query (a',
      'Temporal visibility query) or --pattern/--status/--reaction start one batch (POST /threds/batch); --dry-run',
      'prints what it would select, --wait follows it to the end (exit 1 if any thred failed).',
      ...OPS_HELP,
    ],
  },
  'dead-letters': {
    usage: 'dead-letters list [--limit N] | retry <id> | delete <id>',
    summary: 'agent messages whose retries ran out: list, re-deliver once, delete (through the gateway)',
    details: OPS_HELP,
  },
  patterns: {
    usage:
      'patterns list | get <id> [--version N] | put <pattern.json> [--id id] | validate <pattern.json> | versions <id>',
    summary: 'pattern administration through the gateway (validate: exit 1 when invalid)',
    details: OPS_HELP,
  },
};

/** `threds <command> --help`: synopsis, summary and details. */
export function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return [`Usage: threds ${c.usage}`, '', `  ${c.summary}`, ...(c.details ?? []).map((d) => `  ${d}`)].join('\n');
}

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: threds <command> [options]      (threds <command> --help for its options)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration is read from the environment (see README: TEMPORAL_ADDRESS, MONGO_URL, THREDS_PORT, …).',
    'Exit codes: 0 done, 1 failed, 2 bad arguments.',
  ].join('\n');
}

const isHelp = (arg: string) => arg === '--help' || arg === '-h';

/** Help is asked for when a help flag comes before any `--` (what follows `--` belongs to the command). */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some(isHelp);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    console.error(usage());
    return 2;
  }
  if (isHelp(command) || command === 'help') {
    const topic = rest[0];
    if (command === 'help' && topic !== undefined && Object.hasOwn(COMMANDS, topic)) console.log(commandHelp(topic));
    else console.log(usage());
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    console.error(`threds: unknown command "${command}"\n\n${usage()}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    console.log(commandHelp(command));
    return 0;
  }
  try {
    if (COMMANDS[command]!.noArgs && rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const mod = (await import(`./commands/${command}.ts`)) as { run: (argv: string[]) => Promise<number> };
    return await mod.run(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`threds ${command}: ${err.message}\nUsage: threds ${COMMANDS[command]!.usage}`);
    return 2;
  }
}
