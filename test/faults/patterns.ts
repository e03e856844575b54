/**
 * The patterns the fault cases drive. Each case has its own pattern ids and event types, so cases never start each
 * other's threds. Every pattern counts what it applied in a way the suite can read back: thred log `matched` records
 * (one per applied event) and locals.
 */
export const SLOW_AGENT = 'fault.slow';

const filter = (xpr: string, rest: Record<string, unknown> = {}) => ({ type: 'filter', xpr, ...rest });

/** `<id>.open` (unbound) starts a thred that then counts every bound `<id>.tick` in locals.n, staying in `count`. */
export function counterPattern(id: string) {
  return {
    id,
    name: id,
    reactions: [
      { name: 'open', condition: filter(`$event.type = '${id}.open'`) },
      {
        name: 'count',
        condition: filter(`$event.type = '${id}.tick'`, {
          onTrue: { xpr: "$setLocal('n', ($local('n') ? $local('n') : 0) + 1)" },
          transition: { name: '$noTransition' },
        }),
      },
    ],
  };
}

/** `<id>.ask` starts a thred that asks the slow agent (its content is the request) and keeps the answer in locals. */
export function askPattern(id: string) {
  return {
    id,
    name: id,
    reactions: [
      {
        name: 'ask',
        condition: filter(`$event.type = '${id}.ask'`, {
          transform: { eventDataTemplate: { title: 'ask', content: '$xpr($content)' } },
          publish: { to: SLOW_AGENT, name: 'ask' },
        }),
      },
      {
        name: 'answer',
        condition: filter("$isResponseFor('ask')", { onTrue: { xpr: "$setLocal('answer', $values)" } }),
      },
      { name: 'done', condition: filter(`$event.type = '${id}.never'`) },
    ],
  };
}

/** `<id>.open` starts a thred that waits in `wait` until its expiry (`ms`) takes it to `expired`. */
export function expiryPattern(id: string, ms: number) {
  return {
    id,
    name: id,
    reactions: [
      { name: 'open', condition: filter(`$event.type = '${id}.open'`) },
      {
        name: 'wait',
        expiry: { interval: ms, transition: { name: 'expired' } },
        condition: filter(`$event.type = '${id}.never'`),
      },
      { name: 'expired', condition: filter(`$event.type = '${id}.never'`) },
    ],
  };
}
