/**
 * The one reading of a publish address (SPEC §5), shared by validation (patterns/validate.ts), rendering
 * (patterns/template.ts, inside the workflow) and resolution to participants (activities/addresses.ts, which adds
 * the I/O: live sessions, role holders), so the three cannot disagree about what an address means. Pure.
 *
 * Rendering writes every address in its canonical spelling; resolution reads canonical spellings only. `*` stays
 * `*` in a pattern without `broadcastAllowed`, and a canonical `*` means nobody: it is never everyone.
 */

export type AddressKind =
  /** Every recipient of the thred's messages and every sender that made it publish, agents excluded. */
  | { kind: 'thred' }
  /** Every participant with a live session. */
  | { kind: 'all' }
  /** Holders of role `admin` with a live session (step errors and dead letters reach them this way too). */
  | { kind: 'admins' }
  /** Members of the group `name`, or, when there is no such group, the holders of role `name`. */
  | { kind: 'group'; name: string }
  /** A participant id or an agent address. */
  | { kind: 'id'; id: string }
  /** Resolves to nobody; `reason` says why (for the validation warning and the log). */
  | { kind: 'nobody'; reason: string };

export const STAR_WITHOUT_BROADCAST =
  "'*' means $all only when broadcastAllowed is true; without it, it resolves to nobody (and is logged)";

/** Reserved like `$thred` and `$all`: a group of that name in the sessions model is not consulted. */
export const ADMINS_ADDRESS = '$admins';
/** The role whose live holders `$admins` names. */
export const ADMIN_ROLE = 'admin';

/** What `address` means in a pattern whose `broadcastAllowed` is as given. */
export function classifyAddress(input: string, broadcastAllowed: boolean): AddressKind {
  // `@` is spelling only: `@x` means whatever `$x` means, reserved names included (`@all` is `$all`).
  const address = input.startsWith('@') ? `$${input.slice(1)}` : input;
  if (address === '$thred') return { kind: 'thred' };
  if (address === '$all') return { kind: 'all' };
  if (address === ADMINS_ADDRESS) return { kind: 'admins' };
  if (address === '*') return broadcastAllowed ? { kind: 'all' } : { kind: 'nobody', reason: STAR_WITHOUT_BROADCAST };
  if (address.startsWith('$')) {
    const name = address.slice(1);
    if (name.length === 0) return { kind: 'nobody', reason: `'${input}' names no group` };
    return { kind: 'group', name };
  }
  if (address.length === 0) return { kind: 'nobody', reason: 'empty address' };
  return { kind: 'id', id: address };
}

/**
 * The canonical spelling of `address` (`@g` → `$g`, `*` → `$all` when broadcastAllowed): what rendering emits
 * and what `classifyAddress(canonical, false)` reads back with the same meaning.
 */
export function canonicalAddress(address: string, broadcastAllowed: boolean): string {
  const a = classifyAddress(address, broadcastAllowed);
  switch (a.kind) {
    case 'thred':
      return '$thred';
    case 'all':
      return '$all';
    case 'admins':
      return ADMINS_ADDRESS;
    case 'group':
      return `$${a.name}`;
    case 'id':
      return a.id;
    case 'nobody':
      return address;
  }
}
