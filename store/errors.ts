import {
  MongoBulkWriteError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Collection,
  type Document,
  type OptionalUnlessRequiredId,
} from 'mongodb';

/** MongoDB's duplicate-key error: the idempotent writes of this folder treat it as "already done". */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/**
 * Inserts documents keyed by a deterministic _id; those already stored are left as they are (a retried activity
 * writes nothing twice). Preferred to an upsert: on FerretDB's SQLite backend an insert is an index lookup, while
 * every update or upsert scans the whole collection (README "Benchmark"). Resolves true when every document was
 * new.
 */
export async function insertOnce<T extends Document>(
  coll: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[],
): Promise<boolean> {
  if (docs.length === 0) return true;
  try {
    await coll.insertMany(docs, { ordered: false });
    return true;
  } catch (err) {
    const writeErrors = (err as { writeErrors?: unknown[] }).writeErrors;
    // A bulk write cut off by a lost connection fails with no write errors at all: that is not "already stored".
    const onlyDuplicates = Array.isArray(writeErrors)
      ? writeErrors.length > 0 && writeErrors.every(isDuplicateKey)
      : isDuplicateKey(err);
    if (!onlyDuplicates) throw err;
    return false;
  }
}

/**
 * True when `err` says the store could not be reached — a network error or timeout, a pool cleared after one, no
 * selectable server, a closed client — also when the driver wrapped it in a bulk write's error (insertMany cut off by
 * the connection), which carries the cause as its errorResponse.
 */
export function isStoreUnreachable(err: unknown, depth = 0): boolean {
  if (depth > 3) return false;
  if (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  ) {
    return true;
  }
  return (
    err instanceof MongoBulkWriteError &&
    isStoreUnreachable((err as { errorResponse?: unknown }).errorResponse, depth + 1)
  );
}
