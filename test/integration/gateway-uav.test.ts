// The library's UAV detection pattern (patterns/library/uav_detect.json) through the gateway only: the sensor posts
// over HTTP, the persistence agent (production runtime, builtin:persistence) finds the contact, participant0 gets the
// notification on its WebSocket, answers Yes over the socket, and receives the video; the thred ends.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../bin/stack';
import { uniqueName } from '../helpers/servers';
import { agentType, waitFor } from '../helpers/engine';
import { startGatewayEngine, titled, WsClient, type Gateway, type GatewayEngine } from '../helpers/gateway';

const dataDb = uniqueName('t_gwuavdata');
let g: GatewayEngine;
let gw: Gateway;

beforeAll(async () => {
  const uav = JSON.parse(readFileSync(join(projectRoot, 'patterns/library/uav_detect.json'), 'utf8')) as object;
  g = await startGatewayEngine('gwuav', {
    patterns: [uav],
    runtimeAgents: [
      {
        nodeType: 'org.wt.persistence',
        nodeIds: ['org.wt.persistence.1'],
        taskQueue: agentType('persistence'), // this file's own queue; the address stays org.wt.persistence
        implementation: 'builtin:persistence',
        options: { dbname: dataDb },
        retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 3 },
      },
    ],
  });
  gw = await g.gateway();
  await g.e.s.mongo
    .db(dataDb)
    .collection<{ _id: string; sensorId: string; contactId: string }>('ContactInfo')
    .insertMany([
      { _id: 'c0', sensorId: 'sensor0', contactId: 'participant0' },
      { _id: 'c1', sensorId: 'sensor1', contactId: 'participant1' },
    ]);
}, 120_000);
afterAll(async () => {
  await g?.e.s.mongo
    .db(dataDb)
    .dropDatabase()
    .catch(() => undefined);
  await g?.close();
});

describe('UAV flow through the gateway', () => {
  it('detection → contact lookup → notification on the socket → Yes → video → thred ends', async () => {
    // 1. participant0 is online.
    const { ws } = await WsClient.connect(gw.url, g.token('participant0'));
    // 2. The sensor agent reports a detection (only sensor_agent0 may start this pattern).
    const res = await gw.app.inject({
      method: 'POST',
      url: '/events',
      headers: g.bearer('sensor_agent0'),
      payload: {
        type: 'org.wt.sensor.detectionEvent',
        source: { id: 'sensor_agent0' },
        data: { content: { values: { sensorId: 'sensor0', latitude: 59.9, longitude: 10.7, confidence: 0.9 } } },
      },
    });
    expect(res.statusCode).toBe(202);
    const thredId = res.json().results[0].started[0] as string;
    expect(thredId).toMatch(/^uav_detect_evt_/);
    // 3. The notification reaches participant0's socket (after the persistence agent's reply).
    const prompt = await ws.next(titled('Possible UAV Detected'), 'the UAV notification');
    const promptEvent = (prompt.message as { event: { id: string; thredId: string; data: Record<string, unknown> } })
      .event;
    expect(promptEvent).toMatchObject({
      thredId,
      data: {
        description: 'Sensor sensor0 has detected a possible UAV',
        advice: { eventType: 'org.wt.client.tell', template: { name: 'uav_notification' } },
      },
    });
    // 4. Yes, over the socket.
    ws.send({
      type: 'event',
      event: {
        type: 'org.wt.client.tell',
        thredId,
        re: promptEvent.id,
        source: { id: 'participant0' },
        data: { content: { values: { video_stream_request: true } } },
      },
    });
    expect(await ws.next((f) => f.type === 'ack' || f.type === 'error')).toMatchObject({
      type: 'ack',
      thredIds: [thredId],
    });
    // 5. The video, then the end.
    const video = await ws.next(titled('UAV Video'), 'the video');
    expect(video.message).toMatchObject({
      to: ['participant0'],
      event: { data: { advice: { template: { name: 'uav_video' } } } },
    });
    const view = await waitFor(async () => {
      const r = await gw.app.inject({ method: 'GET', url: `/threds/${thredId}`, headers: g.bearer('participant0') });
      return r.statusCode === 200 && r.json().status === 'terminated' ? r.json() : undefined;
    }, 'the thred to end');
    expect(view).toMatchObject({ patternId: 'uav_detect', reaction: null });
    const log = (
      await gw.app.inject({ method: 'GET', url: `/threds/${thredId}/log`, headers: g.bearer('participant0') })
    ).json().log as { kind: string; from: string; to: string | null }[];
    expect(log.filter((l) => l.kind === 'matched').map((l) => [l.from, l.to])).toEqual([
      ['lookup_contact', 'notify_contact'],
      ['notify_contact', 'send_video'],
      ['send_video', null],
    ]);
    // participant1 (the other contact) got nothing.
    expect(await g.e.store.outbox.since('participant1', 0)).toEqual([]);
    ws.close();
  });
});
