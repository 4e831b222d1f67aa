import {
  carriesPersonalData,
  CHANNELS,
  CUSTOMER_EVENT_TYPES,
  type CustomerEvent,
  DIRECTIONS,
  eventOccurredAt,
  isCustomerEventType,
  isTouchpointEvent,
  PERSONAL_FIELDS,
  TOUCHPOINT_EVENT_TYPE_BY_KIND,
  TOUCHPOINT_KIND_BY_EVENT_TYPE,
  TOUCHPOINT_KINDS,
  touchpointCarriesPersonalData,
  touchpointFields,
} from '@app/domain';
import { CUSTOMER, OCCURRED_AT, recorded, registered, REGISTERED_AT } from './customer.fixtures';

describe('event catalogue', () => {
  it('maps every touchpoint kind to its own event type and back', () => {
    const types = TOUCHPOINT_KINDS.map((kind) => TOUCHPOINT_EVENT_TYPE_BY_KIND[kind]);
    expect(new Set(types).size).toBe(TOUCHPOINT_KINDS.length);
    for (const kind of TOUCHPOINT_KINDS) {
      expect(TOUCHPOINT_KIND_BY_EVENT_TYPE[TOUCHPOINT_EVENT_TYPE_BY_KIND[kind]]).toBe(kind);
    }
  });

  it('lists the channels and directions of DESIGN.md 3.1', () => {
    expect(CHANNELS).toEqual([
      'store',
      'phone',
      'email',
      'web',
      'app',
      'chat',
      'social',
      'field_visit',
      'mail',
    ]);
    expect(DIRECTIONS).toEqual(['inbound', 'outbound']);
  });

  it('knows its event types and which are touchpoints', () => {
    expect(CUSTOMER_EVENT_TYPES).toHaveLength(22);
    expect(isCustomerEventType('PurchaseRecorded')).toBe(true);
    expect(isCustomerEventType('toString')).toBe(false);
    expect(isTouchpointEvent(recorded('VisitRecorded', {}))).toBe(true);
    expect(isTouchpointEvent(registered())).toBe(false);
  });

  it('names the business time of any event', () => {
    expect(eventOccurredAt(registered())).toBe(REGISTERED_AT);
    expect(eventOccurredAt(recorded('VisitRecorded', {}))).toBe(OCCURRED_AT);
    const tier: CustomerEvent = {
      type: 'TierChanged',
      data: {
        customerId: CUSTOMER,
        from: null,
        to: 'gold',
        reason: 'upgrade',
        qualifyingAmount: 5000,
        ruleVersion: '1',
        effectiveAt: '2026-05-05T00:00:00Z',
      },
    };
    expect(eventOccurredAt(tier)).toBe('2026-05-05T00:00:00Z');
  });
});

describe('personal fields', () => {
  it('marks names, contact details and free text as personal, in every event type', () => {
    expect(Object.keys(PERSONAL_FIELDS).sort()).toEqual([...CUSTOMER_EVENT_TYPES].sort());
    expect(PERSONAL_FIELDS.CustomerRegistered).toEqual(['name', 'email', 'phone']);
    expect(PERSONAL_FIELDS.CustomerProfileChanged).toEqual([
      'changes.name',
      'changes.email',
      'changes.phone',
    ]);
    expect(PERSONAL_FIELDS.FeedbackGiven).toEqual(['note', 'comment']);
    expect(PERSONAL_FIELDS.ComplaintEscalated).toEqual(['note', 'reason']);
    expect(PERSONAL_FIELDS.ComplaintResolved).toEqual(['note', 'resolution']);
    expect(PERSONAL_FIELDS.ComplaintReopened).toEqual(['note', 'reason']);
    expect(PERSONAL_FIELDS.VisitRecorded).toEqual(['note', 'page']);
    expect(PERSONAL_FIELDS.OtherTouchpointRecorded).toEqual(['note', 'attributes']);
    for (const kind of TOUCHPOINT_KINDS) {
      expect(PERSONAL_FIELDS[TOUCHPOINT_EVENT_TYPE_BY_KIND[kind]]).toContain('note');
    }
  });

  it('keeps what analytics need in clear: regions, amounts, categories', () => {
    expect(PERSONAL_FIELDS.CustomerRegistered).not.toContain('region');
    expect(PERSONAL_FIELDS.PurchaseRecorded).toEqual(['note']);
    expect(PERSONAL_FIELDS.ComplaintOpened).toEqual(['note']);
  });

  it('seals every touchpoint field the table calls sealed, and never a code, id or fixed value', () => {
    const touchpointPaths = new Set(
      TOUCHPOINT_KINDS.flatMap((kind) => PERSONAL_FIELDS[TOUCHPOINT_EVENT_TYPE_BY_KIND[kind]]),
    );
    expect([...touchpointPaths].sort()).toEqual(touchpointFields('sealed').sort());
    expect(touchpointFields('code').sort()).toEqual(
      [
        'agentId',
        'campaignId',
        'category',
        'department',
        'level',
        'outcome',
        'product',
        'region',
        'requestType',
        'subtype',
        'topic',
      ].sort(),
    );
  });

  it('tells from a touchpoint, before deciding, whether its event will need the key', () => {
    expect(touchpointCarriesPersonalData({ region: 'north', category: 'delivery' })).toBe(false);
    for (const field of touchpointFields('sealed')) {
      expect(touchpointCarriesPersonalData({ [field]: 'x' })).toBe(true);
    }
  });

  it('tells whether an event carries any personal value', () => {
    expect(carriesPersonalData(registered())).toBe(true);
    expect(carriesPersonalData(registered({ name: undefined, email: undefined }))).toBe(false);
    expect(
      carriesPersonalData({
        type: 'CustomerProfileChanged',
        data: { customerId: CUSTOMER, changes: { region: 'x' }, changedAt: OCCURRED_AT },
      }),
    ).toBe(false);
    expect(
      carriesPersonalData({
        type: 'CustomerProfileChanged',
        data: { customerId: CUSTOMER, changes: { phone: '1' }, changedAt: OCCURRED_AT },
      }),
    ).toBe(true);
    expect(carriesPersonalData(recorded('VisitRecorded', {}, { note: 'n' }))).toBe(true);
  });
});
