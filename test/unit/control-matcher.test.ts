/**
 * Pieces of the control door that need no servers: the in-memory matcher dataControl and getThreds'
 * terminatedMatcher use (on matchers compiled by the persistence compiler, so only its operators occur), and the
 * `$admins` address (holders of role admin with a live session).
 */
import { describe, expect, it } from 'vitest';
import { translateMatcher } from '../../store/persistence-query';
import { matches, project, sortBy } from '../../gateway/control/matcher';
import { resolveAddresses, type AddressBook } from '../../activities/addresses';
import { canonicalAddress, classifyAddress } from '../../patterns/addresses';

const thred = { _id: 't1', thred: { id: 't1', patternId: 'uav', status: 't', lastUpdateTime: 50, tags: ['a', 'b'] } };
const m = (matcher: unknown) => matches(thred, translateMatcher(matcher, ''));

describe('in-memory matcher', () => {
  it.each([
    [{ 'thred.patternId': 'uav' }, true],
    [{ 'thred.patternId': 'other' }, false],
    [{ id: 't1' }, true],
    [{ 'thred.lastUpdateTime': { $gt: 40, $lte: 50 } }, true],
    [{ 'thred.lastUpdateTime': { $lt: 50 } }, false],
    [{ 'thred.status': { $in: ['a', 't'] } }, true],
    [{ 'thred.status': { $nin: ['t'] } }, false],
    [{ 'thred.status': { $ne: 'a' } }, true],
    [{ 'thred.missing': { $ne: 'x' } }, true],
    [{ 'thred.lastUpdateTime': { $not: { $gt: 60 } } }, true],
    [{ 'thred.patternId': { $re: '^UA' } }, true],
    [{ 'thred.tags': 'b' }, true],
    [{ $or: [{ 'thred.patternId': 'x' }, { 'thred.status': 't' }] }, true],
    [{ $or: [{ 'thred.patternId': 'x' }, { 'thred.status': 'a' }] }, false],
  ])('%j → %s', (matcher, expected) => {
    expect(m(matcher)).toBe(expected);
  });

  it('refuses operators outside the persistence list before anything runs', () => {
    expect(() => translateMatcher({ $where: 'true' }, '')).toThrow(/not allowed/);
    expect(() => translateMatcher({ 'thred.id': { $expr: 1 } }, '')).toThrow(/not allowed/);
  });

  it('sorts and projects like collector.sort and selector', () => {
    const docs = [
      { _id: 'b', n: 2, x: 1 },
      { _id: 'a', n: 1, x: 2 },
      { _id: 'c', n: 3, x: 0 },
    ];
    expect(sortBy(docs, [['n', -1]]).map((d) => d._id)).toEqual(['c', 'b', 'a']);
    expect(project(docs[0]!, { n: 1 })).toEqual({ _id: 'b', n: 2 });
    expect(project(docs[0]!, { n: 0 })).toEqual({ _id: 'b', x: 1 });
  });
});

describe('$admins', () => {
  const book: AddressBook = {
    thredParticipants: [],
    groups: { admins: ['not-this-group'] },
    withRole: async (role) => (role === 'admin' ? ['root', 'offline-admin'] : []),
    live: async () => ['root', 'pat'],
    agentIds: new Set(),
  };

  it('is reserved (not the group "admins") and canonical in every spelling', () => {
    expect(classifyAddress('$admins', false)).toEqual({ kind: 'admins' });
    expect(canonicalAddress('@admins', false)).toBe('$admins');
  });

  it('resolves to holders of role admin that have a live session', async () => {
    expect((await resolveAddresses(['$admins'], book)).ids).toEqual(['root']);
  });
});
