// Dead-letter retry and delete through the HTTP API on the real engine: an agent whose retries ran out leaves a dead
// letter; once the agent is back, POST /dead-letters/:id/retry calls it again and its reply moves the thred on —
// exactly once, however often (and however concurrently) the retry is asked for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import type { Message } from '../../patterns';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { agentType, waitFor } from '../helpers/engine';

const AGENT = agentType('dlretry');
let agentUp = false;
const calls: string[] = [];

const pattern = {
  id: 'dl_retry',
  name: 'dl_retry',
  reactions: [
    {
      name: 'call',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'dl.start'",
        transform: { eventDataTemplate: { title: 'please answer' } },
        publish: { to: AGENT },
      },
    },
    {
      name: 'wait',
      condition: {
        type: 'filter',
        xpr: `$event.type = '${AGENT}'`,
        transform: { eventDataTemplate: { title: 'got reply' } },
        publish: { to: '$thred' },
      },
    },
    {
      name: 'after',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'dl.mark'",
        transform: { eventDataTemplate: { title: 'marked' } },
        publish: { to: '$thred' },
        transition: { name: '$noTransition' },
      },
    },
  ],
};

let g: GatewayEngine;
let gw: Gateway;
let admin: { authorization: string };

beforeAll(async () => {
  g = await startGatewayEngine('dlretry', {
    patterns: [pattern],
    agents: [
      {
        nodeType: AGENT,
        retry: { initialInterval: '50ms', maximumAttempts: 2 },
        handler: async (message: Message) => {
          calls.push(message.id);
          if (!agentUp) throw ApplicationFailure.retryable('backend down', 'BackendDown');
          return {
            id: `reply-${message.id}`,
            type: AGENT,
            source: { id: 'dl-agent' },
            re: message.event.id,
            thredId: message.event.thredId!,
          };
        },
      },
    ],
  });
  gw = await g.gateway({}, false);
  admin = g.bearer('ops', ['admin']);
});
afterAll(async () => g?.close());

const post = (url: string, payload?: unknown, headers: Record<string, string> = admin) =>
  gw.app.inject({ method: 'POST', url, ...(payload !== undefined && { payload: payload as object }), headers });
const titles = async (participant: string, thredId: string) =>
  (await g.e.store.outbox.since(participant, 0))
    .filter((m) => m.message.event.thredId === thredId)
    .map((m) => m.message.event.data?.title);

async function deadLetterOf(thredId: string): Promise<{ id: string }> {
  return waitFor(
    async () => {
      const res = await gw.app.inject({ method: 'GET', url: '/dead-letters', headers: admin });
      return (res.json().deadLetters as { id: string; thredId: string }[]).find((d) => d.thredId === thredId);
    },
    'a dead letter',
    30_000,
  );
}

describe('POST /dead-letters/:id/retry', () => {
  it('re-sends the failed agent message once: concurrent and repeated retries do not double it', async () => {
    const started = await post('/events', { type: 'dl.start', source: { id: 'x' } }, g.bearer('dl_person'));
    const thredId = started.json().results[0].started[0] as string;
    const letter = await deadLetterOf(thredId);
    expect(calls.filter((c) => c === letter.id)).toHaveLength(2); // the retry policy's two attempts
    expect((await g.e.store.threds.get(thredId))?.reaction).toBe('wait');

    agentUp = true;
    const [a, b] = await Promise.all([
      post(`/dead-letters/${letter.id}/retry`),
      post(`/dead-letters/${letter.id}/retry`),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const retryId = `${letter.id}.retry`;
    expect([a.json().retried, b.json().retried].sort()).toEqual([false, true]);
    expect(a.json()).toMatchObject({ id: letter.id, thredId, retryId });

    // The reply moved the thred on.
    await waitFor(async () => (await g.e.store.threds.get(thredId))?.reaction === 'after', 'the reply to be taken');
    const again = await post(`/dead-letters/${letter.id}/retry`);
    expect(again.json()).toEqual({ id: letter.id, thredId, retryId, retried: false });

    // A later event is handled after anything the retries could have queued: still one call, one reply taken.
    expect(
      (await post('/events', { type: 'dl.mark', source: { id: 'x' }, thredId }, g.bearer('dl_person'))).statusCode,
    ).toBe(202);
    await waitFor(async () => (await titles('dl_person', thredId)).includes('marked'), 'the marker');
    expect(calls.filter((c) => c === retryId)).toHaveLength(1);
    expect((await titles('dl_person', thredId)).filter((t) => t === 'got reply')).toHaveLength(1);
    const listed = (await gw.app.inject({ method: 'GET', url: '/dead-letters', headers: admin })).json()
      .deadLetters as { id: string; retriedAt?: number; retryId?: string }[];
    expect(listed.find((d) => d.id === letter.id)).toMatchObject({ retryId, retriedAt: expect.any(Number) });
  });

  it('a retry that fails again becomes a new dead letter; DELETE removes letters; unknown ids are 404', async () => {
    agentUp = false;
    const started = await post('/events', { type: 'dl.start', source: { id: 'x' } }, g.bearer('dl_person2'));
    const thredId = started.json().results[0].started[0] as string;
    const first = await deadLetterOf(thredId);
    expect((await post(`/dead-letters/${first.id}/retry`)).json()).toMatchObject({ retried: true });
    const second = await waitFor(
      async () => (await g.e.store.deadLetters.forThred(thredId)).find((d) => d._id === `${first.id}.retry`),
      'the retry to fail again',
    );
    expect(second.error).toContain('backend down');

    const del = await gw.app.inject({ method: 'DELETE', url: `/dead-letters/${first.id}`, headers: admin });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ id: first.id, deleted: true });
    expect(await g.e.store.deadLetters.get(first.id)).toBeNull();
    const gone = await gw.app.inject({ method: 'DELETE', url: `/dead-letters/${first.id}`, headers: admin });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({
      code: 'THREDS_ERR_NOT_FOUND',
      message: `dead letter ${first.id} does not exist`,
    });
    expect((await post('/dead-letters/nope/retry')).statusCode).toBe(404);
    expect((await post(`/dead-letters/${second._id}/retry`, undefined, g.bearer('dl_person2'))).statusCode).toBe(403);
  });
});
