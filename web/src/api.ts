/** HTTP side of the contract (SPEC §8): login/refresh, bearer auth, error bodies turned into ApiRequestError. */
import type { ApiError, Session } from './types';

const SESSION_KEY = 'threds.session';

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(body.message || body.error || `HTTP ${status}`);
  }
  /** "message (code) — /path: reason; …" for display. */
  describe(): string {
    const code = this.body.code ? ` (${this.body.code})` : '';
    const details = (this.body.details ?? []).map((d) => `${d.path ?? ''}: ${d.reason ?? ''}`).join('; ');
    return `${this.message}${code}${details ? ` — ${details}` : ''}`;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ApiRequestError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

/** The JWT's claims, unverified (the server verifies; the console only needs sub and roles for display). */
export function jwtClaims(token: string): { sub?: string; roles?: unknown; exp?: number } {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    return JSON.parse(json) as { sub?: string; roles?: unknown };
  } catch {
    return {};
  }
}

function rolesOf(claims: { roles?: unknown }): string[] {
  const r = claims.roles;
  if (Array.isArray(r)) return r.map((x) => (typeof x === 'string' ? x : String((x as { name?: string }).name ?? '')));
  return typeof r === 'string' ? r.split(',').filter(Boolean) : [];
}

function sessionFrom(
  participantId: string,
  body: { accessToken: string; refreshToken?: string; expiresAt?: number | string },
): Session {
  const claims = jwtClaims(body.accessToken);
  return {
    participantId: claims.sub ?? participantId,
    roles: rolesOf(claims),
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    expiresAt: body.expiresAt,
  };
}

export class Api {
  session: Session | null;
  onLogout: () => void = () => undefined;

  constructor(private readonly base = '') {
    try {
      this.session = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    } catch {
      this.session = null;
    }
  }

  private save(session: Session | null): void {
    this.session = session;
    if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
    else localStorage.removeItem(SESSION_KEY);
  }

  async login(participantId: string, password: string): Promise<Session> {
    const body = await this.raw<{ accessToken: string; refreshToken?: string; expiresAt?: number }>('POST', '/login', {
      participantId,
      password,
    });
    const session = sessionFrom(participantId, body);
    this.save(session);
    return session;
  }

  logout(): void {
    this.save(null);
    this.onLogout();
  }

  /** Exchanges the refresh token for a new access token; false when that is not possible. */
  async refresh(): Promise<boolean> {
    const s = this.session;
    if (!s?.refreshToken) return false;
    try {
      const body = await this.raw<{ accessToken: string; refreshToken?: string; expiresAt?: number }>(
        'POST',
        '/refresh',
        {
          refreshToken: s.refreshToken,
        },
      );
      this.save({ ...sessionFrom(s.participantId, body), refreshToken: body.refreshToken ?? s.refreshToken });
      return true;
    } catch {
      return false;
    }
  }

  /** An authenticated call; one refresh-and-retry on 401, then the session is dropped. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await this.raw<T>(method, path, body, this.session?.accessToken);
    } catch (err) {
      if (!(err instanceof ApiRequestError) || err.status !== 401) throw err;
      if (!(await this.refresh())) {
        this.logout();
        throw err;
      }
      return this.raw<T>(method, path, body, this.session?.accessToken);
    }
  }

  private async raw<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiRequestError(0, { message: `network error: ${err instanceof Error ? err.message : String(err)}` });
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { message: text.slice(0, 300) };
    }
    if (!res.ok) throw new ApiRequestError(res.status, (parsed as ApiError) ?? { message: res.statusText });
    return parsed as T;
  }
}
