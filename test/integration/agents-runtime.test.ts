// The agent runtime's activity wrapper (activities/agents/runtime.ts) in Temporal's mock activity environment (no
// servers): the reply envelope, permanent failures as error replies, transient ones thrown, heartbeats, cancellation.
import { describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CancelledFailure } from '@temporalio/common';
import pino from 'pino';
import type { Message, ThredsEvent } from '../../patterns';
import { createAgentActivities } from '../../activities/agents/runtime';
import type { AgentImplementation, AgentInit } from '../../activities/agents/types';
import { pollUntil } from '../../bin/poll';

const init: AgentInit = {
  config: { nodeType: 'test.rt', nodeIds: ['rt-1'], name: 'Runtime test' },
  nodeType: 'test.rt',
  nodeId: 'rt-1',
  options: {},
  logger: pino({ level: 'silent' }),
  mongoUrl: '',
  thredsDb: 'threds',
  configDir: '',
};
const message: Message = {
  id: 'm1',
  to: ['test.rt'],
  event: { id: 'req-1', type: 'org.wt.tell', thredId: 'thred-1', source: { id: 'SYSTEM' }, data: { title: 'go' } },
};
const activities = (handleMessage: AgentImplementation['handleMessage']) =>
  createAgentActivities({ handleMessage }, init);

describe('agent runtime activity', () => {
  it('enforces the reply envelope', async () => {
    const act = activities(async () => ({
      id: 'mine',
      type: 'other.type',
      thredId: 'elsewhere',
      re: 'x',
      source: { id: 'spoofed', uri: 'u' },
      data: { content: { values: { a: 1 } } },
    }));
    const reply = (await new MockActivityEnvironment().run(act.handleMessage, message)) as ThredsEvent | null;
    expect(reply).toMatchObject({
      type: 'test.rt',
      re: 'req-1',
      thredId: 'thred-1',
      source: { id: 'rt-1', name: 'Runtime test', uri: 'u' },
      data: { content: { values: { a: 1 } } },
    });
    expect(reply!.id).toMatch(/^rt-1-[0-9a-f-]{36}$/);
    expect(reply!.time).toBeGreaterThan(0);
    expect(await new MockActivityEnvironment().run(activities(async () => null).handleMessage, message)).toBeNull();
  });

  it('answers permanent failures with an error reply and rethrows transient ones', async () => {
    const failed = await new MockActivityEnvironment().run(
      activities(async (_m, ctx) => ctx.fail('bad task', 4200)).handleMessage,
      message,
    );
    expect(failed).toMatchObject({
      type: 'test.rt',
      re: 'req-1',
      data: { title: 'rt-1 Error', content: { error: { code: 4200, message: 'bad task' } } },
    });
    const flagged = <ThredsEvent | null>await new MockActivityEnvironment().run(
      activities(async () => {
        throw Object.assign(new Error('nope'), { nonRetryable: true });
      }).handleMessage,
      message,
    );
    expect(flagged?.data?.content?.error).toEqual({ code: 5200, message: 'nope' });
    await expect(
      new MockActivityEnvironment().run(
        activities(async () => {
          throw new Error('db down');
        }).handleMessage,
        message,
      ),
    ).rejects.toThrow('db down');
  });

  it('passes the attempt, heartbeats and cancellation through the context', async () => {
    const env = new MockActivityEnvironment({ attempt: 3 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    let attempt = 0;
    const run = env.run(
      activities(async (_m, ctx) => {
        attempt = ctx.attempt;
        for (let i = 0; ; i++) {
          ctx.heartbeat({ i });
          await new Promise((r) => setTimeout(r, 20));
          if (ctx.signal.aborted) throw ctx.signal.reason;
        }
      }).handleMessage,
      message,
    );
    await pollUntil('two heartbeats', async () => beats.length > 1, { timeoutMs: 10_000, intervalMs: 10 }); // cancelled while it runs, not after a guess
    env.cancel();
    await expect(run).rejects.toBeInstanceOf(CancelledFailure);
    expect(attempt).toBe(3);
    expect(beats.length).toBeGreaterThan(1);
  });

  it('refuses a message without an event, for good', async () => {
    await expect(
      new MockActivityEnvironment().run(activities(async () => null).handleMessage, {} as Message),
    ).rejects.toMatchObject({
      nonRetryable: true,
    });
  });
});
