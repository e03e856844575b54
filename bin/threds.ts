/**
 * `threds` — one CLI for every entry point. Each command lives in bin/commands/<name>.ts and exports
 * `run(argv): Promise<number>` (the exit code); only this file exits the process.
 */
const COMMANDS: Record<string, string> = {
  dev: 'start the whole stack: embedded Temporal + FerretDB (unless configured), worker and gateway',
  worker: 'run the thred worker (workflows and built-in activities) against TEMPORAL_ADDRESS / MONGO_URL',
  gateway: 'run the HTTP/WebSocket gateway on THREDS_PORT',
  test: 'run every test suite against throwaway servers (or TEMPORAL_ADDRESS / MONGO_URL)',
  agent: 'agent <nodeType> — run one agent process (a Temporal activity worker on the queue named by nodeType)',
  user: 'user add <participantId> --password <pw> [--roles a,b] — create or update a participant',
  token: 'token <participantId> [--roles a,b] [--ttl 1h] — print an access token (for sensors and agents)',
  sensor:
    'sensor --id <participantId> [--interval 5s] [--count N] [--sensor-id sensor0] [--lat … --lon …] [--url http://localhost:3000] — post detection events (demo, load)',
  bench: 'bench [--duration 15s] [--concurrency 8] [--idle 10000] [--long 3000] — Threds vs bare Temporal',
  simulate: 'simulate <pattern.json> <events.json> [--json] — dry-run a pattern, no servers touched',
  validate: 'validate <pattern.json> — print the validation report; exit 1 on errors',
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: threds <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`),
    '',
    'Configuration is read from the environment (see README: TEMPORAL_ADDRESS, MONGO_URL, THREDS_PORT, …).',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage());
    return command ? 0 : 1;
  }
  if (!(command in COMMANDS)) {
    console.error(`threds: unknown command "${command}"\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(`./commands/${command}.ts`)) as { run: (argv: string[]) => Promise<number> };
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
