/**
 * dataControl (SPEC §14): persistence tasks (SPEC §6, compiled by activities/persistence-query.ts, so the same
 * closed operator lists apply) run against Threds' own pattern store only — `patterns` (read and write; a write is
 * validated like PUT /patterns/:id and takes effect at once on this gateway), and read-only `events` and
 * `thred_log`. The original platform's type names (`PatternModel`, `EventRecord`, `ThredLogRecord`) name the same
 * collections. Patterns and events are stored as JSON text, so their matchers are evaluated in memory (matcher.ts);
 * events are first narrowed by the plain columns the matcher constrains. Task groups run in order, not as a
 * transaction (the store need not have them). Failures carry SPEC §7 codes (TaskError).
 */
import {
  compileTasks,
  fromDocument,
  type CompiledItem,
  type CompiledTask,
  type Doc,
} from '../../store/persistence-query';
import { TaskError } from '../../store/task-error';
import { ErrorCodes } from '../../patterns/effects';
import { validatePattern, type Pattern } from '../../patterns';
import type { Store } from '../../store';
import type { Router } from '../routing';
import { summarize } from '../errors';
import { matches, project, sortBy } from './matcher';
import { eventRecord } from './views';

const COLLECTIONS: Record<string, 'patterns' | 'events' | 'thred_log'> = {
  patterns: 'patterns',
  PatternModel: 'patterns',
  events: 'events',
  EventRecord: 'events',
  thred_log: 'thred_log',
  ThredLogRecord: 'thred_log',
};
const READS = new Set(['get', 'getOne', 'count']);
/** Results one `get` returns at most. */
const MAX_RESULTS = 1000;
/** Events read from the store for one events task before the in-memory matcher runs. */
const EVENT_SCAN = 10_000;
/** EventRecord fields that are plain columns of the events collection (pushed down to the store). */
const EVENT_COLUMNS: Record<string, string> = { _id: '_id', to: 'to', direction: 'direction', timestamp: 'storedAt' };

const refuse = (path: string, reason: string, code: number) => new TaskError(`${path}: ${reason}`, code, { path });

export function createDataControl(deps: { store: Store; router: Router; now: () => number }) {
  const { store, router } = deps;

  const patternDocs = async (): Promise<Doc[]> =>
    (await store.patterns.list()).map(({ id, ...rest }) => ({ _id: id, ...rest }) as Doc);

  /** Validates and stores a pattern document; answers its id. `create`: refuse an id already stored. */
  async function savePattern(doc: Doc, path: string, create = false): Promise<string> {
    const { _id, ...rest } = doc;
    const report = validatePattern(_id === undefined ? rest : { ...rest, id: _id });
    if (!report.valid || !report.pattern) {
      throw refuse(path, summarize('invalid pattern', report.errors), ErrorCodes.ARGUMENT_VALIDATION_ERROR);
    }
    const id = report.pattern.id as string;
    if (create && (await store.patterns.get(id))) {
      throw refuse(path, `pattern ${id} already exists`, ErrorCodes.OBJECT_ALREADY_EXISTS);
    }
    await store.patterns.put(report.pattern as Pattern, deps.now());
    return id;
  }

  function applyUpdate(doc: Doc, update: Doc, nowFields: string[]): Doc {
    const out = structuredClone(doc);
    const setPath = (path: string, fn: (old: unknown) => unknown) => {
      const segs = path.split('.');
      let o: Doc = out;
      for (const s of segs.slice(0, -1)) o = (o[s] ??= {}) as Doc;
      const last = segs[segs.length - 1]!;
      o[last] = fn(o[last]);
    };
    for (const [op, fields] of Object.entries(update)) {
      for (const [f, v] of Object.entries(fields as Doc)) {
        switch (op) {
          case '$set':
            setPath(f, () => v);
            break;
          case '$inc':
            setPath(f, (o) => (typeof o === 'number' ? o : 0) + (v as number));
            break;
          case '$mul':
            setPath(f, (o) => (typeof o === 'number' ? o : 0) * (v as number));
            break;
          case '$min':
            setPath(f, (o) => (o === undefined || (v as number) < (o as number) ? v : o));
            break;
          case '$max':
            setPath(f, (o) => (o === undefined || (v as number) > (o as number) ? v : o));
            break;
          case '$push':
            setPath(f, (o) => [...(Array.isArray(o) ? o : []), v]);
            break;
          case '$addToSet':
            setPath(f, (o) => {
              const a = Array.isArray(o) ? o : [];
              return a.some((x) => JSON.stringify(x) === JSON.stringify(v)) ? a : [...a, v];
            });
            break;
          case '$pull':
            setPath(f, (o) => (Array.isArray(o) ? o.filter((x) => !matches({ x }, { x: v })) : o));
            break;
        }
      }
    }
    for (const f of nowFields) setPath(f, () => deps.now());
    return out;
  }

  async function onPatterns(t: CompiledTask): Promise<unknown> {
    const docs = await patternDocs();
    const matched = () => docs.filter((d) => matches(d, t.filter ?? {}));
    const out = (d: Doc) => fromDocument(project(d, t.projection));
    let result: unknown;
    switch (t.op) {
      case 'getOne':
        result = matched()[0] ? out(matched()[0]!) : null;
        return result;
      case 'get': {
        const found = sortBy(matched(), t.sort).slice(t.skip ?? 0);
        return found.slice(0, Math.min(t.limit ?? MAX_RESULTS, MAX_RESULTS)).map(out);
      }
      case 'count':
        return matched().length;
      case 'put': {
        const ids: string[] = [];
        for (const [i, d] of t.docs!.entries()) {
          ids.push(await savePattern(d, t.many ? `${t.path}/params/values/${i}` : `${t.path}/params/values`, true));
        }
        return t.many ? ids : ids[0];
      }
      case 'replace': {
        const target = matched()[0];
        if (!target) return { matchedCount: 0, modifiedCount: 0, upsertedId: null };
        await savePattern({ ...t.docs![0], _id: target._id }, `${t.path}/params/values`);
        return { matchedCount: 1, modifiedCount: 1, upsertedId: null };
      }
      case 'update':
      case 'upsert': {
        const targets = t.op === 'upsert' ? matched().slice(0, 1) : matched();
        for (const d of targets)
          await savePattern(applyUpdate(d, t.update ?? {}, t.nowFields ?? []), `${t.path}/params/values`);
        if (targets.length > 0 || t.op === 'update') {
          return {
            matchedCount: targets.length,
            modifiedCount: targets.length,
            ...(t.op === 'upsert' && { upsertedId: null }),
          };
        }
        // Upsert without a match: the matcher's equality fields plus the update make the new pattern.
        const base: Doc = {};
        for (const [k, v] of Object.entries(t.filter ?? {}))
          if (!k.startsWith('$') && (typeof v !== 'object' || v === null)) base[k] = v;
        const created = applyUpdate(base, t.update ?? {}, t.nowFields ?? []);
        if (typeof created._id !== 'string')
          throw refuse(`${t.path}/params/matcher`, 'an upserted pattern needs matcher.id', ErrorCodes.MISSING_ARGUMENT);
        await savePattern(created, `${t.path}/params/values`);
        return { matchedCount: 0, modifiedCount: 0, upsertedId: created._id };
      }
      case 'delete': {
        let deletedCount = 0;
        for (const d of matched()) if (await store.patterns.delete(String(d._id))) deletedCount++;
        return { deletedCount };
      }
    }
  }

  async function onEvents(t: CompiledTask): Promise<unknown> {
    const filter = t.filter ?? {};
    const pushdown: Doc = {};
    for (const [k, v] of Object.entries(filter)) {
      // An unbound event names the threds it went to in `thredIds`.
      if (k === 'thredId') pushdown.$or = [{ thredId: v }, { thredIds: v }];
      else if (EVENT_COLUMNS[k]) pushdown[EVENT_COLUMNS[k]] = v;
    }
    const candidates = (await store.events.query(pushdown, EVENT_SCAN)).map((e) => {
      const { id, ...rest } = eventRecord(e);
      return { _id: id, ...rest } as Doc;
    });
    const found = sortBy(
      candidates.filter((d) => matches(d, filter)),
      t.sort,
    );
    const out = (d: Doc) => fromDocument(project(d, t.projection));
    if (t.op === 'count') return found.length;
    if (t.op === 'getOne') return found[0] ? out(found[0]) : null;
    return found
      .slice(t.skip ?? 0)
      .slice(0, Math.min(t.limit ?? MAX_RESULTS, MAX_RESULTS))
      .map(out);
  }

  async function onThredLog(t: CompiledTask): Promise<unknown> {
    const filter = t.filter ?? {};
    if (t.op === 'count') return store.thredLog.count(filter);
    const limit = t.op === 'getOne' ? 1 : Math.min(t.limit ?? MAX_RESULTS, MAX_RESULTS);
    const records = await store.thredLog.query(filter, {
      ...(t.sort && { sort: t.sort }),
      ...(t.skip !== undefined && { skip: t.skip }),
      limit,
    });
    const out = records.map((r) => fromDocument(project(r as unknown as Doc, t.projection)));
    return t.op === 'getOne' ? (out[0] ?? null) : out;
  }

  function check(t: CompiledTask): 'patterns' | 'events' | 'thred_log' {
    if (t.dbname !== undefined) {
      throw refuse(
        `${t.path}/options/dbname`,
        "dataControl reaches only Threds' pattern store",
        ErrorCodes.UNAUTHORIZED,
      );
    }
    const coll = Object.hasOwn(COLLECTIONS, t.collection) ? COLLECTIONS[t.collection]! : undefined;
    if (!coll) {
      throw refuse(
        `${t.path}/params/type`,
        `collection "${t.collection}" is not reachable (patterns; events and thred_log read-only)`,
        ErrorCodes.ARGUMENT_VALIDATION_ERROR,
      );
    }
    if (coll !== 'patterns' && !READS.has(t.op)) {
      throw refuse(`${t.path}/op`, `${coll} is read-only (get, getOne, count)`, ErrorCodes.UNAUTHORIZED);
    }
    return coll;
  }

  return {
    /** Runs `content.tasks`; answers `{ result: [one entry per task] }` (a group gives an array). */
    async run(tasks: unknown): Promise<{ result: unknown[] }> {
      const items: CompiledItem[] = compileTasks(tasks, MAX_RESULTS);
      items.flat().forEach(check); // every refusal before any task runs
      const runOne = async (t: CompiledTask) => {
        const coll = check(t);
        return coll === 'patterns' ? onPatterns(t) : coll === 'events' ? onEvents(t) : onThredLog(t);
      };
      const result: unknown[] = [];
      let wrote = false;
      try {
        for (const item of items) {
          if (Array.isArray(item)) {
            const group: unknown[] = [];
            for (const t of item) {
              wrote ||= !READS.has(t.op);
              group.push(await runOne(t));
            }
            result.push(group);
          } else {
            wrote ||= !READS.has(item.op);
            result.push(await runOne(item));
          }
        }
      } finally {
        if (wrote) router.invalidatePatterns();
      }
      return { result };
    },
  };
}
