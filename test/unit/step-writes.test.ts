/** planStepWrites: what a batch of a thred's steps writes, planned without a store. */
import { describe, expect, it } from 'vitest';
import type { ThredState, ThredsEvent } from '../../patterns';
import { planStepWrites, joining, type ResolvedMessage } from '../../activities/step-writes';
import type { StepBatch, StepRecord } from '../../activities/engine';

const state = (patch: Partial<ThredState> = {}): ThredState => ({
  thredId: 't1',
  patternId: 'pat',
  status: 'active',
  reaction: 'r1',
  reactionGeneration: 1,
  reactionEnteredAt: 0,
  andState: {},
  locals: { n: 1 },
  participants: ['alice'],
  outIds: {},
  childThredIds: [],
  meta: { label: 'Pat' },
  startTime: 1,
  updateTime: 2,
  seq: 1,
  ...patch,
});
const event = (id: string): ThredsEvent => ({ id, type: 't', source: { id: 'SYSTEM' } });
const step = (n: number, patch: Partial<StepRecord> = {}): StepRecord => ({
  step: n,
  time: 100 + n,
  state: state({ seq: n }),
  acceptsUnbound: false,
  logs: [],
  messages: [],
  errors: [],
  agentMessages: [],
  deadLetters: [],
  ...patch,
});
const batch = (steps: StepRecord[], patch: Partial<StepBatch> = {}): StepBatch => ({
  thredId: 't1',
  pattern: { id: 'pat', name: 'Pat', version: 3 },
  steps,
  ...patch,
});
const isAgent = (id: string) => id === 'db-agent';

describe('planStepWrites', () => {
  const sent: ResolvedMessage = {
    message: { id: 'm1', to: ['bob', 'db-agent'], event: event('m1') },
    recipients: ['bob', 'db-agent'],
    time: 101,
    origin: { step: 1, ordinal: 0 },
    widens: true,
  };
  const errorEvent: ResolvedMessage = {
    message: { id: 'e1', to: ['carol'], event: event('e1') },
    recipients: ['carol'],
    time: 102,
  };

  it('plans every write of the batch, keyed by thred, step and event', () => {
    const steps = [
      step(1, {
        logs: [
          { type: 'thred.log', kind: 'matched', from: 'r1', to: 'r2', eventId: 'ev1' },
          { type: 'thred.log', kind: 'log', from: null, to: null, detail: 'hi' },
        ],
        messages: [{ message: sent.message }],
        agentMessages: [{ id: 'a1', to: ['db-agent'], event: event('a1') }],
        inbound: [event('reply1')],
        deadLetters: [{ message: { id: 'd1', to: ['x'], event: event('d1') }, nodeType: 'x', error: 'gone' }],
      }),
      step(2, { logs: [{ type: 'thred.log', kind: 'matched', from: 'r2', to: 'r3' }], acceptsUnbound: true }),
    ];
    const w = planStepWrites(batch(steps, { queued: 4 }), [sent, errorEvent], isAgent);

    expect(w.outbound).toEqual([
      { event: event('a1'), to: ['db-agent'], time: 101, origin: { step: 1, ordinal: 1 } }, // after the step's messages
      { event: event('m1'), to: ['bob', 'db-agent'], time: 101, origin: { step: 1, ordinal: 0 } },
      { event: event('e1'), to: ['carol'], time: 102 },
    ]);
    expect(w.inbound).toEqual([{ event: event('reply1'), time: 101 }]);
    expect(w.outbox.map((o) => [o.message.id, o.to])).toEqual([
      ['m1', ['bob', 'db-agent']],
      ['e1', ['carol']],
    ]);
    expect(w.log.map((l) => [l._id, l.seq, l.kind])).toEqual([
      ['t1:1:0', 1, 'matched'],
      ['t1:1:1', 1, 'log'],
      ['t1:2:0', 2, 'matched'],
    ]);
    expect(w.log[0]).toMatchObject({ eventId: 'ev1', time: 101 });
    expect(w.log[1]).not.toHaveProperty('eventId');
    expect(w.deadLetters).toEqual([
      {
        _id: 'd1',
        thredId: 't1',
        nodeType: 'x',
        message: { id: 'd1', to: ['x'], event: event('d1') },
        error: 'gone',
        createdAt: 101,
      },
    ]);
    // The read model holds the last state: its people (message recipients, never agents or error recipients).
    expect(w.thred).toMatchObject({
      _id: 't1',
      patternId: 'pat',
      patternName: 'Pat',
      patternVersion: 3,
      version: 2,
      acceptsUnbound: true,
      participants: ['alice', 'bob'],
      locals: { n: 1 },
      backlog: { queued: 4, at: 102 },
    });
    expect(w.releaseSlot).toBe(false);
  });

  it('frees the instance slot of an ended thred unless its pattern has no limits', () => {
    const ended = [step(1, { state: state({ status: 'finished', endTime: 9 }) })];
    expect(planStepWrites(batch(ended), [], isAgent).releaseSlot).toBe(true);
    expect(planStepWrites(batch(ended, { pattern: { id: 'pat', limited: false } }), [], isAgent).releaseSlot).toBe(
      false,
    );
    const w = planStepWrites(batch(ended, { pattern: { id: 'pat' } }), [], isAgent);
    expect(w.thred).toMatchObject({ status: 'finished', endTime: 9 });
    expect(w.thred).not.toHaveProperty('patternName');
    expect(w.thred).not.toHaveProperty('backlog');
  });

  it('only the recipients of the pattern’s own messages join the thred', () => {
    expect(joining([sent, errorEvent])).toEqual(['bob', 'db-agent']);
  });
});
