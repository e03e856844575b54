import { describe, expect, it } from 'vitest';
import { parenthesesBalanced, visibilityQuery } from '../../gateway/plugins/batch';

describe('batch selection queries', () => {
  it('keeps a client query inside the thred-only clauses', () => {
    expect(visibilityQuery({ op: 'terminate', query: "ThredPattern='a' OR ThredPattern='b'" })).toBe(
      "WorkflowType='thred' AND ExecutionStatus='Running' AND (ThredPattern='a' OR ThredPattern='b')",
    );
  });

  it.each([
    ["ThredPattern='a'", true],
    ["(ThredPattern='a' OR ThredPattern='b') AND ThredStatus='active'", true],
    ['ThredReaction=\')(\' AND ThredPattern="("', true], // parentheses inside quotes do not count
    ["ThredPattern='it\\'s )'", true],
    ["ThredPattern='x') OR (WorkflowType='other'", false],
    ["ThredPattern='x'))", false],
    ["(ThredPattern='x'", false],
    ["ThredPattern='x", false], // an open quote would swallow the closing parenthesis
  ])('%s → balanced %s', (query, ok) => {
    expect(parenthesesBalanced(query)).toBe(ok);
  });
});
