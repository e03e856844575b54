/**
 * Authentication (SPEC §8): POST /login, POST /refresh, and the decorators the other plugins use —
 * `authenticate` (onRequest: Bearer access token → request.principal), `requireAdmin` (role `admin`, else 403) and
 * `verifyAccessToken` (for the WebSocket hello). There is no unauthenticated mode.
 */
import { createHash, randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import fastifyJwt from '@fastify/jwt';
import { hash, verify } from '@node-rs/argon2';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { GatewayContext } from '../types';
import type { Principal } from '../ingest';
import { fail } from '../errors';
import { DEFAULT_ACCESS_TTL_MS, DEFAULT_REFRESH_TTL_MS, signAccessToken, type AccessClaims } from '../tokens';
import { LoginBodySchema, RefreshBodySchema, TokensSchema, errors } from '../schemas';

declare module 'fastify' {
  interface FastifyInstance {
    authenticate(req: FastifyRequest): Promise<void>;
    requireAdmin(req: FastifyRequest): Promise<void>;
    verifyAccessToken(token: string): Principal;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const authPlugin: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const { store, directory } = ctx.deps;
  const accessTtlMs = ctx.deps.tokens?.accessTtlMs ?? DEFAULT_ACCESS_TTL_MS;
  const refreshTtlMs = ctx.deps.tokens?.refreshTtlMs ?? DEFAULT_REFRESH_TTL_MS;
  await fastify.register(fastifyJwt, { secret: ctx.deps.jwtSecret, verify: { algorithms: ['HS256'] } });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  function verifyAccessToken(token: string): Principal {
    let claims: AccessClaims;
    try {
      claims = app.jwt.verify<AccessClaims>(token);
    } catch (err) {
      if ((err as { code?: string }).code === 'FAST_JWT_EXPIRED')
        throw fail('TOKEN_EXPIRED', 'access token has expired');
      throw fail('UNAUTHORIZED', 'access token is not valid');
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') throw fail('UNAUTHORIZED', 'access token has no subject');
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
    return { id: claims.sub, roles, admin: roles.includes('admin') };
  }

  app.decorateRequest('principal', null as unknown as Principal);
  app.decorate('verifyAccessToken', verifyAccessToken);
  app.decorate('authenticate', async (req: FastifyRequest) => {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw fail('UNAUTHORIZED', 'missing Authorization: Bearer <token> header');
    req.principal = verifyAccessToken(m[1]!);
  });
  app.decorate('requireAdmin', async (req: FastifyRequest) => {
    if (!req.principal?.admin)
      throw fail('FORBIDDEN', `role admin required (${req.principal?.id ?? 'anonymous'} lacks it)`);
  });

  /** Roles of a participant: its database record plus the sessions model (config/sessions.json). */
  async function rolesOf(participantId: string, recordRoles: string[] = []): Promise<string[]> {
    return [...new Set([...recordRoles, ...(directory.roles[participantId] ?? [])])];
  }

  async function issue(participantId: string, roles: string[], family: string) {
    const now = ctx.now();
    const { token, expiresAt } = signAccessToken(ctx.deps.jwtSecret, { participantId, roles, ttlMs: accessTtlMs, now });
    const refreshToken = randomBytes(32).toString('base64url');
    await store.refreshTokens.add({
      _id: sha256(refreshToken),
      participantId,
      family,
      createdAt: now,
      expiresAt: now + refreshTtlMs,
    });
    return { accessToken: token, expiresAt, refreshToken };
  }

  // Unknown participants still pay for one argon2 verification, so response time does not reveal who exists.
  let dummyHash: Promise<string> | undefined;
  const rateLimit = { max: ctx.limits.ratePerMinute, timeWindow: 60_000 };

  app.post(
    '/login',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a participant id and password for an access token and a refresh token',
        body: LoginBodySchema,
        response: { 200: TokensSchema, ...errors(400, 401, 429, 503) },
      },
    },
    async (req) => {
      const { participantId, password } = req.body;
      const record = await store.participants.get(participantId);
      const stored = record?.passwordHash ?? (await (dummyHash ??= hash(randomBytes(16).toString('hex'))));
      const ok = await verify(stored, password).catch(() => false);
      if (!ok || !record?.passwordHash) throw fail('INVALID_LOGIN', 'participantId or password is wrong');
      return issue(participantId, await rolesOf(participantId, record.roles), randomBytes(12).toString('hex'));
    },
  );

  app.post(
    '/refresh',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token: the presented token is spent, a new pair is returned',
        description: 'Presenting a spent refresh token again revokes every token rotated from the same login.',
        body: RefreshBodySchema,
        response: { 200: TokensSchema, ...errors(400, 401, 429, 503) },
      },
    },
    async (req) => {
      const used = await store.refreshTokens.use(sha256(req.body.refreshToken), ctx.now());
      if (!used.ok) throw fail('INVALID_REFRESH_TOKEN', `refresh token is ${used.reason}`);
      // Roles are read again, so a role change takes effect at the next refresh.
      const record = await store.participants.get(used.record.participantId);
      return issue(
        used.record.participantId,
        await rolesOf(used.record.participantId, record?.roles),
        used.record.family,
      );
    },
  );
};

export default fp(authPlugin, { name: 'threds-auth', fastify: '5.x' });
