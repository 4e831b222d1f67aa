import { type CustomerEvent, type CustomerState, evolve, fold, initialState } from '@app/domain';
import {
  CUSTOMER,
  erased,
  OCCURRED_AT,
  purchased,
  recorded,
  registered,
  REGISTERED_AT,
} from './customer.fixtures';

function live(state: CustomerState) {
  if (state.status !== 'prospect' && state.status !== 'customer') {
    throw new Error(`expected a live customer, got ${state.status}`);
  }
  return state;
}

const tierChanged = (from: string | null, to: string, effectiveAt: string): CustomerEvent => ({
  type: 'TierChanged',
  data: {
    customerId: CUSTOMER,
    from,
    to,
    reason: 'upgrade',
    qualifyingAmount: 1200,
    ruleVersion: '1',
    effectiveAt,
  },
});

describe('evolve', () => {
  it('starts unknown', () => {
    expect(initialState).toEqual({ status: 'unknown' });
  });

  it('makes a registered customer a prospect with their profile', () => {
    const state = live(fold([registered({ phone: '+1 555 0100' })]));
    expect(state).toMatchObject({
      status: 'prospect',
      customerId: CUSTOMER,
      origin: 'registration',
      registeredAt: REGISTERED_AT,
      profile: {
        name: 'Jane Roe',
        email: 'jane@example.com',
        phone: '+1 555 0100',
        region: 'north',
      },
      membership: null,
      lifecycle: null,
      mergedIntoCustomerId: null,
    });
    expect(state.activity.lastEventAt).toBe(REGISTERED_AT);
  });

  it('ignores what does not apply: touchpoints before registration, a second registration', () => {
    expect(fold([recorded('InquiryRecorded', {})])).toEqual(initialState);
    const once = fold([registered()]);
    expect(evolve(once, registered({ name: 'Someone Else' }))).toBe(once);
  });

  it('makes a prospect a customer at the first purchase, and refunds do not undo it', () => {
    const state = fold([
      registered(),
      purchased('o-1', 50),
      recorded('RefundRecorded', { orderId: 'o-1', amount: 50, currency: 'EUR' }),
    ]);
    expect(state).toMatchObject({
      status: 'customer',
      firstPurchaseAt: OCCURRED_AT,
      lastPurchaseAt: OCCURRED_AT,
    });
    expect(live(state).activity).toMatchObject({ purchaseCount: 1, lifetimeSpend: 0 });
  });

  it('takes first and last purchase as the extremes when backfills arrive out of order', () => {
    const at = (occurredAt: string, id: string) =>
      recorded(
        'PurchaseRecorded',
        { orderId: id, amount: 10, currency: 'EUR' },
        { occurredAt, touchpointId: id },
      );
    const state = fold([
      registered(),
      at('2026-02-10T00:00:00Z', 'a'),
      at('2026-01-05T00:00:00Z', 'b'),
      // the same instant as 2026-03-01T00:30:00Z, later than 2026-03-01T00:00:00Z as an instant
      at('2026-03-01T01:30:00+01:00', 'c'),
      at('2026-03-01T00:00:00Z', 'd'),
    ]);
    expect(state).toMatchObject({
      status: 'customer',
      firstPurchaseAt: '2026-01-05T00:00:00Z',
      lastPurchaseAt: '2026-03-01T01:30:00+01:00',
    });
    expect(live(state).activity.purchaseCount).toBe(4);
    expect(live(state).activity.lastEventAt).toBe('2026-03-01T01:30:00+01:00');
  });

  it('counts lifetime spend as purchases minus refunds', () => {
    const state = fold([
      registered(),
      purchased('o-1', 10.1, 'a'),
      purchased('o-2', 20.2, 'b'),
      recorded(
        'RefundRecorded',
        { orderId: 'o-2', amount: 0.2, currency: 'EUR' },
        { touchpointId: 'c' },
      ),
    ]);
    expect(live(state).activity.lifetimeSpend).toBe(30.1);
    expect(live(state).activity.orders.get('o-2')).toEqual({ currency: 'EUR', paid: 20 });
  });

  it('applies profile changes over the registered profile', () => {
    const state = fold([
      registered(),
      {
        type: 'CustomerProfileChanged',
        data: {
          customerId: CUSTOMER,
          changes: { email: 'new@example.com' },
          changedAt: OCCURRED_AT,
        },
      },
    ]);
    expect(live(state).profile).toEqual({
      name: 'Jane Roe',
      email: 'new@example.com',
      region: 'north',
    });
  });

  it('tracks consent per purpose with its latest status', () => {
    const state = fold([
      registered(),
      {
        type: 'ConsentGranted',
        data: { customerId: CUSTOMER, purpose: 'sms', grantedAt: OCCURRED_AT, source: 'app' },
      },
      {
        type: 'ConsentWithdrawn',
        data: {
          customerId: CUSTOMER,
          purpose: 'sms',
          withdrawnAt: '2026-02-02T00:00:00Z',
          source: 'app',
        },
      },
    ]);
    expect(live(state).consents.get('sms')).toEqual({
      status: 'withdrawn',
      withdrawnAt: '2026-02-02T00:00:00Z',
      source: 'app',
    });
  });

  it('makes a customer a member at their first tier and keeps the enrolment date on later changes', () => {
    const state = fold([
      registered(),
      tierChanged(null, 'basic', '2026-01-10T00:00:00Z'),
      tierChanged('basic', 'silver', '2026-02-10T00:00:00Z'),
    ]);
    expect(live(state).membership).toEqual({ enrolledAt: '2026-01-10T00:00:00Z', tier: 'silver' });
  });

  it('keeps the first enrolment when an enrolment event repeats', () => {
    const enrolled = (enrolledAt: string, tier: string): CustomerEvent => ({
      type: 'MembershipEnrolled',
      data: { customerId: CUSTOMER, enrolledAt, tier },
    });
    const state = fold([
      registered(),
      enrolled(OCCURRED_AT, 'basic'),
      enrolled('2026-02-02T00:00:00Z', 'gold'),
    ]);
    expect(live(state).membership).toEqual({ enrolledAt: OCCURRED_AT, tier: 'basic' });
  });

  it('records the lifecycle stage and since when it holds', () => {
    const state = fold([
      registered(),
      {
        type: 'LifecycleStageChanged',
        data: {
          customerId: CUSTOMER,
          from: 'new',
          to: 'active',
          reason: 'aged',
          effectiveAt: OCCURRED_AT,
        },
      },
    ]);
    expect(live(state).lifecycle).toEqual({ stage: 'active', since: OCCURRED_AT });
  });

  it('records the complaint workflow per complaint id', () => {
    const state = fold([
      registered(),
      recorded(
        'ComplaintOpened',
        { complaintId: 'k-1', category: 'c', severity: 'low' },
        { touchpointId: '1' },
      ),
      recorded(
        'ComplaintOpened',
        { complaintId: 'k-2', category: 'c', severity: 'low' },
        { touchpointId: '2' },
      ),
      recorded('ComplaintEscalated', { complaintId: 'k-2' }, { touchpointId: '3' }),
      recorded(
        'ComplaintResolved',
        { complaintId: 'k-1', resolution: 'ok' },
        { touchpointId: '4' },
      ),
    ]);
    expect([...live(state).activity.complaints]).toEqual([
      ['k-1', 'resolved'],
      ['k-2', 'escalated'],
    ]);
  });

  it('erases even a customer it never saw registered, and ignores personal facts afterwards', () => {
    expect(fold([erased('2026-02-01T00:00:00Z')])).toMatchObject({
      status: 'erased',
      customerId: CUSTOMER,
      erasedAt: '2026-02-01T00:00:00Z',
    });
    const after = fold([registered(), erased()]);
    const profileChange: CustomerEvent = {
      type: 'CustomerProfileChanged',
      data: { customerId: CUSTOMER, changes: { name: 'Back' }, changedAt: '2026-03-01T00:00:00Z' },
    };
    expect(evolve(after, profileChange)).toBe(after);
    expect(evolve(after, tierChanged(null, 'gold', '2026-03-01T00:00:00Z'))).toBe(after);
    expect(evolve(after, registered())).toBe(after);
  });

  it('leaves the state it was given unchanged', () => {
    const before = fold([registered(), purchased('o-1', 10, 'a')]);
    const snapshot = JSON.stringify(before);
    const after = evolve(before, purchased('o-2', 5, 'b'));
    expect(JSON.stringify(before)).toBe(snapshot);
    expect(live(before).activity.orders.has('o-2')).toBe(false);
    expect(live(after).activity.orders.has('o-2')).toBe(true);
    expect(live(before).activity.purchaseCount).toBe(1);
  });
});
