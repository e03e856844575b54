/**
 * MongoDB access shared by the gateway and the activities (never imported by patterns/ or workflows/).
 * One `Store` per process; collections are created lazily by MongoDB, indexes by `ensureIndexes`.
 */
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { createEventStore } from './events';
import { createDeliveries } from './deliveries';
import { createThredStore, type ThredLayout } from './threds';
import { createThredLog } from './thred-log';
import { createOutbox } from './outbox';
import { createPatternStore } from './patterns';
import { createInstanceCounter } from './instances';
import { createDeadLetters } from './dead-letters';
import { createSessionStore } from './sessions';
import { createParticipantStore } from './participants';
import { createRefreshTokens } from './refresh-tokens';
import { createWatchStore } from './watches';
import { createNoticeLimiter } from './notices';

export type { StoredEvent } from './events';
export type { Delivery } from './deliveries';
export type { ThredRecord, ThredListQuery, ThredLayout } from './threds';
export type { ThredLogRecord } from './thred-log';
export type { OutboxEntry } from './outbox';
export type { DeadLetter } from './dead-letters';
export type { Admission } from './instances';
export type { SessionRecord } from './sessions';
export type { ParticipantRecord } from './participants';
export type { RefreshTokenRecord, RefreshUse } from './refresh-tokens';
export type { WatchRecord } from './watches';
export type { EventAuditQuery, EventAuditKey } from './events';
export { sweepRetention, startRetentionSweeper, type SweepReport, type RetentionSweeper } from './retention';

/** `thredLayout`: forces the read model's layout (tests); by default the server's answers choose it (store/threds). */
export function createStore(db: Db, opts: { thredLayout?: ThredLayout } = {}) {
  const threds = createThredStore(db, opts.thredLayout);
  return {
    db,
    events: createEventStore(db),
    deliveries: createDeliveries(db),
    threds,
    thredLog: createThredLog(db),
    outbox: createOutbox(db),
    patterns: createPatternStore(db),
    instances: createInstanceCounter(db),
    deadLetters: createDeadLetters(db),
    sessions: createSessionStore(db),
    participants: createParticipantStore(db),
    refreshTokens: createRefreshTokens(db),
    watches: createWatchStore(db),
    adminNotices: createNoticeLimiter(db),
    async ensureIndexes(): Promise<void> {
      await threds.adopt();
      await Promise.all([
        db.collection('events').createIndex({ thredId: 1, storedAt: 1 }),
        // The audit query (GET /events) and retention: each filter of the query leads one index, (time, _id) is its order.
        db.collection('events').createIndex({ thredIds: 1, storedAt: 1 }),
        db.collection('events').createIndex({ type: 1, time: 1, _id: 1 }),
        db.collection('events').createIndex({ sourceId: 1, time: 1, _id: 1 }),
        db.collection('events').createIndex({ time: 1, _id: 1 }),
        db.collection('events').createIndex({ re: 1 }),
        db.collection('events').createIndex({ storedAt: 1 }),
        threds.ensureIndexes(),
        db.collection('thred_log').createIndex({ thredId: 1, seq: 1 }),
        db.collection('outbox').createIndex({ participantId: 1, createdAt: 1 }),
        db.collection('outbox').createIndex({ thredId: 1 }),
        db.collection('deliveries').createIndex({ thredId: 1 }),
        db.collection('sessions').createIndex({ participantId: 1 }),
        db.collection('refresh_tokens').createIndex({ family: 1 }),
      ]);
    },
    /** Round trip to the server: for /ready. */
    async ping(): Promise<void> {
      await db.command({ ping: 1 });
    },
  };
}

export type Store = ReturnType<typeof createStore>;

/**
 * Every store call gives up in bounded time, so a frozen server (alive to TCP, silent to the protocol) cannot hold a
 * request past the gateway's 10 s routing deadline: mongodb 6.22 ignores `timeoutMS`, so the bounds are per phase —
 * finding a usable server, the handshake of a new connection (a stopped process still completes TCP connects from
 * its listen backlog), and the wait for a reply on an open one. A legitimate Threds store call answers in
 * milliseconds; the persistence agent's user queries use their own client.
 */
export const STORE_CLIENT_OPTIONS = {
  serverSelectionTimeoutMS: 5000,
  connectTimeoutMS: 5000,
  socketTimeoutMS: 10_000,
} as const satisfies MongoClientOptions;

export async function openStore(url: string, dbName: string): Promise<{ store: Store; client: MongoClient }> {
  const client = await MongoClient.connect(url, STORE_CLIENT_OPTIONS);
  const store = createStore(client.db(dbName));
  await store.ensureIndexes();
  return { store, client };
}

export { isDuplicateKey } from './errors';
