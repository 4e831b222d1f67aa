import { createHash } from 'node:crypto';
import { canonicalJson, type PolicyRules } from '@app/domain';

/**
 * Bump when what an as-of fold produces changes for the same events: the domain's `evolve` or policies, the
 * profile fold (`foldStoredIntoProfile`), the shape of CustomerState or ProfileDocument, or the snapshot codec.
 * Snapshots persisted by a process of another fold version are ignored (and replaced), never resumed from.
 */
export const AS_OF_FOLD_CODE_VERSION = 1;

/**
 * The fold version a process stamps on the as-of snapshots it persists and requires of those it resumes from: the
 * code version above and the rules, hashed whole (policies depend on every threshold, and a rules file may keep
 * its explicit `version` while its contents change).
 */
export function asOfFoldVersion(rules: PolicyRules): string {
  const rulesHash = createHash('sha256').update(canonicalJson(rules)).digest('hex').slice(0, 16);
  return `fold-${AS_OF_FOLD_CODE_VERSION}:rules-${rulesHash}`;
}
