/**
 * The original platform's record shapes (reference/srvthreds-behaviour.md §2.11, §2.12), which control-event replies
 * carry so that original clients read them unchanged: Thred JSON (`status` 'a' | 'f' | 't', `currentReaction`,
 * `lastUpdateTime`) and EventRecord (`timestamp` = when it was stored).
 */
import type { StoredEvent, ThredRecord } from '../../store';

const STATUS = { active: 'a', finished: 'f', terminated: 't' } as const;

export interface OriginalThred {
  id: string;
  patternId: string;
  patternName?: string;
  currentReaction: { reactionName?: string };
  startTime: number;
  lastUpdateTime: number;
  endTime?: number;
  status: 'a' | 'f' | 't';
  meta: ThredRecord['meta'];
  parentThredId?: string;
  childThredIds: string[];
}

export function originalThred(r: ThredRecord): OriginalThred {
  return {
    id: r._id,
    patternId: r.patternId,
    ...(r.patternName !== undefined && { patternName: r.patternName }),
    currentReaction: r.reaction ? { reactionName: r.reaction } : {},
    startTime: r.startTime,
    lastUpdateTime: r.updateTime,
    ...(r.endTime !== undefined && { endTime: r.endTime }),
    status: STATUS[r.status] ?? 'a',
    meta: r.meta ?? {},
    ...(r.parentThredId !== undefined && { parentThredId: r.parentThredId }),
    childThredIds: r.childThredIds ?? [],
  };
}

export interface EventRecord {
  id: string;
  event: StoredEvent['event'];
  timestamp: number;
  thredId?: string;
  to?: string[];
  direction: StoredEvent['direction'];
}

export function eventRecord(e: StoredEvent): EventRecord {
  return {
    id: e._id,
    event: e.event,
    timestamp: e.storedAt,
    ...(e.thredId !== undefined ? { thredId: e.thredId } : e.thredIds?.length === 1 ? { thredId: e.thredIds[0] } : {}),
    ...(e.to && { to: e.to }),
    direction: e.direction,
  };
}
