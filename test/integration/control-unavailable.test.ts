// Control events (SPEC §14) when a backend is down. The store down: the request cannot be stored, so POST /events
// answers 503 like any event, and re-sending the same id later runs it. Temporal down: the request is stored and
// answered at once, and the op's failure arrives as an error event (5000) whose message tells the client to send the
// request again under a new id — a re-sent id is never run again (the request was stored), so "retry with the same
// event id", right for ordinary events, would leave the client waiting for an answer that never comes.
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, WsClient, type GatewayEngine } from '../helpers/gateway';
import { eventId } from '../helpers/engine';
import { createStore } from '../../store';
import { createRouter } from '../../gateway/routing';
import type { Message } from '../../patterns';

const hold = {
  name: 'Ctl Hold',
  reactions: [{ name: 'holding', condition: { type: 'filter', xpr: "$event.type = 'cu.start'" } }],
};

let g: GatewayEngine;
beforeAll(async () => {
  g = await startGatewayEngine('ctlunavail', { patterns: [hold] });
}, 120_000);
afterAll(async () => g?.close());

const sysControl = (values: Record<string, unknown>) => ({
  id: eventId('cu'),
  type: 'org.wt.control.sysControl',
  thredId: 'SYSTEM',
  source: { id: 'cu-admin' },
  data: { content: { values } },
});

describe('control events with a backend down', () => {
  it('store down: 503, nothing stored, and the same id runs once the store is back', async () => {
    const dead = new MongoClient('mongodb://127.0.0.1:9', { serverSelectionTimeoutMS: 300 });
    const store = createStore(dead.db('nowhere'));
    const down = await g.gateway(
      { store, router: createRouter({ client: g.e.s.client, store, settings: g.e.settings }) },
      false,
    );
    const request = sysControl({ op: 'getThreds' });
    const res = await down.app.inject({
      method: 'POST',
      url: '/events',
      payload: request,
      headers: g.bearer('cu-admin', ['admin']),
    });
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json()).toMatchObject({ code: 'THREDS_ERR_UNAVAILABLE' });
    await dead.close();

    const up = await g.gateway();
    const ws = (await WsClient.connect(up.url, g.token('cu-admin', ['admin']))).ws;
    const again = await up.app.inject({
      method: 'POST',
      url: '/events',
      payload: request,
      headers: g.bearer('cu-admin', ['admin']),
    });
    expect(again.statusCode, again.body).toBe(202);
    const answer = await ws.next(
      (f) => f.type === 'message' && (f.message as Message).event.re === request.id,
      'the answer to the re-sent request',
    );
    expect((answer.message as Message).event.data?.content?.values).toMatchObject({ status: 'OK', op: 'getThreds' });
    ws.close();
  });

  it('Temporal down: the error event (5000) asks for a new request id', async () => {
    // A thred the read model knows, so the op gets as far as Temporal.
    const up = await g.gateway({}, false);
    const started = await up.app.inject({
      method: 'POST',
      url: '/events',
      payload: { id: eventId('cu'), type: 'cu.start', source: { id: 'cu-sensor' } },
      headers: g.bearer('cu-sensor'),
    });
    expect(started.statusCode, started.body).toBe(202);
    const thredId = (started.json().results[0] as { started: string[] }).started[0]!;

    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 200 }) });
    const router = createRouter({ client, store: g.e.store, settings: g.e.settings });
    const down = await g.gateway({ client, router, limits: { routeTimeoutMs: 1000 } });
    const ws = (await WsClient.connect(down.url, g.token('cu-admin', ['admin']))).ws;
    const request = sysControl({ op: 'terminateThred', thredId });
    ws.send({ type: 'event', event: request });
    const ack = await ws.next((f) => f.type === 'ack' && f.eventId === request.id, 'the ack');
    expect(ack).toMatchObject({ thredIds: [], started: [], refused: [] });
    const answer = await ws.next(
      (f) => f.type === 'message' && (f.message as Message).event.re === request.id,
      'the error event',
      60_000,
    );
    const event = (answer.message as Message).event;
    expect(event).toMatchObject({ type: 'org.wt.tell', thredId: 'SYSTEM', re: request.id });
    expect(event.data?.content?.error).toEqual({
      code: 5000,
      message: 'Temporal or the store is unavailable; send the request again with a new id',
    });
    expect(event.data?.title).toBe(
      `Failure processing Event ${request.id} : Temporal or the store is unavailable; send the request again with a new id`,
    );
    ws.close();
  }, 90_000);
});
