// Property-based fuzzing of the WebSocket door (fast-check) against a real gateway process (`threds gateway`) on the
// real Temporal dev server and FerretDB: junk before hello, hostile hellos (forged, expired, garbage tokens), then
// hostile frames in a session (non-JSON, binary, wrong types, huge, deeply nested, unknown types, hostile events,
// refresh frames). Over 3,000 frames per run across many connections. Each frame gets exactly one answer — an error
// frame for a bad one — or the socket closes with a documented code (4401 authentication, 1009 over 4× the frame
// limit, 1007 invalid UTF-8); never silence, never an internal error, and the process answers /health afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../bin/stack';
import { signAccessToken } from '../../gateway/tokens';
import { DEFAULT_LIMITS } from '../../gateway/types';
import { uniqueName } from '../helpers/servers';
import { eventArb, hostileString, hostileValue, Raw, toBody, validId } from './hostile';

const SECRET = 'ws-fuzz-' + randomBytes(16).toString('hex');
const FRAME_BYTES = DEFAULT_LIMITS.frameBytes;
/** The ws server's maxPayload (gateway/app.ts): beyond it the socket is closed with 1009. */
const MAX_PAYLOAD = FRAME_BYTES * 4;
const ANSWER_MS = 15_000; // above the 10 s routing deadline
/** Frames that come without being asked for; everything else answers the frame just sent. */
const UNSOLICITED = new Set(['message', 'expiring']);
const CLOSE_CODES = new Set([4401, 1009, 1007]);

let gateway: ChildProcess;
let baseUrl = '';
let logs = '';
const dataDir = mkdtempSync(join(tmpdir(), 'threds-ws-fuzz-'));
let framesSent = 0;
let connections = 0;
const answers = new Map<string, number>();
let participants = 0;

function startGateway(): Promise<string> {
  gateway = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), 'gateway'], {
    env: {
      ...process.env,
      MONGO_DB: uniqueName('t_wsfuzz'),
      THREDS_TASK_QUEUE: uniqueName('tq_wsfuzz'),
      THREDS_PORT: '0',
      THREDS_JWT_SECRET: SECRET,
      THREDS_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      logs = (logs + chunk.toString()).slice(-20_000);
      const m = /gateway listening on (http:\/\/\S+)/.exec(logs);
      if (m) resolve(m[1]!);
    };
    gateway.stdout!.on('data', onData);
    gateway.stderr!.on('data', onData);
    gateway.once('exit', (code) => reject(new Error(`gateway exited (${code}) before listening:\n${logs}`)));
  });
}

beforeAll(async () => {
  baseUrl = await startGateway();
}, 120_000);
afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((r) => gateway.once('exit', r));
    gateway.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (gateway.exitCode === null) gateway.kill('SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

type Answer = { frame: Record<string, unknown> } | { closed: { code: number; reason: string } };

/** One socket: raw server frames (each must be JSON), read one answer at a time. */
class Conn {
  private inbox: Record<string, unknown>[] = [];
  private closedWith: { code: number; reason: string } | undefined;
  private wake: (() => void) | undefined;
  readonly ws: WebSocket;

  constructor() {
    connections++;
    this.ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/ws', { maxPayload: 16 * 1024 * 1024 });
    this.ws.on('message', (data, isBinary) => {
      const text = data.toString();
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(text) as Record<string, unknown>;
      } catch {
        frame = { type: '!not-json', text: text.slice(0, 300) };
      }
      if (isBinary) frame = { type: '!binary' };
      this.inbox.push(frame);
      this.wake?.();
    });
    this.ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      this.wake?.();
    });
    this.ws.on('error', () => undefined); // a close follows
  }

  opened(): Promise<void> {
    return new Promise((ok, fail) => {
      this.ws.once('open', () => ok());
      this.ws.once('error', fail);
    });
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined || this.ws.readyState >= WebSocket.CLOSING;
  }

  send(data: string | Buffer, binary = false): void {
    framesSent++;
    this.ws.send(data, { binary });
  }

  /** The next solicited frame, or the close; throws when neither comes (a silent drop). */
  async answer(what: string): Promise<Answer> {
    const deadline = Date.now() + ANSWER_MS;
    for (;;) {
      const i = this.inbox.findIndex((f) => !UNSOLICITED.has(String(f.type)));
      if (i >= 0) return { frame: this.inbox.splice(i, 1)[0]! };
      if (this.closedWith) return { closed: this.closedWith };
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${ANSWER_MS} ms to ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  async closed(what: string): Promise<{ code: number }> {
    const a = await this.answer(what);
    if (!('closed' in a))
      throw new Error(`expected the socket to close after ${what}, got ${JSON.stringify(a.frame).slice(0, 300)}`);
    return a.closed;
  }

  close(): void {
    this.ws.terminate();
  }
}

function expectErrorFrame(frame: Record<string, unknown>, context: string): void {
  expect(frame, context).toEqual({
    type: 'error',
    ...('re' in frame && { re: expect.any(String) }),
    code: expect.stringMatching(/^THREDS_ERR_/),
    message: expect.any(String),
    details: expect.any(Array),
  });
  for (const d of frame.details as unknown[])
    expect(d, context).toEqual({ path: expect.any(String), reason: expect.any(String) });
  // Client input never makes the gateway fail, nor look unavailable.
  expect(frame.code, context).not.toMatch(/^THREDS_ERR_(INTERNAL|UNAVAILABLE|NOT_READY)$/);
}

/** A frame to send, and what the test knows about it beyond what its bytes say. */
interface Out {
  data: string | Buffer;
  binary?: boolean;
  /** A refresh frame's token: valid for the session's participant, for another one, or bad. */
  token?: 'own' | 'other' | 'bad';
  label: string;
}

const show = (o: Out) =>
  `${o.label}: ${(typeof o.data === 'string' ? o.data : `<${o.data.length} bytes>`).slice(0, 400)}`;
/** Counterexamples print frames shortened (some are a megabyte). */
const printable = (o: Out): Out => Object.assign(o, { [fc.toStringMethod]: () => show(o) });
const text = (data: string, label: string, extra: Partial<Out> = {}): Out => printable({ data, label, ...extra });

/** What the gateway sees of a frame before it looks at the session: too big, binary, not JSON, not a typed object. */
type Shape =
  | { kind: 'close'; code: number }
  | { kind: 'error'; code: string }
  | { kind: 'typed'; type: string; frame: Record<string, unknown> };
function shapeOf(o: Out): Shape {
  const bytes = typeof o.data === 'string' ? Buffer.byteLength(o.data) : o.data.length;
  if (bytes > MAX_PAYLOAD) return { kind: 'close', code: 1009 };
  if (!o.binary && typeof o.data !== 'string') return { kind: 'close', code: 1007 }; // invalid UTF-8 as a text frame
  if (bytes > FRAME_BYTES) return { kind: 'error', code: 'THREDS_ERR_PAYLOAD_TOO_LARGE' };
  if (o.binary) return { kind: 'error', code: 'THREDS_ERR_BAD_FRAME' };
  let value: unknown;
  try {
    value = JSON.parse(o.data as string);
  } catch {
    return { kind: 'error', code: 'THREDS_ERR_INVALID_JSON' };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof type !== 'string') {
    return { kind: 'error', code: 'THREDS_ERR_BAD_FRAME' };
  }
  return { kind: 'typed', type, frame: value as Record<string, unknown> };
}

const count = (key: string) => answers.set(key, (answers.get(key) ?? 0) + 1);

/** Sends one frame and checks its answer; returns the session state after it. */
async function exchange(c: Conn, o: Out, authed: boolean): Promise<'open' | 'closed' | 'welcomed'> {
  const context = show(o);
  const shape = shapeOf(o);
  c.send(o.data, o.binary);
  const a = await c.answer(context);
  if ('closed' in a) {
    count(`close ${a.closed.code}`);
    expect(CLOSE_CODES.has(a.closed.code), `close ${a.closed.code} after ${context}`).toBe(true);
    if (shape.kind === 'close') expect(a.closed.code, context).toBe(shape.code);
    else throw new Error(`closed (${a.closed.code}) without an error frame after ${context}`);
    return 'closed';
  }
  const { frame } = a;
  count(String(frame.type === 'error' ? frame.code : frame.type));
  if (shape.kind === 'close')
    throw new Error(`expected close ${shape.code}, got ${JSON.stringify(frame).slice(0, 300)} for ${context}`);
  if (shape.kind === 'error') {
    expectErrorFrame(frame, context);
    expect(frame.code, context).toBe(shape.code);
    return 'open';
  }
  const { type } = shape;
  if (!authed) {
    // Before a session only a good hello is answered without closing; anything else is an authentication failure.
    if (frame.type === 'welcome') {
      expect(type, context).toBe('hello');
      return 'welcomed';
    }
    expectErrorFrame(frame, context);
    expect((await c.closed(context)).code, context).toBe(4401);
    count('close 4401');
    return 'closed';
  }
  if (type === 'ping') {
    expect(frame, context).toEqual({ type: 'pong' });
    return 'open';
  }
  if (type === 'event') {
    const ev = shape.frame.event as { id?: unknown } | undefined;
    const id =
      typeof ev === 'object' && ev !== null && !Array.isArray(ev) && typeof ev.id === 'string' ? ev.id : undefined;
    if (frame.type === 'ack') {
      expect(frame, context).toMatchObject({
        eventId: expect.any(String),
        thredIds: expect.any(Array),
        started: expect.any(Array),
        refused: expect.any(Array),
      });
      if (id !== undefined) expect(frame.eventId, context).toBe(id);
    } else {
      expectErrorFrame(frame, context);
      if (id !== undefined) expect(frame.re, context).toBe(id);
    }
    return 'open';
  }
  if (type === 'refresh' && frame.type === 'refreshed') {
    expect(o.token, `refreshed for ${context}`).toBe('own');
    expect(frame, context).toEqual({ type: 'refreshed', expiresAt: expect.any(Number) });
    return 'open';
  }
  expectErrorFrame(frame, context);
  if (type === 'refresh') {
    expect(o.token, `refresh refused: ${JSON.stringify(frame)} for ${context}`).not.toBe('own');
    if (o.token === 'other') expect(frame.code, context).toBe('THREDS_ERR_TOKEN_PARTICIPANT_MISMATCH');
  }
  return 'open';
}

// --- arbitraries -------------------------------------------------------------------------------------------------

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const hs256 = (secret: string, header: unknown, claims: unknown) => {
  const unsigned = `${b64(header)}.${b64(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
};
const nowS = () => Math.floor(Date.now() / 1000);
const tokenFor = (participantId: string, ttlMs = 3_600_000, now = Date.now()) =>
  signAccessToken(SECRET, { participantId, roles: [], ttlMs, now }).token;

/** Tokens the gateway must refuse. */
const badToken: fc.Arbitrary<string> = fc.oneof(
  hostileString,
  validId.map((p) => tokenFor(p, 60_000, Date.now() - 7_200_000)), // expired
  validId.map(
    (p) =>
      signAccessToken('not-the-secret-' + 'x'.repeat(16), { participantId: p, roles: ['admin'], ttlMs: 3_600_000 })
        .token,
  ),
  validId.map(
    (p) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: p, roles: ['admin'], iat: nowS(), exp: nowS() + 3600 })}.`,
  ),
  validId.map((p) => hs256(SECRET, { alg: 'HS512', typ: 'JWT' }, { sub: p, exp: nowS() + 3600 })),
  fc.constantFrom('', '.', '..', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9..', tokenFor('x').slice(0, -2)),
  fc
    .oneof(fc.constant(''), hostileValue)
    .map((sub) => hs256(SECRET, { alg: 'HS256', typ: 'JWT' }, { sub, roles: [], exp: nowS() + 3600 }))
    .filter((t) => {
      const sub = (JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { sub?: unknown }).sub;
      return typeof sub !== 'string' || sub === '';
    }),
);

const deep = (n: number) => new Raw('['.repeat(n) + ']'.repeat(n));
const deepObject = (n: number) => new Raw('{"a":'.repeat(n) + '0' + '}'.repeat(n));

/** Frames that are bad whatever the session state. */
const junk: fc.Arbitrary<Out> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 60 }).map((s) => text(s, 'text')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => text(s, 'unicode text')) },
  {
    weight: 3,
    arbitrary: fc
      .uint8Array({ maxLength: 64 })
      .map((b) => printable({ data: Buffer.from(b), binary: true, label: 'binary' })),
  },
  { weight: 4, arbitrary: hostileValue.map((v) => text(toBody(v), 'json value')) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(10, 1000, 10_000, 100_000),
        fc.boolean(),
        fc.constantFrom('', '{"type":"ping","x":', '{"type":"refresh","token":', '{"type":"event","event":'),
      )
      .map(([n, array, prefix]) => {
        const nested = (array ? deep(n) : deepObject(n)).text;
        return text(prefix ? `${prefix}${nested}}` : nested, `nested ${n} ${prefix}`);
      }),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ type: hostileString, payload: hostileValue }, { requiredKeys: ['type'] })
      .map((f) => text(toBody(f), 'unknown type')),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        type: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.constant('hello')), fc.constant({ hello: 1 })),
      })
      .map((f) => text(toBody(f), 'non-string type')),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(FRAME_BYTES + 1, FRAME_BYTES * 2)
      .map((n) => text(JSON.stringify({ type: 'event', event: { type: 'x', pad: 'p'.repeat(n) } }), `huge ${n}`)),
  },
);

/** Rare and expensive: a frame beyond maxPayload (closed 1009), or invalid UTF-8 in a text frame (closed 1007). */
const fatal: fc.Arbitrary<Out> = fc.oneof(
  fc.constant(0).map(() => printable({ data: 'z'.repeat(MAX_PAYLOAD + 10), label: 'beyond maxPayload' })),
  fc
    .constantFrom(
      Buffer.from([0xff, 0xfe, 0x7b]),
      Buffer.from('{"type":"ping","x":"\xc3"}', 'latin1'),
      Buffer.from([0xed, 0xa0, 0x80]),
    )
    .map((b) => printable({ data: b, binary: false, label: 'invalid utf-8 text' })),
);

/** Hellos: a good one for a fresh participant, or forged, expired, garbage, or of the wrong shape. */
function helloArb(participant: string): fc.Arbitrary<Out> {
  const since = fc.option(
    fc.oneof(fc.integer({ min: 0, max: 2_000_000_000_000 }), fc.double({ min: 0, max: 1e15, noNaN: true })),
    { nil: undefined },
  );
  return fc.oneof(
    {
      weight: 10,
      arbitrary: since.map((s) =>
        text(
          JSON.stringify({ type: 'hello', token: tokenFor(participant), ...(s !== undefined && { since: s }) }),
          'hello',
        ),
      ),
    },
    {
      weight: 4,
      arbitrary: badToken.map((t) => text(JSON.stringify({ type: 'hello', token: t }), 'hello, bad token')),
    },
    {
      weight: 2,
      arbitrary: fc
        .record(
          {
            token: fc.oneof(hostileValue, fc.constant(tokenFor(participant))),
            since: hostileValue,
            extra: hostileValue,
          },
          { requiredKeys: [] },
        )
        .filter(
          (f) => typeof f.token !== 'string' || (f.since !== undefined && (typeof f.since !== 'number' || f.since < 0)),
        )
        .map((f) => text(toBody({ type: 'hello', ...f }), 'hello, bad shape')),
    },
  );
}

/** Frames of an established session (participant `participant`). */
function sessionFrame(participant: string): fc.Arbitrary<Out> {
  const refresh = fc.oneof(
    fc
      .constant(0)
      .map(() => text(JSON.stringify({ type: 'refresh', token: tokenFor(participant) }), 'refresh', { token: 'own' })),
    validId
      .filter((p) => p !== participant)
      .map((p) =>
        text(JSON.stringify({ type: 'refresh', token: tokenFor(p) }), 'refresh, other participant', { token: 'other' }),
      ),
    badToken.map((t) => text(JSON.stringify({ type: 'refresh', token: t }), 'refresh, bad token', { token: 'bad' })),
    fc
      .record({ token: hostileValue, extra: hostileValue }, { requiredKeys: [] })
      .map((f) => text(toBody({ type: 'refresh', ...f }), 'refresh, bad shape', { token: 'bad' })),
  );
  return fc.oneof(
    {
      weight: 8,
      arbitrary: eventArb(['wsfuzz_thred_missing', 'x']).map((event) =>
        text(toBody({ type: 'event', event }), 'event'),
      ),
    },
    {
      weight: 2,
      arbitrary: hostileValue.map((event) => text(toBody({ type: 'event', event }), 'event, hostile envelope')),
    },
    { weight: 3, arbitrary: refresh },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        text('{"type":"ping"}', 'ping'),
        text(JSON.stringify({ type: 'hello', token: tokenFor(participant) }), 'second hello'),
      ),
    },
    { weight: 6, arbitrary: junk },
  );
}

async function session(pre: Out[], participant: string, hello: Out, rest: Out[], last: Out | undefined): Promise<void> {
  const c = new Conn();
  try {
    await c.opened();
    for (const o of pre) if ((await exchange(c, o, false)) === 'closed') return;
    let state = await exchange(c, hello, false);
    if (state === 'closed') return;
    let authed = state === 'welcomed';
    for (const o of [...rest, ...(last ? [last] : [])]) {
      state = await exchange(c, o, authed);
      if (state === 'closed') return;
      if (state === 'welcomed') authed = true;
    }
  } finally {
    c.close();
  }
}

describe('fuzz: WebSocket frames', () => {
  it('every frame before and after hello is answered, and the gateway survives', async () => {
    const started = Date.now();
    const connection = fc.constant(null).chain(() => {
      const participant = `wsfuzz-${++participants}`;
      return fc.tuple(
        fc.array(
          junk.filter((o) => shapeOf(o).kind !== 'typed'),
          { maxLength: 3 },
        ),
        fc.constant(participant),
        helloArb(participant),
        fc.array(sessionFrame(participant), { minLength: 10, maxLength: 40 }),
        fc.option(fatal, { freq: 12, nil: undefined }),
      );
    });
    await fc.assert(
      fc.asyncProperty(connection, async ([pre, participant, hello, rest, last]) =>
        session(pre, participant, hello, rest, last),
      ),
      { numRuns: 300, endOnFailure: true },
    );
    // Connections that end at their first typed frame before hello (4401), in bulk.
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { maxLength: 4 }), helloArb(`wsfuzz-${++participants}`), async (pre, hello) => {
        const c = new Conn();
        try {
          await c.opened();
          for (const o of [...pre, hello]) if ((await exchange(c, o, false)) !== 'open') return;
        } finally {
          c.close();
        }
      }),
      { numRuns: 200, endOnFailure: true },
    );

    console.log(
      `[ws-fuzz] ${framesSent} frames over ${connections} connections in ${Math.round((Date.now() - started) / 1000)} s; answers:`,
      Object.fromEntries([...answers].sort((a, b) => b[1] - a[1])),
    );
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status, logs).toBe(200);
    expect(gateway.exitCode, logs).toBeNull();
    expect(
      logs
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l))
        .map((l) => l.slice(0, 600)),
      'errors the gateway logged',
    ).toEqual([]);
    expect(framesSent).toBeGreaterThanOrEqual(3_000);
  });
});
