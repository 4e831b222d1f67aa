import {
  type ChangeProfile,
  type CustomerCommand,
  DEFAULT_MEMBERSHIP_TIER,
  type EnrollMembership,
  type EraseCustomer,
  type GrantConsent,
  type RegisterCustomer,
  type ReviewCustomer,
  type WithdrawConsent,
} from './customer.commands';
import { type CustomerEvent, type ProfileFields } from './customer.events';
import { type CustomerState, type Profile } from './customer.state';
import { DomainError } from './domain.error';
import {
  assertNever,
  compact,
  erasedError,
  notFoundError,
  requireLive,
  requireTimestamps,
} from './guards';
import { dueTransitions, withPolicies } from './customer.policies';
import { DEFAULT_POLICY_RULES, type PolicyRules } from './policy-rules';
import { enrolled } from './tier.policy';
import { recordTouchpoint } from './touchpoint.decide';

/**
 * Judges a command against the current state: the events to append, `[]` when there is nothing
 * to do (a retry, a change to the same value), or a DomainError naming the broken rule. The
 * lifecycle, tier and segment policies apply `rules` (API.md's defaults unless given).
 */
export function decide(
  given: CustomerCommand,
  state: CustomerState,
  rules: PolicyRules = DEFAULT_POLICY_RULES,
): CustomerEvent[] {
  // Commands are often built from JSON, where `null` and a missing field both mean "not given".
  const command = compact(given);
  requireTimestamps({ now: command.now });
  switch (command.type) {
    case 'RegisterCustomer':
      return registerCustomer(command, state);
    case 'ChangeProfile':
      return changeProfile(command, state);
    case 'RecordTouchpoint':
      return withPolicies(recordTouchpoint(command, state), state, rules);
    case 'GrantConsent':
      return grantConsent(command, state);
    case 'WithdrawConsent':
      return withdrawConsent(command, state);
    case 'EnrollMembership':
      return enrollMembership(command, state, rules);
    case 'EraseCustomer':
      return eraseCustomer(command, state);
    case 'ReviewCustomer':
      return reviewCustomer(command, state, rules);
    default:
      return assertNever(command);
  }
}

function registerCustomer(command: RegisterCustomer, state: CustomerState): CustomerEvent[] {
  requireTimestamps({ occurredAt: command.occurredAt });
  if (state.status === 'erased') throw erasedError(command.customerId);
  // A prospect created by a touchpoint exists too: its details are added with a profile change.
  if (state.status !== 'unknown') {
    throw new DomainError('CUSTOMER_ALREADY_EXISTS', `customer ${command.customerId} exists`, {
      customerId: command.customerId,
    });
  }
  const { customerId, name, email, phone, region } = command;
  return [
    {
      type: 'CustomerRegistered',
      data: {
        customerId,
        origin: 'registration',
        ...compact({ name, email, phone, region }),
        registeredAt: command.occurredAt ?? command.now,
      },
    },
  ];
}

function changeProfile(command: ChangeProfile, state: CustomerState): CustomerEvent[] {
  const live = requireLive(state, command.customerId);
  const changes = changedFields(live.profile, command);
  if (Object.keys(changes).length === 0) return [];
  return [
    {
      type: 'CustomerProfileChanged',
      data: { customerId: command.customerId, changes, changedAt: command.now },
    },
  ];
}

function changedFields(profile: Profile, wanted: ProfileFields): ProfileFields {
  const changes: ProfileFields = {};
  for (const field of ['name', 'email', 'phone', 'region'] as const) {
    const value = wanted[field];
    if (value !== undefined && value !== profile[field]) changes[field] = value;
  }
  return changes;
}

function grantConsent(command: GrantConsent, state: CustomerState): CustomerEvent[] {
  const live = requireLive(state, command.customerId);
  if (live.consents.get(command.purpose)?.status === 'granted') return [];
  const { customerId, purpose, source } = command;
  return [
    { type: 'ConsentGranted', data: { customerId, purpose, grantedAt: command.now, source } },
  ];
}

function withdrawConsent(command: WithdrawConsent, state: CustomerState): CustomerEvent[] {
  // Erasure ended every consent, so there is nothing left to withdraw.
  if (state.status === 'erased') return [];
  const live = requireLive(state, command.customerId);
  if (live.consents.get(command.purpose)?.status !== 'granted') return [];
  const { customerId, purpose, source } = command;
  return [
    { type: 'ConsentWithdrawn', data: { customerId, purpose, withdrawnAt: command.now, source } },
  ];
}

function enrollMembership(
  command: EnrollMembership,
  state: CustomerState,
  rules: PolicyRules,
): CustomerEvent[] {
  const live = requireLive(state, command.customerId);
  if (live.membership) {
    throw new DomainError(
      'ALREADY_MEMBER',
      `customer ${command.customerId} is already a ${live.membership.tier} member`,
      { customerId: command.customerId, tier: live.membership.tier },
    );
  }
  const tier = command.tier ?? DEFAULT_MEMBERSHIP_TIER;
  return [
    {
      type: 'MembershipEnrolled',
      data: { customerId: command.customerId, enrolledAt: command.now, tier },
    },
    enrolled(command.customerId, live.activity, tier, command.now, rules),
  ];
}

// Erased and merged customers take no new transitions: their stream is closed to policies.
function reviewCustomer(
  command: ReviewCustomer,
  state: CustomerState,
  rules: PolicyRules,
): CustomerEvent[] {
  requireTimestamps({ asOf: command.asOf });
  if (state.status === 'unknown') throw notFoundError(command.customerId);
  return dueTransitions(state, command.asOf, rules);
}

// Erasure stays possible after a merge: the right to be forgotten does not depend on bookkeeping.
function eraseCustomer(command: EraseCustomer, state: CustomerState): CustomerEvent[] {
  if (state.status === 'erased') return [];
  if (state.status === 'unknown') throw notFoundError(command.customerId);
  const { customerId, reason } = command;
  return [
    { type: 'CustomerErased', data: { customerId, erasedAt: command.now, ...compact({ reason }) } },
  ];
}
