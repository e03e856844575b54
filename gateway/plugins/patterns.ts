/**
 * Pattern administration (SPEC §8, role admin). Patterns are validated by validatePattern — the same report the
 * `threds validate` CLI prints — and stored normalized; a write invalidates this instance's router cache at once
 * (other instances refresh within their cache period).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { simulate, validatePattern } from '../../patterns';
import { MERMAID, patternDiagram } from '../../patterns/diagram';
import type { SimulationInput } from '../../patterns/simulate';
import type { GatewayContext } from '../types';
import { fail, summarize } from '../errors';
import {
  PatternBodySchema,
  PatternIdParams,
  PatternVersionQuery,
  PatternVersionsSchema,
  SimulateBodySchema,
  ValidationReportSchema,
  errors,
} from '../schemas';

const patterns: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, router, settings } = ctx.deps;
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireAdmin);
  const security = [{ bearer: [] }];
  const tags = ['patterns'];

  app.get(
    '/patterns',
    {
      schema: {
        tags,
        summary: 'All stored patterns (normalized)',
        security,
        response: { 200: Type.Object({ patterns: Type.Array(PatternBodySchema) }), ...errors(401, 403) },
      },
    },
    async () => ({ patterns: await store.patterns.list() }),
  );

  /** The current version, or `?version=N` (kept after later saves and after a delete). */
  async function stored(id: string, version: number | undefined) {
    const pattern = await store.patterns.get(id, version);
    if (pattern) return pattern;
    throw fail(
      'PATTERN_NOT_FOUND',
      version === undefined ? `pattern ${id} does not exist` : `pattern ${id} has no version ${version}`,
    );
  }

  app.get(
    '/patterns/:id',
    {
      schema: {
        tags,
        summary: 'One pattern: the current version, or ?version=N',
        security,
        params: PatternIdParams,
        querystring: PatternVersionQuery,
        response: { 200: PatternBodySchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => stored(req.params.id, req.query.version),
  );

  app.get(
    '/patterns/:id/versions',
    {
      schema: {
        tags,
        summary: 'Every stored version of a pattern, oldest first (SPEC §15)',
        description: '`current` is the version new threds start from; null once the pattern is deleted.',
        security,
        params: PatternIdParams,
        response: { 200: PatternVersionsSchema, ...errors(401, 403, 404) },
      },
    },
    async (req) => {
      const found = await store.patterns.versions(req.params.id);
      if (!found) throw fail('PATTERN_NOT_FOUND', `pattern ${req.params.id} does not exist`);
      return { id: req.params.id, ...found };
    },
  );

  app.get(
    '/patterns/:id/diagram',
    {
      schema: {
        tags,
        summary: 'The pattern as a Mermaid stateDiagram-v2 (text/vnd.mermaid)',
        description:
          'Every reaction, every transition (named, $next, expiry, or-branches), spawns as notes, [*] for start and end.',
        security,
        params: PatternIdParams,
        querystring: PatternVersionQuery,
        produces: [MERMAID],
        response: { 200: Type.String({ description: 'Mermaid source' }), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const pattern = await stored(req.params.id, req.query.version);
      return reply.type(MERMAID).send(patternDiagram(pattern));
    },
  );

  app.put(
    '/patterns/:id',
    {
      schema: {
        tags,
        summary: 'Store a pattern as its next version; 400 with the validation errors as details',
        description:
          'The body id may be omitted (the path id is used); when present it must equal the path id. Every save is ' +
          'a new version (1, 2, …; a `version` in the body is ignored): running threds keep the version they ' +
          'started with, new threds take this one.',
        security,
        params: PatternIdParams,
        body: PatternBodySchema,
        response: {
          200: Type.Object({ pattern: PatternBodySchema, warnings: ValidationReportSchema.properties.warnings }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (req) => {
      const { version: _assigned, ...body } = req.body as Record<string, unknown>;
      if (body.id !== undefined && body.id !== req.params.id) {
        const reason = `must equal the path id "${req.params.id}"`;
        throw fail('PATTERN_INVALID', `invalid pattern: /id ${reason}`, [{ path: '/id', reason }]);
      }
      const report = validatePattern({ ...body, id: req.params.id });
      if (!report.valid || !report.pattern) {
        throw fail('PATTERN_INVALID', summarize('invalid pattern', report.errors), report.errors);
      }
      const version = await store.patterns.put(report.pattern, ctx.now());
      router.invalidatePatterns();
      return { pattern: { ...report.pattern, version }, warnings: report.warnings };
    },
  );

  app.delete(
    '/patterns/:id',
    {
      schema: {
        tags,
        summary: 'Delete a pattern: no new thred starts from it (running threds keep their version; versions stay)',
        security,
        params: PatternIdParams,
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }), ...errors(401, 403, 404) },
      },
    },
    async (req) => {
      if (!(await store.patterns.delete(req.params.id)))
        throw fail('PATTERN_NOT_FOUND', `pattern ${req.params.id} does not exist`);
      router.invalidatePatterns();
      return { id: req.params.id, deleted: true };
    },
  );

  app.post(
    '/patterns/validate',
    {
      schema: {
        tags,
        summary: 'Validate a pattern without storing it (200 even when invalid)',
        security,
        body: PatternBodySchema,
        response: { 200: ValidationReportSchema, ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const { valid, errors: errs, warnings } = validatePattern(req.body);
      return { valid, errors: errs, warnings };
    },
  );

  app.post(
    '/patterns/simulate',
    {
      schema: {
        tags,
        summary: 'Dry-run events through one thred of a pattern; no servers touched',
        description:
          'Give `pattern` (inline) or `patternId` (stored). Events may be `{ "advanceMs": n }` to let timers fire.',
        security,
        body: SimulateBodySchema,
        response: {
          200: Type.Unknown({
            description: 'SimulationTrace: { valid, errors, warnings, patternId, thredId, steps, final }',
          }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const { pattern, patternId, events } = req.body;
      let subject: unknown = pattern;
      if (subject === undefined) {
        if (patternId === undefined) {
          throw fail('VALIDATION', 'invalid body: /pattern is required (or /patternId)', [
            { path: '/pattern', reason: 'is required (or /patternId)' },
          ]);
        }
        subject = await store.patterns.get(patternId);
        if (!subject) throw fail('PATTERN_NOT_FOUND', `pattern ${patternId} does not exist`);
      }
      return simulate(subject, events as SimulationInput[], { groups: settings.groups, agents: settings.agents });
    },
  );
};

export default patterns;
