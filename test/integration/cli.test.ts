/**
 * SPEC §11's CLI through its real entry point (`node bin/threds.mjs …` as a child process, configured by the
 * environment like the gateway): `user add` with and without --roles, then POST /login with that password through a
 * gateway; `token` minting JWTs the gateway accepts, with the roles and ttl asked for; bad arguments → exit 2 with the
 * usage on stderr.
 */
import { join } from 'node:path';
import { runThreds, type Ran } from '../helpers/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../bin/stack';
import { JWT_SECRET, startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';

let g: GatewayEngine;
let gw: Gateway;

beforeAll(async () => {
  g = await startGatewayEngine('cli', { patterns: [] });
  gw = await g.gateway({}, false);
});
afterAll(async () => {
  await g?.close();
});

function threds(...args: string[]): Promise<Ran> {
  return runThreds(args, {
    ...process.env,
    MONGO_DB: g.e.s.dbName,
    THREDS_JWT_SECRET: JWT_SECRET,
    THREDS_CONFIG_DIR: join(projectRoot, 'test', 'fixtures', 'no-such-config'),
    LOG_LEVEL: 'warn',
  });
}

async function login(participantId: string, password: string) {
  return gw.app.inject({ method: 'POST', url: '/login', payload: { participantId, password } });
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
    sub: string;
    roles: string[];
    iat: number;
    exp: number;
  };

describe('threds user add', () => {
  it('without --roles (the SPEC §11 form): exit 0, the participant logs in with no roles', async () => {
    const ran = await threds('user', 'add', 'cli_plain', '--password', 'plain-pw-1');
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('created participant cli_plain (roles: none)\n');
    const res = await login('cli_plain', 'plain-pw-1');
    expect(res.statusCode).toBe(200);
    expect(claimsOf(res.json<{ accessToken: string }>().accessToken)).toMatchObject({ sub: 'cli_plain', roles: [] });
    expect((await login('cli_plain', 'wrong')).statusCode).toBe(401);
  });

  it('with --roles: the roles are stored and in the login token; a later add without --roles keeps them', async () => {
    const ran = await threds(
      'user',
      'add',
      'cli_ops',
      '--password',
      'ops-pw-1',
      '--roles',
      'ops, admin',
      '--name',
      'Ops',
    );
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('created participant cli_ops (roles: ops,admin)\n');
    const res = await login('cli_ops', 'ops-pw-1');
    expect(res.statusCode).toBe(200);
    expect(claimsOf(res.json<{ accessToken: string }>().accessToken).roles).toEqual(['ops', 'admin']);
    expect((await g.e.store.participants.get('cli_ops'))?.name).toBe('Ops');

    const again = await threds('user', 'add', 'cli_ops', '--password', 'ops-pw-2');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('updated participant cli_ops (roles: ops,admin)\n');
    expect((await login('cli_ops', 'ops-pw-1')).statusCode).toBe(401);
    const fresh = await login('cli_ops', 'ops-pw-2');
    expect(fresh.statusCode).toBe(200);
    expect(claimsOf(fresh.json<{ accessToken: string }>().accessToken).roles).toEqual(['ops', 'admin']);
  });

  it('a participant stored without a roles field (older records) is updated without crashing', async () => {
    await g.e.s.db
      .collection<{ _id: string }>('participants')
      .insertOne({ _id: 'cli_legacy', createdAt: 1, updatedAt: 1 } as never);
    const ran = await threds('user', 'add', 'cli_legacy', '--password', 'legacy-pw');
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('updated participant cli_legacy (roles: none)\n');
    expect((await login('cli_legacy', 'legacy-pw')).statusCode).toBe(200);
  });

  it.each([
    [['user'], 'missing subcommand'],
    [['user', 'remove', 'x', '--password', 'p'], 'unknown subcommand "remove"'],
    [['user', 'add', '--password', 'p'], 'missing <participantId>'],
    [['user', 'add', 'x'], 'missing --password'],
    [['user', 'add', 'x', 'y', '--password', 'p'], 'unexpected argument "y"'],
    [['user', 'add', 'x', '--password', 'p', '--colour', 'red'], "Unknown option '--colour'"],
    [['user', 'add', 'x', '--password'], "Option '--password <value>' argument missing"],
    [['user', 'add', 'x', '--password', ''], 'missing --password'],
  ])('bad arguments %j → exit 2 with the usage on stderr', async (args, why) => {
    const ran = await threds(...args);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain(why);
    expect(ran.stderr).toContain('Usage: threds user add <participantId> --password <pw>');
  });
});

describe('threds token', () => {
  it('prints only a JWT the gateway accepts, with the roles and ttl asked for', async () => {
    const ran = await threds('token', 'cli_sensor', '--roles', 'sensor,admin', '--ttl', '90s');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = ran.stdout.trim();
    const claims = claimsOf(token);
    expect(claims).toMatchObject({ sub: 'cli_sensor', roles: ['sensor', 'admin'] });
    expect(claims.exp - claims.iat).toBe(90);
    expect(Math.abs(claims.iat - Date.now() / 1000)).toBeLessThan(120);
    const admin = await gw.app.inject({
      method: 'GET',
      url: '/dead-letters',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(admin.statusCode).toBe(200);
  });

  it('default ttl is 1h; without --roles it uses the stored roles', async () => {
    expect((await threds('user', 'add', 'cli_stored', '--password', 'pw', '--roles', 'ops')).code).toBe(0);
    const ran = await threds('token', 'cli_stored');
    expect(ran.code).toBe(0);
    const token = ran.stdout.trim();
    const claims = claimsOf(token);
    expect(claims).toMatchObject({ sub: 'cli_stored', roles: ['ops'] });
    expect(claims.exp - claims.iat).toBe(3600);
    const threds_ = await gw.app.inject({
      method: 'GET',
      url: '/threds',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(threds_.statusCode).toBe(200);
    // Not an admin: the gateway read the roles from the token.
    const admin = await gw.app.inject({
      method: 'GET',
      url: '/dead-letters',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(admin.statusCode).toBe(403);
  });

  it('a token signed with another secret is refused (the CLI really uses the configured one)', async () => {
    const ran = await threds('token', 'cli_sensor', '--roles', 'admin');
    const token = ran.stdout.trim();
    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
    const res = await gw.app.inject({ method: 'GET', url: '/threds', headers: { authorization: `Bearer ${forged}` } });
    expect(res.statusCode).toBe(401);
  });

  it.each([
    [['token'], 'missing <participantId>'],
    [['token', 'a', 'b'], 'unexpected argument "b"'],
    [['token', 'a', '--ttl', 'soon'], '--ttl: not a duration: "soon"'],
    [['token', 'a', '--ttl', '0s'], '--ttl: not a duration: "0s"'],
    [['token', 'a', '--expires', '1h'], "Unknown option '--expires'"],
  ])('bad arguments %j → exit 2 with the usage on stderr', async (args, why) => {
    const ran = await threds(...args);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain(why);
    expect(ran.stderr).toContain('Usage: threds token <participantId> [--roles a,b] [--ttl 1h]');
  });
});
