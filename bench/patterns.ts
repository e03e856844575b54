/**
 * The patterns the bench drives: `bench_echo` publishes one message per ping (end-to-end latency), `bench_counter`
 * counts its events in one long-lived thred, `bench_idle` starts a thred that waits and answers a poke. The soak
 * drives a counter of its own.
 */

import { counterPattern } from '../test/fixtures/patterns/counters';

export { counterPattern };

export const BENCH_PATTERNS = [
  {
    id: 'bench_echo',
    name: 'Bench Echo',
    reactions: [
      {
        name: 'echo',
        condition: {
          type: 'filter',
          xpr: "$event.type = 'bench.ping'",
          transform: { eventDataTemplate: { title: 'pong', content: { values: { ping: '$xpr($event.id)' } } } },
          publish: { to: 'bench_client' },
        },
      },
    ],
  },
  counterPattern('bench_counter', 'Bench Counter', 'bench.count'),
  {
    id: 'bench_idle',
    name: 'Bench Idle',
    reactions: [
      {
        name: 'idle',
        condition: {
          type: 'or',
          operands: [
            { type: 'filter', xpr: "$event.type = 'bench.idle'", transition: { name: '$noTransition' } },
            {
              type: 'filter',
              xpr: "$event.type = 'bench.poke'",
              transform: { eventDataTemplate: { title: 'poked', content: { values: { ping: '$xpr($event.id)' } } } },
              publish: { to: 'bench_client' },
              transition: { name: '$noTransition' },
            },
          ],
        },
      },
    ],
  },
];
