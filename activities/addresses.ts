/**
 * Address resolution (SPEC §5): publish `to` entries → participant ids. The meaning of each address is
 * patterns/addresses.ts's (the same rule validation and rendering use); this module adds what needs I/O: live
 * sessions, role holders (`$admins`: holders of role admin with a live session). Agent addresses never reach here (the core turns them into agent calls). Duplicates are
 * removed; an address that resolves to nobody (an unknown group, `*` in a pattern without broadcastAllowed) is
 * reported so the caller logs it.
 */
import { ADMIN_ROLE, classifyAddress } from '../patterns/addresses';

export interface AddressBook {
  thredParticipants: string[];
  groups: Record<string, string[]>;
  /** Participants holding a role (sessions model and the participants collection). */
  withRole(role: string): Promise<string[]>;
  /** Participants with a live session, for `$all`. */
  live(): Promise<string[]>;
  /** Agent ids (nodeTypes and nodeIds): never recipients of `$thred`. */
  agentIds: Set<string>;
}

export interface Resolution {
  ids: string[];
  /** Addresses that resolved to nobody, in the order given. */
  unknown: string[];
  /** Why each of `unknown` resolved to nobody, in the same order. */
  reasons: string[];
}

/**
 * Resolves addresses as patterns/template.ts renders them (canonical spellings: a `*` still here was not turned into
 * `$all`, so its pattern lacks broadcastAllowed and it means nobody).
 */
export async function resolveAddresses(to: string[], book: AddressBook): Promise<Resolution> {
  const out = new Set<string>();
  const unknown: string[] = [];
  const reasons: string[] = [];
  const nobody = (address: string, reason: string): void => {
    unknown.push(address);
    reasons.push(reason);
  };
  for (const address of to) {
    const a = classifyAddress(address, false);
    switch (a.kind) {
      case 'thred':
        book.thredParticipants.filter((p) => !book.agentIds.has(p)).forEach((p) => out.add(p));
        break;
      case 'all':
        (await book.live()).forEach((p) => out.add(p));
        break;
      case 'admins': {
        const live = new Set(await book.live());
        (await book.withRole(ADMIN_ROLE)).filter((p) => live.has(p)).forEach((p) => out.add(p));
        break;
      }
      case 'group': {
        // Own properties only: `$constructor` must not find Object.prototype's.
        const members = Object.hasOwn(book.groups, a.name) ? book.groups[a.name]! : await book.withRole(a.name);
        if (members.length === 0)
          nobody(address, `no group '${a.name}' with members and no holders of role '${a.name}'`);
        members.forEach((p) => out.add(p));
        break;
      }
      case 'id':
        out.add(a.id);
        break;
      case 'nobody':
        nobody(address, a.reason);
        break;
    }
  }
  return { ids: [...out], unknown, reasons };
}
