/** Composes every built-in activity the thred worker hosts. */
import type { Store } from '../store';
import type { Directory } from '../store/directory';
import { createEngineActivities } from './engine';
import { createLookBackActivities } from './look-back';
import type { Pusher } from './delivery';

export { createEngineActivities, type EngineActivities, type StepBatch, type StepRecord } from './engine';
export { httpPusher, type Pusher } from './delivery';
export { createLookBackActivities, type LookBackActivities, type LookBackRequest } from './look-back';
export { AGENT_ACTIVITY_NAME, type AgentActivities } from './agent-contract';

export function createActivities(deps: { store: Store; directory: Directory; push?: Pusher }) {
  return { ...createEngineActivities(deps), ...createLookBackActivities(deps) };
}
