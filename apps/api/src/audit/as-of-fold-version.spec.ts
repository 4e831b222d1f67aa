import { DEFAULT_POLICY_RULES } from '@app/domain';
import { AS_OF_FOLD_CODE_VERSION, asOfFoldVersion } from './as-of-fold-version';

describe('asOfFoldVersion', () => {
  it('names the fold code version and is the same for equal rules, whatever their key order', () => {
    const reordered = Object.fromEntries(
      Object.entries(DEFAULT_POLICY_RULES).reverse(),
    ) as typeof DEFAULT_POLICY_RULES;
    expect(asOfFoldVersion(DEFAULT_POLICY_RULES)).toMatch(
      new RegExp(`^fold-${AS_OF_FOLD_CODE_VERSION}:rules-[0-9a-f]{16}$`),
    );
    expect(asOfFoldVersion(reordered)).toBe(asOfFoldVersion(DEFAULT_POLICY_RULES));
  });

  it('changes with any threshold of the rules, even when the rules file keeps its explicit version', () => {
    const changed = {
      ...DEFAULT_POLICY_RULES,
      tiers: {
        ...DEFAULT_POLICY_RULES.tiers,
        windowDays: DEFAULT_POLICY_RULES.tiers.windowDays + 1,
      },
    };
    expect(changed.version).toBe(DEFAULT_POLICY_RULES.version);
    expect(asOfFoldVersion(changed)).not.toBe(asOfFoldVersion(DEFAULT_POLICY_RULES));
  });
});
