/**
 * What-if replay (SPEC §15, role admin): `POST /threds/:id/replay` runs the thred's recorded inputs through another
 * pattern in the simulator (patterns/replay.ts) and names the first decision that differs from the thred's log.
 * Only reads: the thred, its events and its log. Nothing running is touched.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { validatePattern } from '../../patterns';
import { PatternIdSchema } from '../../patterns/schema';
import { replayThred, type RealLogRecord } from '../../patterns/replay';
import type { GatewayContext } from '../types';
import { fail, summarize } from '../errors';
import { PatternBodySchema, ThredIdParams, errors } from '../schemas';

export const ReplayBodySchema = Type.Object(
  {
    pattern: Type.Optional(PatternBodySchema),
    patternId: Type.Optional(PatternIdSchema),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'a stored version of patternId' })),
  },
  { description: 'Give `pattern` (inline) or `patternId` (stored).' },
);

/** Records of one step in the order they were written (`_id` = `thredId:step:index`; a string sort puts 10 before 2). */
function logIndex(id: string): number {
  const n = Number(id.slice(id.lastIndexOf(':') + 1));
  return Number.isFinite(n) ? n : 0;
}

const replay: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, settings } = ctx.deps;
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireAdmin);

  app.post(
    '/threds/:id/replay',
    {
      schema: {
        tags: ['admin'],
        summary:
          "What if: the thred's inbound events, agent replies and timers through another pattern, in the simulator",
        description:
          'Answers { steps, final: { status, reaction, locals }, diverges: { atEvent, atStep, was, now } | null }: ' +
          '`was`/`now` are the first transition record (kind, eventId, from, to) where the simulated run differs from ' +
          "the thred's log. Nothing running is touched.",
        security: [{ bearer: [] }],
        params: ThredIdParams,
        body: ReplayBodySchema,
        response: { 200: Type.Unknown({ description: '{ steps, final, diverges }' }), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { pattern, patternId, version } = req.body;
      const record = await store.threds.get(req.params.id);
      if (!record) throw fail('THRED_NOT_FOUND', `thred ${req.params.id} does not exist`);
      if ((pattern === undefined) === (patternId === undefined)) {
        const reason = pattern === undefined ? 'is required (or /patternId)' : 'give /pattern or /patternId, not both';
        throw fail('VALIDATION', `invalid body: /pattern ${reason}`, [{ path: '/pattern', reason }]);
      }
      if (version !== undefined && patternId === undefined) {
        const reason = 'goes with /patternId (an inline /pattern has no stored versions)';
        throw fail('VALIDATION', `invalid body: /version ${reason}`, [{ path: '/version', reason }]);
      }
      let subject: unknown = pattern;
      if (patternId !== undefined) {
        subject = await store.patterns.get(patternId, version);
        if (!subject) {
          const what = version === undefined ? 'does not exist' : `has no version ${version}`;
          throw fail('PATTERN_NOT_FOUND', `pattern ${patternId} ${what}`);
        }
      }
      const report = validatePattern(subject);
      if (!report.valid || !report.pattern)
        throw fail('PATTERN_INVALID', summarize('invalid pattern', report.errors), report.errors);

      const thredId = record._id;
      const prefix = `${record.patternId}_`;
      if (record.parentThredId !== undefined || !thredId.startsWith(prefix)) {
        const reason = `thred ${thredId} was spawned, not started by an event: a replay starts from the creating event`;
        throw fail('CLIENT', reason, [{ path: '/id', reason }]);
      }
      const until = record.endTime ?? ctx.now();
      const [stored, log] = await Promise.all([
        store.events.forThred(thredId, ctx.limits.replayEvents),
        store.thredLog.forThred(thredId, ctx.limits.replayLog),
      ]);
      const inbound = stored.filter((e) => e.direction === 'in' && e.storedAt <= until);
      const outbound = stored.flatMap((e) =>
        e.direction === 'out' && e.origin ? [{ id: e.event.id, ...e.origin }] : [],
      );
      const ordered: RealLogRecord[] = [...log]
        .sort((a, b) => a.seq - b.seq || logIndex(a._id) - logIndex(b._id))
        .map(({ seq, kind, from, to, eventId, reaction }) => ({
          seq,
          kind,
          from,
          to,
          ...(eventId !== undefined && { eventId }),
          ...(reaction !== undefined && { reaction }),
        }));
      const result = await replayThred(
        report.pattern,
        {
          thredId,
          startEventId: thredId.slice(prefix.length),
          events: inbound.map((e) => ({ event: e.event, at: e.storedAt })),
          outbound,
          log: ordered,
          until,
        },
        { groups: settings.groups, agents: settings.agents },
      );
      return {
        thredId,
        patternId: report.pattern.id,
        steps: result.steps,
        final: result.final,
        diverges: result.diverges,
        // A longer thred is replayed from its start up to the caps: say so rather than compare a cut-off path.
        ...((stored.length >= ctx.limits.replayEvents || log.length >= ctx.limits.replayLog) && { truncated: true }),
      };
    },
  );
};

export default replay;
