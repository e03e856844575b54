/**
 * Per-case figures (the README's "what each fault costs"): counted from a case's tally and outcome, printed as one
 * table at the end of the run and written to test-results/faults.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../bin/stack';
import { CLIENT_TIMEOUT_MS, is503Shape, type Attempt, type Tally } from './client';
import type { Outcome } from './checks';

export interface CaseFigures {
  case: string;
  fault: string;
  acked: number;
  lost: number;
  dup: number;
  stuck: number;
  unacked: number;
  requests: number;
  /** 503 answers to POST /events, and those without the error shape. */
  s503: number;
  s503Unshaped: number;
  /** Connection refused/reset (the gateway process itself down). */
  connErrors: number;
  /** Requests unanswered after CLIENT_TIMEOUT_MS. */
  hangs: number;
  /** Statuses other than 202/503 (each one a failure). */
  other: number;
  /** Slowest 503 and slowest answer of any kind, ms. */
  max503Ms: number | null;
  maxAnswerMs: number;
  /** Fault start → the faulted part back (restarted and ready, or resumed). */
  outageMs: number | null;
  /** See `recoveryBasis`. */
  recoverMs: number | null;
  recoveryBasis: string;
  /** GET /ready answers while the part was down: 503s and 200s. */
  ready503: number | null;
  ready200: number | null;
  notes: string[];
}

export const figures: CaseFigures[] = [];

/** First 202 answered at or after `from`, as ms after `from`. */
export function first202After(tally: Tally, from: number): number | null {
  const t = tally.attempts.filter((a) => a.status === 202 && a.doneAt >= from).map((a) => a.doneAt);
  return t.length ? Math.min(...t) - from : null;
}

export function countTally(tally: Tally) {
  const a = tally.attempts;
  const of = (p: (x: Attempt) => boolean) => a.filter(p);
  const s503 = of((x) => x.status === 503);
  return {
    requests: a.length,
    s503: s503.length,
    s503Unshaped: s503.filter((x) => !is503Shape(x.body)).length,
    connErrors: of((x) => x.status === 0).length,
    hangs: of((x) => x.status === -1).length,
    other: of((x) => ![202, 503, 0, -1].includes(x.status)).length,
    max503Ms: s503.length ? Math.max(...s503.map((x) => x.doneAt - x.sentAt)) : null,
    maxAnswerMs: a.length ? Math.max(...a.filter((x) => x.status !== -1).map((x) => x.doneAt - x.sentAt), 0) : 0,
  };
}

export function record(
  name: string,
  fault: string,
  tally: Tally,
  outcome: Outcome,
  extra: Partial<Pick<CaseFigures, 'outageMs' | 'recoverMs' | 'recoveryBasis' | 'ready503' | 'ready200' | 'notes'>>,
): CaseFigures {
  const f: CaseFigures = {
    case: name,
    fault,
    acked: outcome.acked,
    lost: outcome.lost.length,
    dup: outcome.dup.length,
    stuck: outcome.stuck.length,
    unacked: outcome.unacked.length,
    ...countTally(tally),
    outageMs: extra.outageMs ?? null,
    recoverMs: extra.recoverMs ?? null,
    recoveryBasis: extra.recoveryBasis ?? '-',
    ready503: extra.ready503 ?? null,
    ready200: extra.ready200 ?? null,
    notes: extra.notes ?? [],
  };
  figures.push(f);
  return f;
}

const cell = (v: number | null) => (v === null ? '-' : String(v));

export function summaryTable(): string {
  const head = [
    'case',
    'acked',
    'lost',
    'dup',
    'stuck',
    '503s',
    'unshaped',
    'conn err',
    'hangs',
    'other',
    'max 503 ms',
    'outage ms',
    'recover ms',
    'ready 503/200',
  ];
  const rows = figures.map((f) => [
    f.case,
    cell(f.acked),
    cell(f.lost),
    cell(f.dup),
    cell(f.stuck),
    cell(f.s503),
    cell(f.s503Unshaped),
    cell(f.connErrors),
    cell(f.hangs),
    cell(f.other),
    cell(f.max503Ms),
    cell(f.outageMs),
    cell(f.recoverMs),
    f.ready503 === null ? '-' : `${f.ready503}/${f.ready200}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const basis = figures.map(
    (f) => `  ${f.case}: ${f.fault}; recover = ${f.recoveryBasis}${f.notes.length ? ` (${f.notes.join('; ')})` : ''}`,
  );
  return [
    `Fault suite (hang = no answer within ${CLIENT_TIMEOUT_MS} ms)`,
    line(head),
    ...rows.map(line),
    ...basis,
  ].join('\n');
}

export function writeFigures(): string {
  const dir = join(projectRoot, 'test-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'faults.json');
  writeFileSync(
    file,
    JSON.stringify({ at: new Date().toISOString(), clientTimeoutMs: CLIENT_TIMEOUT_MS, cases: figures }, null, 2) +
      '\n',
  );
  return file;
}
