import { fold, type CustomerEvent } from '@app/domain';
import {
  CUSTOMER,
  erased,
  given,
  NOW,
  OCCURRED_AT,
  purchased,
  recorded,
  registered,
  touchpoint,
} from './customer.fixtures';

const erase = { type: 'EraseCustomer', customerId: CUSTOMER, now: NOW } as const;

describe('erasure', () => {
  it('erases a known customer', () => {
    given(registered())
      .when({ ...erase, reason: 'customer request' })
      .then({
        type: 'CustomerErased',
        data: { customerId: CUSTOMER, erasedAt: NOW, reason: 'customer request' },
      });
  });

  it('records nothing when erasing twice', () => {
    given(registered(), erased()).when(erase).then();
  });

  it('refuses to erase an unknown customer: CUSTOMER_NOT_FOUND', () => {
    given().when(erase).thenThrows('CUSTOMER_NOT_FOUND');
  });

  it('still erases a customer merged into another', () => {
    given(registered(), {
      type: 'CustomerMerged',
      data: { customerId: CUSTOMER, mergedIntoCustomerId: 'c-2', mergedAt: OCCURRED_AT },
    })
      .when(erase)
      .then({ type: 'CustomerErased', data: { customerId: CUSTOMER, erasedAt: NOW } });
  });

  it('keeps no personal data in the erased state', () => {
    const history: CustomerEvent[] = [
      registered({ name: 'Jane Roe', email: 'jane@example.com', phone: '+44 20 7946 0000' }),
      {
        type: 'CustomerProfileChanged',
        data: { customerId: CUSTOMER, changes: { name: 'Jane Doe' }, changedAt: OCCURRED_AT },
      },
      recorded('InquiryRecorded', {}, { note: 'Jane mentioned her new address' }),
      recorded('FeedbackGiven', { score: 2, comment: 'Jane was unhappy' }),
      {
        type: 'ConsentGranted',
        data: {
          customerId: CUSTOMER,
          purpose: 'newsletter',
          grantedAt: OCCURRED_AT,
          source: 'web',
        },
      },
      purchased('o-1', 20),
      erased(),
    ];
    const state = fold(history);
    expect(state.status).toBe('erased');
    expect(Object.keys(state).sort()).toEqual(['activity', 'customerId', 'erasedAt', 'status']);
    expect(JSON.stringify(state)).not.toMatch(/Jane|example\.com|7946|newsletter/);
  });

  it('keeps the non-personal activity so earlier orders and retries are still judged', () => {
    const state = fold([registered(), purchased('o-1', 20), erased()]);
    expect(state.status === 'erased' && state.activity.lifetimeSpend).toBe(20);
  });

  describe('commands carrying personal data for an erased customer: CUSTOMER_ERASED', () => {
    it.each([
      ['a registration', { type: 'RegisterCustomer', customerId: CUSTOMER, now: NOW }],
      ['a profile change', { type: 'ChangeProfile', customerId: CUSTOMER, region: 'x', now: NOW }],
      ['a touchpoint with a note', touchpoint('inquiry', {}, { note: 'called' })],
      ['feedback with a comment', touchpoint('feedback', { score: 5, comment: 'great' })],
      ['an other touchpoint with attributes', touchpoint('other', { attributes: { a: 1 } })],
      [
        'a visit with its page (a URL may carry an address)',
        touchpoint('visit', { page: '/home' }),
      ],
      [
        'a consent grant',
        { type: 'GrantConsent', customerId: CUSTOMER, purpose: 'p', source: 's', now: NOW },
      ],
      ['an enrolment', { type: 'EnrollMembership', customerId: CUSTOMER, now: NOW }],
    ] as const)('refuses %s', (_what, command) => {
      given(registered(), erased()).when(command).thenThrows('CUSTOMER_ERASED');
    });
  });

  describe('touchpoints without personal data for an erased customer are still recorded', () => {
    it('records a visit, so counts and analytics stay complete', () => {
      given(registered(), erased())
        .when(touchpoint('visit', { durationSeconds: 30 }))
        .then(recorded('VisitRecorded', { durationSeconds: 30 }));
    });

    it('records a refund of an order bought before the erasure', () => {
      given(registered(), purchased('o-1', 20), erased())
        .when(touchpoint('refund', { orderId: 'o-1', amount: 20 }))
        .then(recorded('RefundRecorded', { orderId: 'o-1', amount: 20, currency: 'EUR' }));
    });

    it('still answers a retry of a touchpoint recorded before the erasure with []', () => {
      given(registered(), recorded('InquiryRecorded', {}, { note: 'private' }), erased())
        .when(touchpoint('inquiry', {}, { note: 'private' }))
        .then();
    });

    it('still applies the other rules, e.g. feedback ranges', () => {
      given(registered(), erased())
        .when(touchpoint('feedback', { score: 9 }))
        .thenThrows('INVALID_FEEDBACK');
    });
  });

  it('records nothing when withdrawing consent after erasure, which ended every consent', () => {
    given(registered(), erased())
      .when({ type: 'WithdrawConsent', customerId: CUSTOMER, purpose: 'p', source: 's', now: NOW })
      .then();
  });
});
