/**
 * GET /events (admin): the audit query over every stored event, inbound and outbound — by type, source, thred and
 * time window, oldest first, a page at a time. Each filter is an indexed column of the event store (store/events.ts),
 * so on MongoDB a page is an index range scan. POST /events (ingest.ts) shares the URL, not this plugin's hooks.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { GatewayContext } from '../types';
import type { EventAuditKey, StoredEvent } from '../../store';
import { fail } from '../errors';
import { EventAuditPageSchema, EventAuditQuerySchema, errors } from '../schemas';

const DEFAULT_LIMIT = 50;

/** The cursor is the sort key of a page's last event, opaque to clients (base64url of `[time, id]`). */
const encodeCursor = (k: EventAuditKey): string => Buffer.from(JSON.stringify([k.time, k.id])).toString('base64url');

function decodeCursor(text: string): EventAuditKey | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && typeof v[1] === 'string' && v[1] !== '')
      return { time: v[0] as number, id: v[1] };
  } catch {
    // not JSON: answered below like any other malformed cursor
  }
  return undefined;
}

const invalid = (path: string, reason: string) =>
  fail('VALIDATION', `invalid querystring: ${path} ${reason}`, [{ path, reason }]);

const view = (e: StoredEvent) => ({
  event: e.event,
  direction: e.direction,
  ...(e.to && { to: e.to }),
  storedAt: e.storedAt,
  thredIds: e.thredId !== undefined ? [e.thredId] : (e.thredIds ?? []),
  ...(e.outcome && { outcome: e.outcome }),
});

const eventsQuery: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store } = ctx.deps;
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireAdmin);

  app.get(
    '/events',
    {
      schema: {
        tags: ['admin'],
        summary: 'Audit: stored events by type, source, thred and time window, oldest first, paginated',
        description:
          'Filters combine (all must hold); since ≤ event time < until. Pass nextCursor back as cursor, with the same ' +
          'filters, for the next page. Ended threds leave it with their records after THREDS_RETENTION.',
        security: [{ bearer: [] }],
        querystring: EventAuditQuerySchema,
        response: { 200: EventAuditPageSchema, ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.since !== undefined && q.until !== undefined && q.until < q.since)
        throw invalid('/until', 'must not be before since');
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (q.cursor !== undefined && !after) throw invalid('/cursor', 'is not a cursor this route returned');
      const limit = q.limit ?? DEFAULT_LIMIT;
      // One more than the page tells whether another page follows.
      const found = await store.events.audit({
        ...(q.type !== undefined && { type: q.type }),
        ...(q.source !== undefined && { source: q.source }),
        ...(q.thredId !== undefined && { thredId: q.thredId }),
        ...(q.since !== undefined && { since: q.since }),
        ...(q.until !== undefined && { until: q.until }),
        ...(after && { after }),
        limit: limit + 1,
      });
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return {
        events: page.map(view),
        ...(found.length > limit && last && { nextCursor: encodeCursor({ time: last.time!, id: last._id }) }),
      };
    },
  );
};

export default eventsQuery;
