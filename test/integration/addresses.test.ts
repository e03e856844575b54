// Publish addresses resolved through a running thred (SPEC §5): real worker, gateway and WebSocket clients. Each case
// asserts who receives a message and that everyone else does not — by sending a later marker message to the others
// and checking, once it arrived, that the case's message never did (messages of one thred reach a socket in order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentType } from '../helpers/engine';
import { startGatewayEngine, titled, WsClient, type Gateway, type GatewayEngine } from '../helpers/gateway';

// `<kind>.tell` publishes `text` to the addresses in `to` (an $xpr); `<kind>.star` publishes to a literal '*'.
const relay = (name: string, broadcastAllowed: boolean, kind: string) => ({
  name,
  broadcastAllowed,
  reactions: [
    {
      name: 'relay',
      condition: {
        type: 'or',
        transition: { name: '$noTransition' },
        operands: [
          {
            type: 'filter',
            xpr: `$event.type = '${kind}.tell'`,
            transform: { eventDataTemplate: { title: "$xpr($valueNamed('text'))" } },
            publish: { to: "$xpr($valueNamed('to'))" },
          },
          {
            type: 'filter',
            xpr: `$event.type = '${kind}.star'`,
            transform: { eventDataTemplate: { title: "$xpr($valueNamed('text'))" } },
            publish: { to: '*' },
          },
        ],
      },
    },
  ],
});

const AGENT = 'addr-agent';
const PEOPLE = ['alice', 'bob', 'carol', 'dave'] as const;
type Person = (typeof PEOPLE)[number];

let g: GatewayEngine;
let gw: Gateway;
const clients = {} as Record<Person, WsClient>;

async function post(sender: string, payload: Record<string, unknown>): Promise<string[]> {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer(sender),
    payload: { source: { id: sender }, ...payload },
  });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json().results[0] as { thredIds: string[] }).thredIds;
}

const tell = (thredId: string | undefined, to: string[], text: string, sender = 'relay-sensor', type = 'addr.tell') =>
  post(sender, { type, ...(thredId !== undefined && { thredId }), data: { content: { values: { to, text } } } });

let counter = 0;
/** `text` reached exactly `recipients` (with `to` listing them) among the connected people; checked with a marker. */
async function expectOnly(thredId: string, text: string, recipients: Person[], to: string[] = recipients) {
  for (const p of recipients) {
    const frame = await clients[p].next(titled(text), `${text} for ${p}`);
    expect(((frame.message as { to: string[] }).to ?? []).slice().sort()).toEqual([...to].sort());
  }
  const others = PEOPLE.filter((p) => !recipients.includes(p));
  if (others.length === 0) return;
  const marker = `marker ${++counter} after ${text}`;
  await tell(thredId, others, marker);
  for (const p of others) {
    await clients[p].next(titled(marker), `${marker} for ${p}`);
    expect(clients[p].frames.filter(titled(text)), `${p} must not get '${text}'`).toHaveLength(0);
  }
}

beforeAll(async () => {
  g = await startGatewayEngine('addresses', {
    patterns: [relay('Addr Relay', false, 'addr'), relay('Bcast Relay', true, 'bcast')],
    groups: { ops: ['alice', 'bob'], empty: [] },
    agents: [{ nodeType: agentType('addr'), nodeIds: [AGENT], handler: async () => null }],
  });
  await g.addParticipant('carol', 'pw-carol', ['medic']);
  gw = await g.gateway();
  for (const p of PEOPLE) clients[p] = (await WsClient.connect(gw.url, g.token(p))).ws;
}, 120_000);
afterAll(async () => {
  for (const c of Object.values(clients)) c.close();
  await g?.close();
});

describe('publish addresses through a running thred', () => {
  let thredId: string;
  beforeAll(async () => {
    thredId = (
      await post('relay-sensor', { type: 'addr.tell', data: { content: { values: { to: [], text: 'start' } } } })
    )[0]!;
  });

  it('$group and @group: the members of the group', async () => {
    await tell(thredId, ['$ops'], 'to $ops');
    await expectOnly(thredId, 'to $ops', ['alice', 'bob']);
    await tell(thredId, ['@ops'], 'to @ops');
    await expectOnly(thredId, 'to @ops', ['alice', 'bob']);
  });

  it('a name with no group: the holders of that role', async () => {
    await tell(thredId, ['$medic'], 'to $medic');
    await expectOnly(thredId, 'to $medic', ['carol']);
    await tell(thredId, ['@medic', 'dave'], 'to @medic and dave');
    await expectOnly(thredId, 'to @medic and dave', ['carol', 'dave']);
  });

  it('$all: every participant with a live session', async () => {
    await tell(thredId, ['$all'], 'to $all');
    await expectOnly(thredId, 'to $all', [...PEOPLE]);
  });

  it("'*' in a pattern without broadcastAllowed reaches nobody, literal or produced by an expression", async () => {
    await tell(thredId, [], 'literal star', 'relay-sensor', 'addr.star');
    await expectOnly(thredId, 'literal star', []);
    await tell(thredId, ['*', 'bob'], 'star and bob');
    await expectOnly(thredId, 'star and bob', ['bob']);
  });

  it("'*' in a pattern with broadcastAllowed is $all", async () => {
    const [b] = await post('relay-sensor', {
      type: 'bcast.tell',
      data: { content: { values: { to: [], text: 'start b' } } },
    });
    await tell(b!, [], 'broadcast star', 'relay-sensor', 'bcast.star');
    await expectOnly(b!, 'broadcast star', [...PEOPLE]);
  });

  it('an unknown group and Object.prototype names reach nobody, and the thred carries on', async () => {
    await tell(thredId, ['$nosuch', '$constructor', '$empty', 'dave'], 'unknown groups');
    await expectOnly(thredId, 'unknown groups', ['dave']);
  });

  it("$thred: the thred's recipients and publishing senders, never an agent", async () => {
    const agent = (await WsClient.connect(gw.url, g.token(AGENT))).ws;
    try {
      // A fresh thred: alice received its first message; bob sent the event that published it.
      const [t] = await tell(undefined, ['alice'], 'thred start', 'bob');
      await clients.alice.next(titled('thred start'));
      // The agent (connected as a participant, as remote agents may be) makes the thred publish to $thred.
      await tell(t, ['$thred'], 'to $thred', AGENT);
      for (const p of ['alice', 'bob'] as const) {
        const frame = await clients[p].next(titled('to $thred'), `to $thred for ${p}`);
        expect(((frame.message as { to: string[] }).to ?? []).slice().sort()).toEqual(['alice', 'bob']);
      }
      // A marker to every live session, the agent's included: the others' and the agent's sockets never got it.
      await tell(t, ['$all'], 'after $thred');
      for (const c of [clients.carol, clients.dave, agent]) {
        await c.next(titled('after $thred'), 'after $thred');
        expect(c.frames.filter(titled('to $thred'))).toHaveLength(0);
      }
    } finally {
      agent.close();
    }
  });
});
