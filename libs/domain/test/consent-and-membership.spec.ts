import { DEFAULT_POLICY_RULES } from '@app/domain';
import { CUSTOMER, given, NOW, OCCURRED_AT, registered } from './customer.fixtures';

const grant = {
  type: 'GrantConsent',
  customerId: CUSTOMER,
  purpose: 'newsletter',
  source: 'web',
  now: NOW,
} as const;
const withdraw = { ...grant, type: 'WithdrawConsent' } as const;
const granted = {
  type: 'ConsentGranted',
  data: { customerId: CUSTOMER, purpose: 'newsletter', grantedAt: OCCURRED_AT, source: 'web' },
} as const;
const withdrawn = {
  type: 'ConsentWithdrawn',
  data: { customerId: CUSTOMER, purpose: 'newsletter', withdrawnAt: OCCURRED_AT, source: 'web' },
} as const;

describe('consent per purpose', () => {
  it('grants a purpose not granted yet', () => {
    given(registered())
      .when(grant)
      .then({
        type: 'ConsentGranted',
        data: { customerId: CUSTOMER, purpose: 'newsletter', grantedAt: NOW, source: 'web' },
      });
  });

  it('records nothing when the purpose is already granted', () => {
    given(registered(), granted).when(grant).then();
  });

  it('grants again after a withdrawal', () => {
    given(registered(), granted, withdrawn)
      .when(grant)
      .then({
        type: 'ConsentGranted',
        data: { customerId: CUSTOMER, purpose: 'newsletter', grantedAt: NOW, source: 'web' },
      });
  });

  it('keeps purposes apart', () => {
    given(registered(), granted)
      .when({ ...grant, purpose: 'profiling' })
      .then({
        type: 'ConsentGranted',
        data: { customerId: CUSTOMER, purpose: 'profiling', grantedAt: NOW, source: 'web' },
      });
  });

  it('withdraws a granted purpose', () => {
    given(registered(), granted)
      .when(withdraw)
      .then({
        type: 'ConsentWithdrawn',
        data: { customerId: CUSTOMER, purpose: 'newsletter', withdrawnAt: NOW, source: 'web' },
      });
  });

  it('records nothing when withdrawing a purpose never granted or already withdrawn', () => {
    given(registered()).when(withdraw).then();
    given(registered(), granted, withdrawn).when(withdraw).then();
  });

  it('refuses consent changes of an unknown customer: CUSTOMER_NOT_FOUND', () => {
    given().when(grant).thenThrows('CUSTOMER_NOT_FOUND');
    given().when(withdraw).thenThrows('CUSTOMER_NOT_FOUND');
  });
});

describe('membership enrolment', () => {
  const enroll = { type: 'EnrollMembership', customerId: CUSTOMER, now: NOW } as const;

  const enrolledAs = (tier: string) => ({
    type: 'TierChanged' as const,
    data: {
      customerId: CUSTOMER,
      from: null,
      to: tier,
      reason: 'enrolled',
      qualifyingAmount: 0,
      ruleVersion: DEFAULT_POLICY_RULES.version,
      effectiveAt: NOW,
    },
  });

  it('enrols a customer at tier basic unless another tier is given, as a tier change too', () => {
    given(registered())
      .when(enroll)
      .then(
        {
          type: 'MembershipEnrolled',
          data: { customerId: CUSTOMER, enrolledAt: NOW, tier: 'basic' },
        },
        enrolledAs('basic'),
      );
    given(registered())
      .when({ ...enroll, tier: 'silver' })
      .then(
        {
          type: 'MembershipEnrolled',
          data: { customerId: CUSTOMER, enrolledAt: NOW, tier: 'silver' },
        },
        enrolledAs('silver'),
      );
  });

  it('refuses a second enrolment: ALREADY_MEMBER', () => {
    const error = given(registered(), {
      type: 'MembershipEnrolled',
      data: { customerId: CUSTOMER, enrolledAt: OCCURRED_AT, tier: 'basic' },
    })
      .when(enroll)
      .thenThrows('ALREADY_MEMBER');
    expect(error.details).toEqual({ customerId: CUSTOMER, tier: 'basic' });
  });

  it('refuses to enrol a customer the tier policy already made a member: ALREADY_MEMBER', () => {
    given(registered(), {
      type: 'TierChanged',
      data: {
        customerId: CUSTOMER,
        from: null,
        to: 'basic',
        reason: 'first_purchase',
        qualifyingAmount: 10,
        ruleVersion: '1',
        effectiveAt: OCCURRED_AT,
      },
    })
      .when(enroll)
      .thenThrows('ALREADY_MEMBER');
  });

  it('refuses to enrol an unknown customer: CUSTOMER_NOT_FOUND', () => {
    given().when(enroll).thenThrows('CUSTOMER_NOT_FOUND');
  });
});
