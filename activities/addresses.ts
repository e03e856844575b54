/**
 * Address resolution (SPEC §5): publish `to` entries → participant ids. Agent addresses never reach here (the core
 * turns them into agent calls). Duplicates are removed; an unknown group resolves to nobody and is reported.
 */
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

export async function resolveAddresses(
  to: string[],
  book: AddressBook,
): Promise<{ ids: string[]; unknown: string[] }> {
  const out = new Set<string>();
  const unknown: string[] = [];
  for (const address of to) {
    if (address === '$thred') {
      book.thredParticipants.filter((p) => !book.agentIds.has(p)).forEach((p) => out.add(p));
    } else if (address === '$all' || address === '*') {
      (await book.live()).forEach((p) => out.add(p));
    } else if (address.startsWith('$') || address.startsWith('@')) {
      const name = address.slice(1);
      const members = book.groups[name] ?? (await book.withRole(name));
      if (members.length === 0) unknown.push(address);
      members.forEach((p) => out.add(p));
    } else if (address.length > 0) {
      out.add(address);
    }
  }
  return { ids: [...out], unknown };
}
