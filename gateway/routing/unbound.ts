/**
 * The unbound path: test every active pattern's initial reaction (pure), start the threds of those that match, then
 * offer the event to running threds whose current reaction allows unbound events.
 */
import { randomUUID } from 'node:crypto';
import { hasInstanceLimits, matchStart, type Ctx, type ThredsEvent } from '../../patterns';
import type { Delivery } from '../../store';
import type { RecordDeliveries } from './deliveries';
import { reportMatchError } from './match-errors';
import { offer, offerFailure } from './offer';
import { startThred } from './start';
import { unavailable, type RouteResult, type RoutingContext, type StoredPattern } from './context';

export function createUnboundRoute(
  rc: RoutingContext,
  deps: { activePatterns: () => Promise<StoredPattern[]>; recordDeliveries: RecordDeliveries },
) {
  const { client, store, settings, now, metrics, log } = rc;
  const { activePatterns, recordDeliveries } = deps;
  const ctx = (): Ctx => ({ now: now(), newId: randomUUID, groups: settings.groups, agents: settings.agents });

  /**
   * What an unbound event will do is decided before it is stored (pure, from the cached patterns and the small
   * index of threds accepting unbound events), so the stored record carries its routing in the same insert.
   * A re-send skips the threds already recorded as having it (and reports those that took it).
   */
  return async function routeUnbound(event: ThredsEvent): Promise<RouteResult> {
    const result: RouteResult = { eventId: event.id, thredIds: [], started: [], refused: [] };
    const patterns = await activePatterns();
    const c = ctx();
    const matching: StoredPattern[] = [];
    const failing: { pattern: StoredPattern; error: { code: number; message: string } }[] = [];
    for (const p of patterns) {
      const m = matchStart(p, event, c);
      if (m.error) failing.push({ pattern: p, error: m.error });
      else if (m.starts) matching.push(p);
    }
    const starting = matching.filter((p) => !hasInstanceLimits(p)).map((p) => `${p.id}_${event.id}`);
    // Running threds whose current reaction takes unbound events; those this event starts get it as their first.
    const running = (await store.threds.acceptingUnbound()).filter((id) => !starting.includes(id));
    const nothingTakesIt = matching.length === 0 && running.length === 0;
    const firstDelivery = await store.events.saveInbound(event, now(), {
      thredIds: starting,
      ...(nothingTakesIt && { outcome: 'no_pattern' as const }),
    });
    const candidates = [...matching.map((p) => `${p.id}_${event.id}`), ...running];
    const prior = new Map<string, Delivery>();
    if (!firstDelivery) {
      const found = await Promise.all(candidates.map((id) => store.deliveries.find(event.id, id)));
      for (const d of found) if (d) prior.set(d.thredId, d);
    }
    const delivered: Delivery[] = [];
    const failures: unknown[] = [];
    const settle = async (work: Promise<void>[]) => {
      for (const o of await Promise.allSettled(work)) if (o.status === 'rejected') failures.push(o.reason);
    };

    await settle([
      ...failing.map((f) => reportMatchError(rc, f.pattern, event, f.error, result, c)),
      ...matching.map(async (p) => {
        const thredId = `${p.id}_${event.id}`;
        if (prior.get(thredId)?.took) {
          result.thredIds.push(thredId);
          return;
        }
        if (await startThred(rc, p, event, result, firstDelivery))
          delivered.push({ eventId: event.id, thredId, took: true });
      }),
    ]);

    const offered = running.filter((id) => !result.thredIds.includes(id));
    let unreachable = false;
    await settle(
      offered.map(async (id) => {
        const before = prior.get(id);
        if (before) {
          if (before.took) result.thredIds.push(id);
          return;
        }
        let took: boolean;
        try {
          took = await offer(client, id, event);
        } catch (err) {
          const reason = offerFailure(err);
          metrics.offerFailures.inc({ reason });
          log.warn({ thredId: id, eventId: event.id, reason, err: String(err) }, 'offer of an unbound event failed');
          // A thred that is gone, or whose handler refused, does not take it; an unreachable Temporal fails the event.
          if (reason === 'unavailable') unreachable = true;
          else if (reason === 'error') throw err;
          return;
        }
        delivered.push({ eventId: event.id, thredId: id, took });
        if (took) {
          result.thredIds.push(id);
          await store.events.linkToThred(event.id, id);
        }
      }),
    );
    // Recorded even when something else failed: the client's retry then skips what already has the event.
    await recordDeliveries(delivered);
    if (unreachable) throw unavailable();
    if (failures.length > 0) throw failures[0];
    if (!nothingTakesIt && result.thredIds.length === 0 && result.refused.length === 0) {
      await store.events.markOutcome(event.id, 'no_pattern');
    }
    return result;
  };
}
