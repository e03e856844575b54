/**
 * Publish addresses are read one way (SPEC §5): validation, rendering (in the workflow) and resolution (in the
 * activity) agree on every address, `*` included, with and without broadcastAllowed.
 */
import { describe, expect, it } from 'vitest';
import { resolveAddresses, type AddressBook } from '../../activities/addresses';
import { canonicalAddress, classifyAddress } from '../../patterns/addresses';
import { normalizePattern } from '../../patterns/normalize';
import { renderAddresses } from '../../patterns/template';
import { validatePattern } from '../../patterns/validate';

const book = (over: Partial<AddressBook> = {}): AddressBook => ({
  thredParticipants: ['alice', 'sensor-node', 'zed'],
  groups: { ops: ['alice', 'bob'], empty: [] },
  withRole: async (role) => (role === 'medic' ? ['carol'] : []),
  live: async () => ['alice', 'bob', 'carol', 'dave'],
  agentIds: new Set(['sensor-node']),
  ...over,
});

/** Renders like the workflow does, then resolves like the activity does. */
async function deliver(to: string | string[], broadcastAllowed: boolean, b = book()) {
  const rendered = renderAddresses({ to }, '/publish', () => undefined, broadcastAllowed);
  return resolveAddresses(rendered, b);
}

describe('address resolution end to end (render → resolve)', () => {
  it.each([
    ['$ops', ['alice', 'bob']],
    ['@ops', ['alice', 'bob']],
    ['$medic', ['carol']], // no group: role holders
    ['@medic', ['carol']],
    ['$all', ['alice', 'bob', 'carol', 'dave']],
    ['$thred', ['alice', 'zed']], // agents excluded
    ['bob', ['bob']],
  ])('%s → %j', async (address, ids) => {
    for (const broadcastAllowed of [false, true]) {
      const r = await deliver(address, broadcastAllowed);
      expect(r.ids.sort()).toEqual(ids);
      expect(r.unknown).toEqual([]);
    }
  });

  it("'*' is $all only with broadcastAllowed; without it, nobody — never everyone — and it is reported", async () => {
    expect((await deliver('*', true)).ids.sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    const without = await deliver(['*', 'bob'], false);
    expect(without.ids).toEqual(['bob']);
    expect(without.unknown).toEqual(['*']);
    expect(without.reasons[0]).toContain('broadcastAllowed');
  });

  it('an unknown group, an empty group, a bare $ or @, and Object.prototype names resolve to nobody, reported', async () => {
    for (const address of ['$nosuch', '@nosuch', '$empty', '$', '@', '$constructor', '$__proto__', '$toString']) {
      const r = await deliver([address, 'bob'], false);
      expect(r.ids, address).toEqual(['bob']);
      expect(r.unknown, address).toEqual([canonicalAddress(address, false)]);
    }
  });

  it('duplicates are removed across forms', async () => {
    const r = await deliver(['$ops', '@ops', 'alice', '$thred'], false);
    expect(r.ids.sort()).toEqual(['alice', 'bob', 'zed']);
  });

  it('addresses produced by $xpr are read the same way as literal ones (no widening through data)', async () => {
    const run = () => ['*', '@ops', '$medic'];
    const rendered = renderAddresses({ to: '$xpr(whatever)' }, '/publish', run, false);
    expect(rendered).toEqual(['*', '$ops', '$medic']);
    const r = await resolveAddresses(rendered, book());
    expect(r.ids.sort()).toEqual(['alice', 'bob', 'carol']);
    expect(r.unknown).toEqual(['*']);
  });
});

describe('the three readers agree', () => {
  const addresses = ['*', '$all', '$thred', '$ops', '@ops', '@', '$', 'bob', 'org.wt.persistence', '@all', '$xyz'];

  it('canonical spellings read back with the same meaning whatever broadcastAllowed the reader assumes', () => {
    for (const a of addresses) {
      for (const broadcastAllowed of [false, true]) {
        const canonical = canonicalAddress(a, broadcastAllowed);
        expect(classifyAddress(canonical, false), `${a} ${broadcastAllowed}`).toEqual(
          classifyAddress(a, broadcastAllowed),
        );
      }
    }
  });

  it('pattern normalization stores the canonical spelling', () => {
    for (const broadcastAllowed of [false, true]) {
      const p = normalizePattern({
        name: 'n',
        broadcastAllowed,
        reactions: [{ condition: { type: 'filter', xpr: 'true', publish: { to: addresses } } }],
      }) as { reactions: { condition: { publish: { to: string[] } } }[] };
      expect(p.reactions[0]!.condition.publish.to).toEqual(addresses.map((a) => canonicalAddress(a, broadcastAllowed)));
    }
  });

  it('validation warns exactly for the addresses that resolve to nobody by construction', () => {
    for (const broadcastAllowed of [false, true]) {
      const report = validatePattern({
        name: 'n',
        broadcastAllowed,
        reactions: [
          { condition: { type: 'filter', xpr: 'true', transform: { templateXpr: '{}' }, publish: { to: addresses } } },
        ],
      });
      const warned = report.warnings
        .filter((w) => w.path.startsWith('/reactions/0/condition/publish/to/'))
        .map((w) => addresses[Number(w.path.split('/').pop())]);
      const nobody = addresses.filter((a) => classifyAddress(a, broadcastAllowed).kind === 'nobody');
      expect(warned).toEqual(nobody);
      expect(nobody).toEqual(broadcastAllowed ? ['@', '$'] : ['*', '@', '$']);
    }
  });
});
