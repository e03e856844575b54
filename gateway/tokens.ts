/**
 * Access tokens: HS256 JWTs `{ sub: participantId, roles, iat, exp }`. Signed here (node:crypto, no extra state) so the
 * gateway and the CLI (`threds token`) mint identical tokens; verified by @fastify/jwt in the auth plugin.
 */
import { createHmac } from 'node:crypto';

export interface AccessClaims {
  sub: string;
  roles: string[];
  iat: number;
  exp: number;
}

export const DEFAULT_ACCESS_TTL_MS = 15 * 60_000;
export const DEFAULT_REFRESH_TTL_MS = 30 * 24 * 3_600_000;

const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');

export function signAccessToken(
  secret: string,
  p: { participantId: string; roles: string[]; ttlMs: number; now?: number },
): { token: string; expiresAt: number } {
  const nowMs = p.now ?? Date.now();
  const iat = Math.floor(nowMs / 1000);
  const exp = Math.max(iat + 1, Math.floor((nowMs + p.ttlMs) / 1000));
  const claims: AccessClaims = { sub: p.participantId, roles: p.roles, iat, exp };
  const unsigned = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}`;
  const sig = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return { token: `${unsigned}.${sig}`, expiresAt: exp * 1000 };
}

/** `90`, `500ms`, `30s`, `15m`, `1h`, `2d` → ms; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^([0-9]+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Number(m[1]) * unit;
}
