/** Store record / workflow snapshot → the API's thred view (one mapping for reads and admin answers). */
import type { ThredRecord } from '../store';
import type { ThredSnapshot } from '../workflows/messages';
import type { ThredView } from './schemas';

export function viewOfRecord(r: ThredRecord): ThredView {
  return {
    thredId: r._id,
    patternId: r.patternId,
    ...(r.patternName !== undefined && { patternName: r.patternName }),
    ...(r.patternVersion !== undefined && { patternVersion: r.patternVersion }),
    status: r.status,
    reaction: r.reaction ?? null,
    participants: r.participants ?? [],
    locals: r.locals ?? {},
    ...(r.parentThredId !== undefined && { parentThredId: r.parentThredId }),
    childThredIds: r.childThredIds ?? [],
    meta: r.meta ?? {},
    startTime: r.startTime,
    updateTime: r.updateTime,
    ...(r.endTime !== undefined && { endTime: r.endTime }),
  };
}

export function viewOfSnapshot(s: ThredSnapshot, record: ThredRecord | null): ThredView {
  const st = s.state;
  return {
    thredId: s.thredId,
    patternId: s.patternId,
    ...(record?.patternName !== undefined && { patternName: record.patternName }),
    ...(s.patternVersion !== undefined && { patternVersion: s.patternVersion }),
    status: st.status,
    reaction: st.reaction,
    // The record also holds resolved recipients (the workflow adds them a step later): show the union.
    participants: [...new Set([...(record?.participants ?? []), ...st.participants])],
    locals: st.locals,
    ...(st.parentThredId !== undefined && { parentThredId: st.parentThredId }),
    childThredIds: st.childThredIds,
    meta: st.meta,
    startTime: st.startTime,
    updateTime: st.updateTime,
    ...(st.endTime !== undefined && { endTime: st.endTime }),
    live: { queued: s.queued, inFlightAgentCalls: s.inFlightAgentCalls, step: s.step, run: s.run },
  };
}
