/** The record of which threds have an event (store.deliveries), read by a re-send to skip them. */
import type { Delivery } from '../../store';
import type { RoutingContext } from './context';

export type RecordDeliveries = (deliveries: Delivery[]) => Promise<void>;

/** A lost record costs only exactness beyond the thred's recent-ids window: logged and counted, not failed. */
export function deliveryRecorder({ store, now, metrics, log }: RoutingContext): RecordDeliveries {
  return async (deliveries) => {
    if (deliveries.length === 0) return;
    try {
      await store.deliveries.record(deliveries, now());
    } catch (err) {
      metrics.deliveryRecordFailures.inc();
      log.warn({ err: String(err), eventIds: [...new Set(deliveries.map((d) => d.eventId))] }, 'delivery not recorded');
    }
  };
}
