/**
 * `threds simulate <pattern.json> <events.json> [--json] [--agents a,b] [--now ms]` — dry-runs events
 * through one thred of a pattern (no servers) and prints each step, or the whole trace as JSON.
 *
 * events.json: an array of events (or `{ "events": [...], "agents": [...], "groups": {...}, "now": n }`).
 * Agents default to `org.wt.persistence` (nodeIds matching `org.wt.persistence*` must be listed to count).
 * Exit code: 0 ran, 1 pattern invalid, 2 usage (UsageError; usage text in bin/threds.ts) or unreadable file.
 */
import { readFile } from 'node:fs/promises';
import {
  simulate,
  type AgentAddress,
  type Effect,
  type SimulationTrace,
  type SimulateOptions,
} from '../../patterns/index';
import { UsageError } from '../usage';

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** One line per effect, readable at a glance. */
export function summarizeEffect(effect: Effect): string {
  switch (effect.type) {
    case 'message.send':
      return `message.send   ${effect.message.event.type} "${effect.message.event.data?.title ?? ''}" → ${effect.message.to.join(', ')}`;
    case 'agent.call':
      return `agent.call     ${effect.nodeType}${effect.nodeId ? ` (${effect.nodeId})` : ''} "${effect.message.event.data?.title ?? ''}" id=${effect.message.event.id}`;
    case 'timer.start':
      return `timer.start    ${effect.reaction}#${effect.generation} in ${effect.ms} ms`;
    case 'timer.cancel':
      return `timer.cancel   ${effect.reaction}#${effect.generation}`;
    case 'thred.log':
      return `thred.log      ${effect.kind} ${effect.from ?? '∅'} → ${effect.to ?? '∅'}${effect.detail ? ` (${effect.detail})` : ''}`;
    case 'thred.end':
      return `thred.end      ${effect.status}`;
    case 'thred.spawn':
      return `thred.spawn    ${effect.spawnType} ${effect.patternIds.join(', ')} input=${effect.input}`;
    case 'error':
      return `error          ${effect.code} to ${effect.scope}: ${effect.message}`;
    default: {
      const never: never = effect;
      return `unknown effect ${JSON.stringify(never)}`;
    }
  }
}

/** The human-readable trace. */
export function formatTrace(trace: SimulationTrace): string {
  const lines: string[] = [];
  if (!trace.valid) {
    lines.push('pattern INVALID:');
    for (const e of trace.errors) lines.push(`  error   ${e.path}: ${e.reason}`);
    return lines.join('\n');
  }
  for (const w of trace.warnings) lines.push(`warning ${w.path}: ${w.reason}`);
  lines.push(`pattern ${trace.patternId ?? '?'} · thred ${trace.thredId ?? '(not started)'}`);
  for (const step of trace.steps) {
    const head =
      step.kind === 'expiry'
        ? `#${step.index} t=${step.time} expiry of ${step.timer?.reaction}#${step.timer?.generation}`
        : `#${step.index} t=${step.time} ${step.event?.id} ${step.event?.type} from ${step.event?.source.id}`;
    lines.push(head);
    const outcome = step.started ? 'started thred; ' : '';
    const matched =
      step.kind === 'expiry'
        ? `expired ${step.from ?? '∅'}`
        : step.matched
          ? `matched ${step.reaction ?? step.from ?? '∅'}`
          : 'no match';
    lines.push(
      `   ${outcome}${matched} → ${step.to ?? '∅'} [${step.status ?? 'no thred'}]${step.note ? ` (${step.note})` : ''}`,
    );
    if (step.error) lines.push(`   error ${step.error.code}: ${step.error.message}`);
    for (const effect of step.effects) lines.push(`   - ${summarizeEffect(effect)}`);
  }
  if (trace.final)
    lines.push(
      `final: ${trace.final.status} at ${trace.final.reaction ?? '∅'}, participants [${trace.final.participants.join(', ')}]`,
    );
  return lines.join('\n');
}

/** Runs the command; returns the process exit code (never calls process.exit). */
export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const agentsArg = option(argv, '--agents');
  const nowArg = option(argv, '--now');
  const files = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--agents' && argv[i - 1] !== '--now');
  const [patternFile, eventsFile] = files;
  if (patternFile === undefined || eventsFile === undefined || files.length > 2) {
    throw new UsageError('expected <pattern.json> <events.json>');
  }
  let pattern: unknown;
  let eventsDoc: unknown;
  try {
    pattern = JSON.parse(await readFile(patternFile, 'utf8'));
    eventsDoc = JSON.parse(await readFile(eventsFile, 'utf8'));
  } catch (err) {
    console.error(`cannot read input: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const doc = (Array.isArray(eventsDoc) ? { events: eventsDoc } : eventsDoc) as {
    events?: unknown;
    agents?: AgentAddress[];
    groups?: Record<string, string[]>;
    now?: number;
  };
  if (!Array.isArray(doc.events)) {
    console.error(`${eventsFile}: expected an array of events or { "events": [...] }`);
    return 2;
  }
  const agents: AgentAddress[] =
    agentsArg !== undefined
      ? agentsArg
          .split(',')
          .filter(Boolean)
          .map((nodeType) => ({ nodeType }))
      : (doc.agents ?? [{ nodeType: 'org.wt.persistence' }]);
  const opts: SimulateOptions = { agents };
  if (doc.groups !== undefined) opts.groups = doc.groups;
  const now = nowArg !== undefined ? Number(nowArg) : doc.now;
  if (now !== undefined && Number.isFinite(now)) opts.now = now;
  const trace = await simulate(pattern, doc.events as Parameters<typeof simulate>[1], opts);
  console.log(json ? JSON.stringify(trace, null, 2) : formatTrace(trace));
  return trace.valid ? 0 : 1;
}
