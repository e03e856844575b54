// The errors the MongoDB driver throws when the store cannot be reached must answer 503 (retry by id), not 500. The
// fault suite found the bulk-insert case: a network error during insertMany arrives wrapped in MongoBulkWriteError.
import { describe, expect, it } from 'vitest';
import { MongoBulkWriteError, MongoNetworkError, MongoNetworkTimeoutError, MongoServerError } from 'mongodb';
import { createRequire } from 'node:module';

// The driver's pool error is thrown to callers but not exported from its entry point (nor typed).
const { PoolClearedError } = createRequire(import.meta.url)('mongodb/lib/cmap/errors') as {
  PoolClearedError: new (pool: { address: string; serverError?: Error }) => Error;
};
import { isUnavailable, toErrorBody } from '../../gateway/errors';

// The driver's own bulk result is not exported as a value; the error only keeps it.
const emptyResult = () => ({ insertedCount: 0 }) as never;

describe('store errors → 503', () => {
  const timedOut = new MongoNetworkTimeoutError('connection 23 to 127.0.0.1:42621 timed out');
  const cleared = new PoolClearedError({
    address: '127.0.0.1:42621',
    serverError: new MongoNetworkError('connect ECONNREFUSED'),
  });

  it.each([
    ['a network timeout inside a bulk insert', new MongoBulkWriteError(timedOut, emptyResult())],
    ['a cleared pool inside a bulk insert', new MongoBulkWriteError(cleared, emptyResult())],
    ['a cleared pool', cleared],
    ['a network timeout', timedOut],
  ])('%s', (_what, err) => {
    expect(isUnavailable(err)).toBe(true);
    expect(toErrorBody(err)).toMatchObject({ statusCode: 503, code: 'THREDS_ERR_UNAVAILABLE' });
  });

  it('a server error that is not about reaching the store stays a 500', () => {
    const err = new MongoServerError({ message: 'document too large', code: 10334 });
    expect(isUnavailable(err)).toBe(false);
    expect(toErrorBody(err).statusCode).toBe(500);
  });
});
