/**
 * `threds threds list|show|terminate|reset|transition|batch` — find and act on threds through the gateway's HTTP API
 * (bin/commands/ops-client.ts: connection, auth, output, exit codes). Ids act one by one through the single-thred
 * routes; `--query` or filter flags (--pattern/--status/--reaction) start one batch (POST /threds/batch), which
 * `--wait` follows to the end and `--dry-run` only counts.
 */
import { UsageError } from '../usage';
import { connect, enc, guarded, noMore, one, parse, printJson, subcommand, table, time, type Api } from './ops-client';

const SUBCOMMANDS = ['list', 'show', 'terminate', 'reset', 'transition', 'batch'] as const;
const STATUSES = ['active', 'finished', 'terminated'];
const RESET_POINTS: Record<string, string> = { last: 'last-workflow-task', first: 'first-workflow-task' };

interface ThredView {
  thredId: string;
  patternId: string;
  status: string;
  reaction: string | null;
  participants: string[];
  locals: Record<string, unknown>;
  startTime: number;
  updateTime: number;
  endTime?: number;
  parentThredId?: string;
  childThredIds: string[];
}

interface BatchView {
  batchId: string;
  op: string;
  state: string;
  total: number;
  done: number;
  failed: number;
  errors: { thredId: string; reason: string }[];
  query: string;
}

const OPTIONS = {
  pattern: { type: 'string' },
  status: { type: 'string' },
  reaction: { type: 'string' },
  limit: { type: 'string' },
  query: { type: 'string' },
  to: { type: 'string' },
  reason: { type: 'string' },
  'reapply-exclude': { type: 'string' },
  'dry-run': { type: 'boolean' },
  wait: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

function only(values: Values, allowed: string[], sub: string): void {
  const given = Object.keys(values).filter((k) => !['url', 'token', 'user', 'password', 'json'].includes(k));
  const extra = given.find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new UsageError(`--${extra} does not apply to "${sub}"`);
}

function status(values: Values): string | undefined {
  if (values.status !== undefined && !STATUSES.includes(values.status)) {
    throw new UsageError(`--status: must be one of ${STATUSES.join(', ')} (got "${values.status}")`);
  }
  return values.status;
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${flag}: must be a positive whole number (got "${value}")`);
  return n;
}

async function list(api: Api, values: Values): Promise<number> {
  const limit = positiveInt(values.limit, 'limit', 100);
  const st = status(values);
  // GET /threds has no reaction filter: page on and keep the threds in that reaction.
  const found: ThredView[] = [];
  let cursor: string | undefined;
  do {
    const q = new URLSearchParams({
      limit: String(Math.min(500, limit)),
      ...(values.pattern !== undefined && { pattern: values.pattern }),
      ...(st !== undefined && { status: st }),
      ...(cursor !== undefined && { cursor }),
    });
    const page = await api.request<{ threds: ThredView[]; nextCursor?: string }>('GET', `/threds?${q}`);
    found.push(...page.threds.filter((t) => values.reaction === undefined || t.reaction === values.reaction));
    cursor = page.nextCursor;
  } while (cursor !== undefined && found.length < limit);
  const threds = found.slice(0, limit);
  if (values.json) printJson({ threds });
  else if (threds.length === 0) console.log('no threds');
  else {
    console.log(
      table(
        ['THRED', 'PATTERN', 'STATUS', 'REACTION', 'UPDATED'],
        threds.map((t) => [t.thredId, t.patternId, t.status, t.reaction, time(t.updateTime)]),
      ),
    );
  }
  return 0;
}

async function show(api: Api, id: string, json: boolean | undefined): Promise<number> {
  const t = await api.request<ThredView>('GET', `/threds/${enc(id)}`);
  if (json) {
    printJson(t);
    return 0;
  }
  const rows: [string, string][] = [
    ['thred', t.thredId],
    ['pattern', t.patternId],
    ['status', t.status],
    ['reaction', t.reaction ?? '-'],
    ['participants', t.participants.join(', ') || '-'],
    ['started', time(t.startTime)],
    ['updated', time(t.updateTime)],
    ['ended', time(t.endTime)],
    ...(t.parentThredId !== undefined ? ([['parent', t.parentThredId]] as [string, string][]) : []),
    ['children', t.childThredIds.join(', ') || '-'],
    ['locals', JSON.stringify(t.locals)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  return 0;
}

/** The op's arguments, for the single-thred route body and the batch body alike. */
function opArgs(op: string, values: Values): Record<string, unknown> {
  const reason = values.reason !== undefined ? { reason: values.reason } : {};
  if (op === 'terminate') return reason;
  if (op === 'transition') {
    if (values.to === undefined) throw new UsageError('transition needs --to <reaction>');
    return { transition: { name: values.to } };
  }
  const raw = values.to ?? 'last';
  const to = RESET_POINTS[raw] ?? (/^[1-9]\d*$/.test(raw) ? Number(raw) : undefined);
  if (to === undefined) throw new UsageError(`--to: must be last, first or a workflow task event id (got "${raw}")`);
  const exclude = values['reapply-exclude']
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (exclude?.some((e) => e !== 'signals' && e !== 'updates')) {
    throw new UsageError('--reapply-exclude: a comma list of signals, updates');
  }
  return { to, ...reason, ...(exclude && { reapplyExclude: exclude }) };
}

function printBatch(b: BatchView): void {
  console.log(`batch ${b.batchId}: ${b.op} ${b.state}, ${b.done} done, ${b.failed} failed of ${b.total}`);
  for (const e of b.errors) console.log(`  ${e.thredId}: ${e.reason}`);
}

async function follow(api: Api, batchId: string): Promise<BatchView> {
  for (;;) {
    const b = await api.request<BatchView>('GET', `/threds/batch/${enc(batchId)}`);
    if (b.state !== 'running') return b;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Which threds an op acts on: ids, or a batch selection; contradictions are usage errors. */
function selection(ids: string[], values: Values) {
  const filter = {
    ...(values.pattern !== undefined && { pattern: values.pattern }),
    ...(status(values) !== undefined && { status: values.status }),
    ...(values.reaction !== undefined && { reaction: values.reaction }),
  };
  const selecting = values.query !== undefined || Object.keys(filter).length > 0;
  if (ids.length > 0 && selecting)
    throw new UsageError('give thred ids or --query/--pattern/--status/--reaction, not both');
  if (ids.length === 0 && !selecting)
    throw new UsageError('missing <thredId…> (or --query, --pattern, --status, --reaction)');
  if (values.query !== undefined && Object.keys(filter).length > 0) {
    throw new UsageError('--query and --pattern/--status/--reaction do not go together');
  }
  if (!selecting && (values['dry-run'] || values.wait))
    throw new UsageError('--dry-run and --wait are for --query or filter selections');
  return { filter, selecting };
}

async function act(api: Api, op: string, ids: string[], values: Values): Promise<number> {
  const { filter, selecting } = selection(ids, values);
  const args = opArgs(op, values);

  if (!selecting) {
    let failed = 0;
    const results: Record<string, unknown>[] = [];
    for (const id of ids) {
      try {
        const r = await api.request<Record<string, unknown>>('POST', `/threds/${enc(id)}/${op}`, args);
        results.push(r);
        if (!values.json) {
          console.log(
            op === 'reset'
              ? `${id}: reset to event ${String(r.resetEventId)} (run ${String(r.runId)})`
              : `${id}: ${String(r.status)} ${String(r.reaction ?? '')}`.trimEnd(),
          );
        }
      } catch (err) {
        failed++;
        const e = err as { message: string; body?: unknown };
        results.push({ thredId: id, error: e.body ?? { message: e.message } });
        if (!values.json) console.error(`threds: ${id}: ${e.message}`);
      }
    }
    if (values.json) printJson({ results });
    return failed > 0 ? 1 : 0;
  }

  const body = {
    op,
    ...(values.query !== undefined ? { query: values.query } : { filter }),
    ...args,
    ...(values['dry-run'] && { dryRun: true }),
  };
  const answer = await api.request<BatchView & { count?: number; thredIds?: string[] }>('POST', '/threds/batch', body);
  if (values['dry-run']) {
    if (values.json) printJson(answer);
    else {
      console.log(
        `${answer.count} thred(s) would be ${op === 'reset' ? 'reset' : op === 'terminate' ? 'terminated' : 'transitioned'}`,
      );
      for (const id of answer.thredIds ?? []) console.log(`  ${id}`);
    }
    return 0;
  }
  const final = values.wait ? await follow(api, answer.batchId) : answer;
  if (values.json) printJson(final);
  else if (values.wait) printBatch(final);
  else console.log(`batch ${final.batchId} started (${op}); follow it: threds threds batch ${final.batchId}`);
  return final.state === 'failed' || (values.wait && final.failed > 0) ? 1 : 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  const [sub, rest] = subcommand(positionals, SUBCOMMANDS);
  const conn = { url: values.url, token: values.token, user: values.user, password: values.password };
  switch (sub) {
    case 'list':
      only(values, ['pattern', 'status', 'reaction', 'limit'], sub);
      noMore(rest);
      status(values);
      positiveInt(values.limit, 'limit', 1);
      return guarded(values.json, async () => list(await connect(conn), values));
    case 'show': {
      only(values, [], sub);
      const id = one(rest, '<thredId>');
      return guarded(values.json, async () => show(await connect(conn), id, values.json));
    }
    case 'batch': {
      only(values, ['wait'], sub);
      const id = one(rest, '<batchId>');
      return guarded(values.json, async () => {
        const api = await connect(conn);
        const b = values.wait ? await follow(api, id) : await api.request<BatchView>('GET', `/threds/batch/${enc(id)}`);
        if (values.json) printJson(b);
        else printBatch(b);
        return b.state === 'failed' || (values.wait && b.failed > 0) ? 1 : 0; // as for an acting command with --wait
      });
    }
    default: {
      const allowed = ['pattern', 'status', 'reaction', 'query', 'reason', 'dry-run', 'wait'];
      if (sub !== 'terminate') allowed.push('to');
      if (sub === 'reset') allowed.push('reapply-exclude');
      only(values, allowed, sub);
      // Usage errors before connecting.
      selection(rest, values);
      opArgs(sub, values);
      return guarded(values.json, async () => act(await connect(conn), sub, rest, values));
    }
  }
}
