// Hostile expressions in a running thred (real worker, gateway, WebSocket): each one ends in an error event (5000,
// naming reaction and expression) to its sender with the thred state unchanged, and the worker still answers the next
// good event — whose regex ($replace, RE2 inside the workflow sandbox) runs too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, titled, WsClient, type Gateway, type GatewayEngine } from '../helpers/gateway';

const hostile = {
  recurse: "($setLocal('touched', true); $f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000) > 0)",
  range: "($setLocal('touched', true); $count([1..10000000]) > 0)",
  string:
    "($setLocal('touched', true); $f := function($s, $n) { $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f('a', 40)) > 0)",
  regex: "($setLocal('touched', true); $count($match($valueNamed('text'), /a/)) > 0)",
};

const pattern = {
  name: 'Hostile',
  reactions: [
    {
      name: 'guarded',
      condition: {
        type: 'or',
        transition: { name: '$noTransition' },
        operands: [
          ...Object.entries(hostile).map(([type, xpr]) => ({
            type: 'filter',
            xpr: `$event.type = 'h.${type}' and ${xpr}`,
          })),
          {
            type: 'filter',
            xpr: "$event.type = 'h.good'",
            transform: {
              eventDataTemplate: {
                title: "$xpr('good ' & $replace($valueNamed('text'), /(\\w+)-(\\w+)/, '$2-$1'))",
                slow: "$xpr($contains($valueNamed('text'), /(a+)+$/))",
              },
            },
            publish: { to: '$xpr($event.source.id)' },
          },
        ],
      },
    },
  ],
};

let g: GatewayEngine;
let gw: Gateway;
let ws: WsClient;
let thredId: string;

const post = async (type: string, text: string) => {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer('mallory'),
    payload: { type, ...(thredId && { thredId }), source: { id: 'mallory' }, data: { content: { values: { text } } } },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().results[0] as { eventId: string; thredIds: string[] };
};

type Msg = {
  message: {
    event: {
      re?: string;
      data: { title?: string; slow?: boolean; content?: { error?: { code: number; message: string } } };
    };
  };
};

beforeAll(async () => {
  g = await startGatewayEngine('hostile', { patterns: [pattern] });
  gw = await g.gateway();
  ws = (await WsClient.connect(gw.url, g.token('mallory'))).ws;
  thredId = (await post('h.good', 'start-here')).thredIds[0]!;
  await ws.next(titled('good here-start'), 'the first answer');
}, 120_000);
afterAll(async () => {
  ws?.close();
  await g?.close();
});

describe('hostile expressions through a running worker', () => {
  it.each(Object.keys(hostile))('%s: error event 5000, state unchanged, the next good event answered', async (kind) => {
    const before = await g.e.snapshot(thredId);
    const text = kind === 'regex' ? 'a'.repeat(200_000) : 'ab';
    const { eventId } = await post(`h.${kind}`, text);
    const frame = (await ws.next(
      (f) => f.type === 'message' && (f as unknown as Msg).message.event.re === eventId,
      `the error event for ${kind}`,
    )) as unknown as Msg;
    const error = frame.message.event.data.content?.error;
    expect(error?.code).toBe(5000);
    expect(error?.message).toContain("reaction 'guarded'");
    expect(error?.message).toContain(`h.${kind}`);

    const answer = `${kind}-after`;
    await post('h.good', answer);
    const good = (await ws.next(titled(`good after-${kind}`), 'the next answer')) as unknown as Msg;
    expect(good.message.event.data.slow).toBe(false);
    const after = await g.e.snapshot(thredId);
    expect(after.state.locals).not.toHaveProperty('touched');
    expect(after.state.reaction).toBe(before.state.reaction);
  });
});
