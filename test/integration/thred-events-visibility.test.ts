// GET /threds/:id/events as the original platform's userControl getEvents answers it: a participant sees the events
// it sent and those addressed to it, an admin sees every event of the thred. Real engine, HTTP through the gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { eventId, waitFor } from '../helpers/engine';

// Each `vis.tell` event publishes its `text` (as the title) to the participants named in `to`; the thred stays put.
const relay = {
  name: 'Vis Relay',
  reactions: [
    {
      name: 'relay',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'vis.tell'",
        transform: { eventDataTemplate: { title: "$xpr($valueNamed('text'))" } },
        publish: { to: "$xpr($valueNamed('to'))" },
        transition: { name: '$noTransition' },
      },
    },
  ],
};

interface Listed {
  event: { id: string; source: { id: string }; data?: { title?: string } };
  direction: 'in' | 'out';
  to?: string[];
}

let g: GatewayEngine;
let gw: Gateway;
let thredId: string;
const ids: Record<string, string> = {};

async function tell(from: string, to: string[], text: string): Promise<string[]> {
  const id = eventId(text);
  ids[text] = id;
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer(from),
    payload: {
      id,
      type: 'vis.tell',
      ...(thredId && { thredId }),
      source: { id: from },
      data: { content: { values: { to, text } } },
    },
  });
  expect(res.statusCode).toBe(202);
  return (res.json() as { results: { thredIds: string[] }[] }).results[0]!.thredIds;
}

async function list(who: string, roles: string[] = []): Promise<{ status: number; events: Listed[] }> {
  const res = await gw.app.inject({ method: 'GET', url: `/threds/${thredId}/events`, headers: g.bearer(who, roles) });
  return { status: res.statusCode, events: res.statusCode === 200 ? (res.json() as { events: Listed[] }).events : [] };
}

/** `in:<text>` for an inbound event (named by its id), `out:<title>` for an outbound one. */
const names = (events: Listed[]) =>
  events
    .map((e) =>
      e.direction === 'in'
        ? `in:${Object.keys(ids).find((k) => ids[k] === e.event.id) ?? e.event.id}`
        : `out:${e.event.data?.title}`,
    )
    .sort();

beforeAll(async () => {
  g = await startGatewayEngine('eventsvis', { patterns: [relay] });
  gw = await g.gateway({}, false);
  thredId = (await tell('alice', ['bob'], 'a-to-b'))[0]!;
  await tell('bob', ['alice'], 'b-to-a');
  await tell('alice', ['alice', 'bob'], 'both');
  await tell('alice', ['carol'], 'a-to-c');
  // Every message is recorded once its step ran: 4 inbound + 4 outbound.
  await waitFor(async () => (await list('root', ['admin'])).events.length === 8, 'all 8 events stored');
  await waitFor(
    async () => (await g.e.store.threds.get(thredId))?.participants.includes('carol'),
    'carol in the read model',
  );
});
afterAll(async () => g?.close());

describe('GET /threds/:id/events visibility', () => {
  it('shows each participant only the events it sent or that were addressed to it', async () => {
    const alice = await list('alice');
    expect(alice.status).toBe(200);
    expect(names(alice.events)).toEqual(['in:a-to-b', 'in:a-to-c', 'in:both', 'out:b-to-a', 'out:both'].sort());

    const bob = await list('bob');
    expect(bob.status).toBe(200);
    expect(names(bob.events)).toEqual(['in:b-to-a', 'out:a-to-b', 'out:both'].sort());

    // Carol only ever received one message of this thred.
    const carol = await list('carol');
    expect(carol.status).toBe(200);
    expect(names(carol.events)).toEqual(['out:a-to-c']);
  });

  it('shows an admin every event of the thred, in storage order', async () => {
    const admin = await list('root', ['admin']);
    expect(admin.status).toBe(200);
    expect(names(admin.events)).toEqual(
      ['in:a-to-b', 'in:b-to-a', 'in:both', 'in:a-to-c', 'out:a-to-b', 'out:b-to-a', 'out:both', 'out:a-to-c'].sort(),
    );
    expect(admin.events.find((e) => e.event.data?.title === 'both')?.to?.sort()).toEqual(['alice', 'bob']);
  });

  it('a non-participant gets 404, as for a thred that does not exist', async () => {
    expect((await list('mallory')).status).toBe(404);
  });

  it('decides records stored without the sourceId column by their event', async () => {
    const legacy = eventId('legacy');
    const event = { id: legacy, type: 'vis.tell', thredId, source: { id: 'bob' }, time: Date.now() };
    await g.e.s.db
      .collection<{ _id: string; [field: string]: unknown }>('events')
      .insertOne({ _id: legacy, event: JSON.stringify(event), direction: 'in', thredId, storedAt: Date.now() });
    ids.legacy = legacy;
    expect(names((await list('bob')).events)).toContain('in:legacy');
    expect(names((await list('alice')).events)).not.toContain('in:legacy');
  });
});
