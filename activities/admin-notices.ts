/**
 * Errors reach admins (issue 13 item 5): every step error and every dead letter of a thred is also sent, as a
 * message, to `$admins` — holders of role admin with a live session — besides the recipients SPEC §9 names. Rate
 * limited per thred (store/notices.ts, shared by all workers): at most ADMIN_NOTICES_PER_WINDOW per
 * ADMIN_NOTICE_WINDOW_MS, so a thred failing in a loop cannot flood them; the rest are only in the thred's log and
 * error events. Ids derive from the failed item's, so a re-run of the activity stores nothing twice.
 */
import type { ErrorEffect, Message } from '../patterns';
import { ADMINS_ADDRESS } from '../patterns/addresses';
import { ErrorCodes, systemEvent } from '../patterns/effects';
import type { Store } from '../store';
import { resolveAddresses, type AddressBook } from './addresses';

export const ADMIN_NOTICE_WINDOW_MS = 60_000;
export const ADMIN_NOTICES_PER_WINDOW = 5;
/** Windows are forgotten this long after they ended. */
const KEEP_WINDOWS_MS = 60 * 60_000;
let lastSweep = 0;

export interface AdminNoticeInput {
  store: Store;
  thredId: string;
  pattern: { id: string; name?: string };
  time: number;
  errors: ErrorEffect[];
  deadLetters: { message: Message; nodeType: string; error: string }[];
  book: AddressBook;
}

/** The notices to store and push for one step (empty when no admin is online or the thred is over its limit). */
export async function adminNotices(
  input: AdminNoticeInput,
): Promise<{ message: Message; recipients: string[]; time: number }[]> {
  const { store, thredId, time, book } = input;
  if (input.errors.length === 0 && input.deadLetters.length === 0) return [];
  const admins = (await resolveAddresses([ADMINS_ADDRESS], book)).ids;
  if (admins.length === 0) return [];
  if (time - lastSweep > ADMIN_NOTICE_WINDOW_MS * 10) {
    lastSweep = time;
    await store.adminNotices.sweep(time - KEEP_WINDOWS_MS).catch(() => undefined);
  }
  const label = input.pattern.name ?? input.pattern.id;
  const out: { message: Message; recipients: string[]; time: number }[] = [];
  const allowed = () => store.adminNotices.allow(thredId, time, ADMIN_NOTICE_WINDOW_MS, ADMIN_NOTICES_PER_WINDOW);

  for (const err of input.errors) {
    // The thred's 5200 error event of a dead letter is told once, as the dead-letter notice below.
    if (err.code === ErrorCodes.TASK_ERROR && input.deadLetters.length > 0) continue;
    // Admins the error event already reaches (its sender, or the thred's people) are not told twice.
    const told = new Set((await resolveAddresses(err.to ?? ['$thred'], book)).ids);
    const to = admins.filter((a) => !told.has(a));
    if (to.length === 0 || !(await allowed())) continue;
    const id = `${err.event.id}:admins`;
    const title = err.event.data?.title ?? err.message;
    const event = { ...err.event, id, data: { ...err.event.data, title: `Thred ${thredId} (${label}): ${title}` } };
    out.push({ message: { id, to, event }, recipients: to, time });
  }
  for (const d of input.deadLetters) {
    if (!(await allowed())) continue;
    const id = `${d.message.id}:dead-letter:admins`;
    const event = systemEvent({ now: time, newId: () => id }, thredId, {
      title: `Thred ${thredId} (${label}): dead letter — message to ${d.nodeType} failed after its retries`,
      content: {
        error: { code: ErrorCodes.TASK_ERROR, message: d.error },
        values: { deadLetterId: d.message.id, nodeType: d.nodeType, thredId },
      },
    });
    out.push({ message: { id, to: admins, event }, recipients: admins, time });
  }
  return out;
}
