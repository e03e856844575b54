import type { Db } from 'mongodb';
import type { Pattern } from '../patterns';
import { insertOnce, isDuplicateKey } from './errors';
import { fromJsonText, toJsonText } from './json-field';

/** The current version of a pattern: what routers start new threds from. */
interface PatternDoc {
  _id: string;
  pattern: string; // JSON text (json-field.ts): templates have `$xpr` keys, matchers `$gt`…
  /** Absent on documents stored before versions were kept: those count as version 1. */
  version?: number;
  updatedAt: number;
}

/** Every save, kept after later saves and after a delete (threds record the version they run; SPEC §15). */
interface PatternVersionDoc {
  _id: string; // `${patternId}@${version}`: the unique key that makes a version number taken exactly once
  patternId: string;
  version: number;
  pattern: string;
  createdAt: number;
}

export interface PatternVersionInfo {
  version: number;
  createdAt: number;
  name: string;
  active: boolean;
}

const versionKey = (id: string, version: number) => `${id}@${version}`;

export function createPatternStore(db: Db) {
  const coll = db.collection<PatternDoc>('patterns');
  const versions = db.collection<PatternVersionDoc>('pattern_versions');

  const parse = (doc: { pattern: string }, version: number): Pattern => ({
    ...fromJsonText<Pattern>(doc.pattern),
    version,
  });

  /** Newest version number ever taken for `id`, counting a pre-version current document as 1. */
  async function latest(id: string): Promise<number> {
    const [newest, current] = await Promise.all([
      versions.find({ patternId: id }).sort({ version: -1 }).limit(1).next(),
      coll.findOne({ _id: id }),
    ]);
    return Math.max(newest?.version ?? 0, current ? (current.version ?? 1) : 0);
  }

  /** A current document from before versions were kept becomes version 1, so its history is not lost on the next save. */
  async function keepLegacy(id: string): Promise<void> {
    const current = await coll.findOne({ _id: id });
    if (!current || current.version !== undefined) return;
    await insertOnce(versions, [
      { _id: versionKey(id, 1), patternId: id, version: 1, pattern: current.pattern, createdAt: current.updatedAt },
    ]);
  }

  return {
    /**
     * Stores `pattern` as the next version of its id and makes it current; resolves that version. Two concurrent
     * saves (from two gateways) each take their own number — the unique `_id` of the version document decides — and
     * the higher one stays current whichever write lands last.
     */
    async put(pattern: Pattern, now: number): Promise<number> {
      const { version: _ignored, ...body } = pattern;
      await keepLegacy(body.id!);
      for (;;) {
        const version = (await latest(body.id!)) + 1;
        const text = toJsonText({ ...body, version });
        try {
          await versions.insertOne({
            _id: versionKey(body.id!, version),
            patternId: body.id!,
            version,
            pattern: text,
            createdAt: now,
          });
        } catch (err) {
          if (isDuplicateKey(err)) continue; // another save took this number first
          throw err;
        }
        try {
          await coll.replaceOne(
            { _id: body.id!, $or: [{ version: { $lt: version } }, { version: { $exists: false } }] },
            { pattern: text, version, updatedAt: now },
            { upsert: true },
          );
        } catch (err) {
          if (!isDuplicateKey(err)) throw err; // a newer version is current already: it stays
        }
        return version;
      }
    },
    /** The current version, or the given one (kept after later saves and after a delete). */
    async get(id: string, version?: number): Promise<Pattern | null> {
      if (version === undefined) {
        const doc = await coll.findOne({ _id: id });
        return doc ? parse(doc, doc.version ?? 1) : null;
      }
      const doc = await versions.findOne({ _id: versionKey(id, version) });
      if (doc) return parse(doc, version);
      if (version !== 1) return null;
      const legacy = await coll.findOne({ _id: id });
      return legacy && legacy.version === undefined ? parse(legacy, 1) : null;
    },
    async list(): Promise<Pattern[]> {
      return (await coll.find().sort({ _id: 1 }).toArray()).map((d) => parse(d, d.version ?? 1));
    },
    /** Every stored version of `id`, oldest first, and which one is current (null once deleted). */
    async versions(id: string): Promise<{ current: number | null; versions: PatternVersionInfo[] } | null> {
      const [docs, current] = await Promise.all([
        versions.find({ patternId: id }).sort({ version: 1 }).toArray(),
        coll.findOne({ _id: id }),
      ]);
      const all: { version: number; createdAt: number; pattern: string }[] = docs;
      if (current && current.version === undefined && !docs.some((d) => d.version === 1)) {
        all.unshift({ version: 1, createdAt: current.updatedAt, pattern: current.pattern });
      }
      if (all.length === 0) return null;
      return {
        current: current ? (current.version ?? 1) : null,
        versions: all.map((d) => {
          const p = fromJsonText<Pattern>(d.pattern);
          return { version: d.version, createdAt: d.createdAt, name: p.name, active: p.meta?.active !== false };
        }),
      };
    },
    /** Removes the current version: no new thred starts from it. Stored versions stay for the threds that ran them. */
    async delete(id: string): Promise<boolean> {
      return (await coll.deleteOne({ _id: id })).deletedCount === 1;
    },
    /** Latest update time over all patterns, so routers can refresh their cache cheaply. */
    async version(): Promise<number> {
      const doc = await coll.find().sort({ updatedAt: -1 }).limit(1).next();
      return doc?.updatedAt ?? 0;
    },
  };
}
