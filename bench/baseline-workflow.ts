// The bare-Temporal baseline: signal-with-start of a minimal workflow that runs one activity and completes — the
// same shape of work a thred does for one event, without the interpreter, the store or the gateway.
import { condition, proxyActivities, setHandler, defineSignal } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities';

const { touch } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '10s' });
export const pingSignal = defineSignal<[number]>('ping');

export async function baseline(): Promise<void> {
  let sentAt: number | undefined;
  setHandler(pingSignal, (at) => {
    sentAt = at;
  });
  await condition(() => sentAt !== undefined);
  await touch(sentAt!);
}
