/**
 * `builtin:persistence` — the persistence agent (SPEC §6, nodeType `org.wt.persistence`): runs the tasks of
 * `data.content.tasks` against MongoDB and replies `content.values = { result: [ one entry per task ] }`.
 *
 * Safety: every task is compiled (persistence-query.ts) before any runs, so a bad task anywhere fails the whole
 * request before it has touched data; databases are limited to the default one and `options.dbAllowlist`, and the
 * Threds database is never reachable. Errors: bad tasks and data conflicts are permanent (error reply); connection
 * problems are thrown and retried by the agent's retry policy.
 */
import { createHash } from 'node:crypto';
import {
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type ClientSession,
  type Db,
  type Document,
} from 'mongodb';
import { AgentErrorCodes, TaskError } from './agents/errors';
import type { AgentContext, AgentImplementation, AgentInit } from './agents/types';
import { compileTasks, fromDocument, type CompiledItem, type CompiledTask, type Doc } from './persistence-query';

export const DEFAULT_DATA_DB = 'threds_data';
/** MongoDB's own databases: never reachable either. */
const SYSTEM_DBS = new Set(['admin', 'local', 'config']);

export interface PersistenceOptions {
  /** Default database for tasks without options.dbname. */
  dbname: string;
  /** Further databases a task may name in options.dbname. */
  dbAllowlist: string[];
  /** Upper bound on documents one `get` returns (the reply travels in an event). */
  maxResults: number;
  /** Overrides the deployment's MONGO_URL (data kept elsewhere). */
  url?: string;
}

export function persistenceOptions(init: Pick<AgentInit, 'options' | 'thredsDb'>): PersistenceOptions {
  const o = init.options;
  const dbname = typeof o.dbname === 'string' && o.dbname !== '' ? o.dbname : DEFAULT_DATA_DB;
  const dbAllowlist = Array.isArray(o.dbAllowlist)
    ? o.dbAllowlist.filter((d): d is string => typeof d === 'string')
    : [];
  const maxResults = typeof o.maxResults === 'number' && o.maxResults > 0 ? o.maxResults : 1000;
  if (dbname === init.thredsDb || SYSTEM_DBS.has(dbname))
    throw new Error(`options.dbname "${dbname}" is Threds' own or a system database; patterns must never reach it`);
  return { dbname, dbAllowlist, maxResults, ...(typeof o.url === 'string' && { url: o.url }) };
}

/** The database a task may use, or a permanent refusal. */
export function resolveDb(
  requested: string | undefined,
  opts: PersistenceOptions,
  thredsDb: string,
  path: string,
): string {
  const name = requested ?? opts.dbname;
  const allowed = name === opts.dbname || opts.dbAllowlist.includes(name);
  if (!allowed || name === thredsDb || SYSTEM_DBS.has(name))
    throw new TaskError(
      `${path}/options/dbname: database "${name}" is not on this agent's allowlist`,
      AgentErrorCodes.UNAUTHORIZED,
      { path },
    );
  return name;
}

/** Codes MongoDB itself labels as passing (failover, shutdown, timeouts): retry, don't report. */
const TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

function isTransient(err: unknown): boolean {
  if (!(err instanceof MongoServerError)) return true; // network, server selection, our own bugs: let retries decide
  return (
    TRANSIENT_CODES.has(Number(err.code)) ||
    err.hasErrorLabel('TransientTransactionError') ||
    err.hasErrorLabel('RetryableWriteError')
  );
}

function describe(t: CompiledTask): string {
  return `task ${t.path} (${t.op} ${t.collection}${t.name ? ` "${t.name}"` : ''})`;
}

export function createPersistenceAgent(init: AgentInit): AgentImplementation {
  const opts = persistenceOptions(init);
  // Operations connect lazily, so the agent starts (and reports a down database as retries) without a live server.
  const client = new MongoClient(opts.url ?? init.mongoUrl, { serverSelectionTimeoutMS: 5000 });
  let transactions: Promise<boolean> | undefined;

  /** Multi-document transactions need a replica set or mongos; FerretDB and standalone servers have neither. */
  function supportsTransactions(): Promise<boolean> {
    transactions ??= client
      .db('admin')
      .command({ hello: 1 })
      .then((h) => {
        const ok = Boolean(h.setName || h.msg === 'isdbgrid') && h.logicalSessionTimeoutMinutes != null;
        if (!ok) init.logger.info('server has no transactions (not a replica set): task groups run sequentially');
        return ok;
      })
      .catch((err: unknown) => {
        transactions = undefined; // ask again next time
        throw err;
      });
    return transactions;
  }

  async function run(
    t: CompiledTask,
    db: Db,
    messageId: string,
    attempt: number,
    session?: ClientSession,
  ): Promise<unknown> {
    const coll = db.collection<Document>(t.collection);
    const now = Date.now();
    const so = session ? { session } : {};
    switch (t.op) {
      case 'put': {
        // Missing ids are derived from the message, so a retried put finds its own earlier insert instead of doubling it.
        const generated = new Set<unknown>();
        const docs = t.docs!.map((d, i): Doc => {
          if (d._id !== undefined) return { ...d, created: now, modified: now };
          const _id = createHash('sha256').update(`${messageId}${t.path}/${i}`).digest('hex').slice(0, 24);
          generated.add(_id);
          return { _id, ...d, created: now, modified: now };
        });
        try {
          await coll.insertMany(docs, { ordered: false, ...so });
        } catch (err) {
          const writeErrors = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [];
          const ours =
            attempt > 1 &&
            writeErrors.length > 0 &&
            writeErrors.every((w) => w.code === 11000 && generated.has(docs[w.index]?._id));
          if (!ours) throw err;
        }
        const ids = docs.map((d) => fromDocument(d._id));
        return t.many ? ids : ids[0];
      }
      case 'getOne': {
        const doc = await coll.findOne(t.filter!, { ...(t.projection && { projection: t.projection }), ...so });
        return doc ? fromDocument(doc) : null;
      }
      case 'get': {
        let cursor = coll.find(t.filter!, { ...(t.projection && { projection: t.projection }), ...so });
        if (t.sort?.length) cursor = cursor.sort(t.sort);
        if (t.skip) cursor = cursor.skip(t.skip);
        if (t.limit) cursor = cursor.limit(t.limit);
        return (await cursor.toArray()).map((d) => fromDocument(d));
      }
      case 'count':
        return coll.countDocuments(t.filter!, so);
      case 'update':
      case 'upsert': {
        const update: Doc = { ...t.update };
        const set: Doc = { ...(update.$set as Doc | undefined), modified: now };
        for (const f of t.nowFields ?? []) set[f] = now;
        update.$set = set;
        if (t.op === 'update') {
          const r = await coll.updateMany(t.filter!, update, so);
          return { matchedCount: r.matchedCount, modifiedCount: r.modifiedCount };
        }
        const onInsert: Doc = { created: now };
        // Without an _id in the matcher the insert would get an ObjectId; give it a string id like put does.
        if (!('_id' in t.filter!))
          onInsert._id = createHash('sha256').update(`${messageId}${t.path}`).digest('hex').slice(0, 24);
        update.$setOnInsert = onInsert;
        const r = await coll.updateOne(t.filter!, update, { upsert: true, ...so });
        return {
          matchedCount: r.matchedCount,
          modifiedCount: r.modifiedCount,
          upsertedId: r.upsertedId == null ? null : fromDocument(r.upsertedId),
        };
      }
      case 'replace': {
        const existing = await coll.findOne(t.filter!, { projection: { created: 1 }, ...so });
        const doc: Doc = { ...t.docs![0], created: existing?.created ?? now, modified: now };
        if (!existing && !('_id' in t.filter!))
          doc._id = createHash('sha256').update(`${messageId}${t.path}`).digest('hex').slice(0, 24);
        const r = await coll.replaceOne(existing ? { _id: existing._id } : t.filter!, doc, { upsert: true, ...so });
        return {
          matchedCount: r.matchedCount,
          modifiedCount: r.modifiedCount,
          upsertedId: r.upsertedId == null ? null : fromDocument(r.upsertedId),
        };
      }
      case 'delete': {
        const r = await coll.deleteMany(t.filter!, so);
        return { deletedCount: r.deletedCount };
      }
    }
  }

  /** Runs one task; MongoDB's refusals become permanent errors that name the task. */
  async function runOne(
    t: CompiledTask,
    db: Db,
    messageId: string,
    ctx: AgentContext,
    session?: ClientSession,
  ): Promise<unknown> {
    try {
      return await run(t, db, messageId, ctx.attempt, session);
    } catch (err) {
      if (isTransient(err)) throw err;
      const e = err as MongoServerError;
      const dup =
        e.code === 11000 ||
        (err instanceof MongoBulkWriteError && [err.writeErrors].flat().some((w) => w.code === 11000));
      throw new TaskError(
        `${describe(t)}: ${e.message}`,
        dup ? AgentErrorCodes.OBJECT_ALREADY_EXISTS : AgentErrorCodes.TASK_ERROR,
        {
          path: t.path,
        },
      );
    }
  }

  async function runGroup(group: CompiledTask[], db: Db, messageId: string, ctx: AgentContext): Promise<unknown[]> {
    if (!(await supportsTransactions())) {
      const out: unknown[] = [];
      for (const t of group) out.push(await runOne(t, db, messageId, ctx));
      return out;
    }
    const session = client.startSession();
    try {
      let out: unknown[] = [];
      await session.withTransaction(async () => {
        out = []; // withTransaction re-runs the callback on transient transaction errors
        for (const t of group) out.push(await runOne(t, db, messageId, ctx, session));
      });
      return out;
    } finally {
      await session.endSession();
    }
  }

  return {
    async handleMessage(message, ctx) {
      const items: CompiledItem[] = compileTasks(message.event.data?.content?.tasks, opts.maxResults);
      const dbOf = (item: CompiledItem) => {
        const first = Array.isArray(item) ? item[0]! : item;
        return client.db(resolveDb(first.dbname, opts, init.thredsDb, first.path));
      };
      const dbs = items.map(dbOf); // all refusals before any task runs
      const result: unknown[] = [];
      for (const [i, item] of items.entries()) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        ctx.heartbeat({ task: i });
        try {
          result.push(
            Array.isArray(item)
              ? await runGroup(item, dbs[i]!, message.id, ctx)
              : await runOne(item, dbs[i]!, message.id, ctx),
          );
        } catch (err) {
          // Tell the thred how far a sequential run got (earlier tasks' effects stay).
          if (err instanceof TaskError)
            throw new TaskError(err.message, err.code, { ...(err.details as Doc), completed: i, result });
          throw err;
        }
      }
      return { data: { title: `${ctx.nodeId} Result`, content: { values: { result } } } };
    },
    async close() {
      await client.close();
    },
  };
}
