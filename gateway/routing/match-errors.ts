import type { Ctx, ThredsEvent } from '../../patterns';
import { agentFor } from '../../patterns/machine';
import { systemEvent } from '../../patterns/effects';
import type { RouteResult, RoutingContext, StoredPattern } from './context';

/**
 * A start test that failed on an expression (SPEC §4 Expressions): the pattern starts nothing, and the sender hears
 * why — in the 202 result (`refused`, code 5000), and as a SPEC §9 error event. An unbound event has no thred, so the
 * error event carries no `thredId`; it is stored like every message (outbound event and outbox, ids derived from
 * the event's, so a re-send adds nothing) and reaches the sender on its next hello. Never sent to agents or SYSTEM.
 */
export async function reportMatchError(
  rc: RoutingContext,
  pattern: StoredPattern,
  event: ThredsEvent,
  error: { code: number; message: string },
  result: RouteResult,
  c: Ctx,
): Promise<void> {
  const { store, settings, now, metrics, log } = rc;
  const reason = `pattern ${pattern.id}: ${error.message}`;
  result.refused.push({ patternId: pattern.id, code: error.code, reason });
  metrics.patternMatchErrors.inc({ pattern: pattern.id });
  log.warn({ patternId: pattern.id, eventId: event.id, code: error.code, reason }, 'pattern start test failed');
  const sender = event.source.id;
  if (sender === 'SYSTEM' || agentFor(sender, settings.agents) !== undefined) return;
  const id = `${event.id}:start-error:${pattern.id}`;
  const errorEvent = systemEvent(
    { ...c, newId: () => id },
    undefined,
    {
      title: `Pattern ${pattern.name ?? pattern.id} could not test this event`,
      content: { error: { code: error.code, message: reason } },
    },
    { re: event.id },
  );
  const at = now();
  await Promise.all([
    store.events.saveOutbound(errorEvent, [sender], at),
    store.outbox.add({ id, to: [sender], event: errorEvent }, [sender], at),
  ]);
}
