import {
  type CustomerEvent,
  isTouchpointEvent,
  type RecordTouchpoint,
  TOUCHPOINT_EVENT_TYPE_BY_KIND,
} from '@app/domain';
import {
  CUSTOMER,
  erased,
  given,
  OCCURRED_AT,
  purchased,
  recorded,
  registered,
  touchpoint,
} from './customer.fixtures';

describe('RecordTouchpoint', () => {
  describe('unknown customers and idempotency', () => {
    it('makes an unknown customer a prospect registered at the touchpoint time', () => {
      given()
        .when(touchpoint('inquiry', { topic: 'opening hours' }))
        .then(
          {
            type: 'CustomerRegistered',
            data: { customerId: CUSTOMER, origin: 'touchpoint', registeredAt: OCCURRED_AT },
          },
          recorded('InquiryRecorded', { topic: 'opening hours' }),
        );
    });

    it('judges the touchpoint of an unknown customer against the new prospect', () => {
      given()
        .when(touchpoint('refund', { orderId: 'o-1', amount: 5 }))
        .thenThrows('ORDER_NOT_FOUND');
    });

    it('records nothing for a touchpoint whose source and id were already recorded', () => {
      given(registered(), recorded('InquiryRecorded', {}))
        .when(touchpoint('inquiry', { topic: 'changed on retry' }))
        .then();
    });

    it('answers a retry with [] before judging it again, even where a first attempt would fail', () => {
      given(
        registered(),
        recorded('ComplaintOpened', { complaintId: 'k-1', category: 'delivery', severity: 'high' }),
      )
        .when(touchpoint('complaint_opened', { complaintId: 'k-1', category: 'delivery' }))
        .then();
    });

    it('treats the same touchpoint id from another source as a new touchpoint', () => {
      given(registered(), recorded('InquiryRecorded', {}))
        .when(touchpoint('inquiry', {}, { source: 'web-shop' }))
        .then(recorded('InquiryRecorded', {}, { source: 'web-shop' }));
    });

    it('recognises a retry of the touchpoint that created the prospect', () => {
      const first = given()
        .when(touchpoint('visit', { page: '/home' }))
        .decided();
      given(...first)
        .when(touchpoint('visit', { page: '/home' }))
        .then();
    });

    it('refuses a touchpoint whose occurredAt is not a timestamp: INVALID_TIMESTAMP', () => {
      given(registered())
        .when(touchpoint('inquiry', {}, { occurredAt: '2026-13-45' }))
        .thenThrows('INVALID_TIMESTAMP');
    });
  });

  describe('common fields', () => {
    it('stores no key for a field given as undefined', () => {
      given(registered())
        .when(touchpoint('inquiry', { topic: undefined }, { agentId: undefined }))
        .then(recorded('InquiryRecorded', {}));
    });

    it('keeps department, agent, product, region and note', () => {
      given(registered())
        .when(
          touchpoint(
            'inquiry',
            {},
            {
              channel: 'phone',
              direction: 'outbound',
              department: 'sales',
              agentId: 'a-9',
              product: 'p-1',
              region: 'west',
              note: 'asked about delivery',
            },
          ),
        )
        .then(
          recorded(
            'InquiryRecorded',
            {},
            {
              channel: 'phone',
              direction: 'outbound',
              department: 'sales',
              agentId: 'a-9',
              product: 'p-1',
              region: 'west',
              note: 'asked about delivery',
            },
          ),
        );
    });

    it('records each kind as its own event type', () => {
      const cases: Array<[ReturnType<typeof touchpoint>, CustomerEvent]> = [
        [
          touchpoint('service_request', { requestId: 'r-1', requestType: 'repair' }),
          recorded('ServiceRequested', { requestId: 'r-1', requestType: 'repair' }),
        ],
        [
          touchpoint('marketing_contact', { campaignId: 'spring', outcome: 'opened' }),
          recorded('MarketingContacted', { campaignId: 'spring', outcome: 'opened' }),
        ],
        [
          touchpoint('visit', { page: '/shoes', durationSeconds: 42 }),
          recorded('VisitRecorded', { page: '/shoes', durationSeconds: 42 }),
        ],
        [
          touchpoint('other', { subtype: 'survey', attributes: { answered: true, q: 3 } }),
          recorded('OtherTouchpointRecorded', {
            subtype: 'survey',
            attributes: { answered: true, q: 3 },
          }),
        ],
        [
          touchpoint('feedback', { score: 4, comment: 'quick service' }),
          recorded('FeedbackGiven', { score: 4, comment: 'quick service' }),
        ],
      ];
      for (const [command, event] of cases) {
        expect(event.type).toBe(TOUCHPOINT_EVENT_TYPE_BY_KIND[(command as { kind: 'visit' }).kind]);
        given(registered()).when(command).then(event);
      }
    });
  });

  describe('purchases and refunds', () => {
    it('records a purchase in the default currency when none is given', () => {
      const decided = given(registered())
        .when(touchpoint('purchase', { orderId: 'o-1', amount: 19.99, margin: 4, discount: 0 }))
        .decided();
      // The policies' transitions follow the purchase (policies.spec.ts); here only the fact counts.
      expect(decided.filter(isTouchpointEvent)).toStrictEqual([
        recorded('PurchaseRecorded', {
          orderId: 'o-1',
          amount: 19.99,
          currency: 'EUR',
          margin: 4,
          discount: 0,
        }),
      ]);
    });

    it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])(
      'refuses a purchase amount of %p: INVALID_AMOUNT',
      (amount) => {
        given(registered())
          .when(touchpoint('purchase', { orderId: 'o-1', amount }))
          .thenThrows('INVALID_AMOUNT');
      },
    );

    it('refuses a negative discount or a non-finite margin: INVALID_AMOUNT', () => {
      given(registered())
        .when(touchpoint('purchase', { orderId: 'o-1', amount: 10, discount: -1 }))
        .thenThrows('INVALID_AMOUNT');
      given(registered())
        .when(touchpoint('purchase', { orderId: 'o-1', amount: 10, margin: Number.NaN }))
        .thenThrows('INVALID_AMOUNT');
    });

    it('accepts a negative margin: selling at a loss is a fact', () => {
      const decided = given(registered())
        .when(touchpoint('purchase', { orderId: 'o-1', amount: 10, margin: -2, currency: 'GBP' }))
        .decided();
      expect(decided.filter(isTouchpointEvent)).toStrictEqual([
        recorded('PurchaseRecorded', { orderId: 'o-1', amount: 10, currency: 'GBP', margin: -2 }),
      ]);
    });

    it('refuses a currency that is not an ISO 4217 code: INVALID_CURRENCY', () => {
      given(registered())
        .when(touchpoint('purchase', { orderId: 'o-1', amount: 10, currency: 'euro' }))
        .thenThrows('INVALID_CURRENCY');
    });

    it('refuses three letters that are no ISO 4217 currency (ZZZ): INVALID_CURRENCY', () => {
      given(registered())
        .when(touchpoint('purchase', { orderId: 'o-1', amount: 10, currency: 'ZZZ' }))
        .thenThrows('INVALID_CURRENCY');
    });

    it('adds a second payment to an order only in the same currency: CURRENCY_MISMATCH', () => {
      given(registered(), purchased('o-1', 10))
        .when(touchpoint('purchase', { orderId: 'o-1', amount: 5, currency: 'USD' }))
        .thenThrows('CURRENCY_MISMATCH');
    });

    it('refunds part of an order in the order currency', () => {
      given(registered(), purchased('o-1', 30))
        .when(touchpoint('refund', { orderId: 'o-1', amount: 10 }))
        .then(recorded('RefundRecorded', { orderId: 'o-1', amount: 10, currency: 'EUR' }));
    });

    it('refuses a refund larger than what the order has paid: REFUND_EXCEEDS_PURCHASE', () => {
      const error = given(registered(), purchased('o-1', 30))
        .when(touchpoint('refund', { orderId: 'o-1', amount: 30.01 }))
        .thenThrows('REFUND_EXCEEDS_PURCHASE');
      expect(error.details).toEqual({ orderId: 'o-1', amount: 30.01, refundable: 30 });
    });

    it('judges a refund against what is left after earlier refunds and payments of that order', () => {
      const history = [
        registered(),
        purchased('o-1', 0.3, 'tp-a'),
        purchased('o-2', 100, 'tp-b'),
        recorded(
          'RefundRecorded',
          { orderId: 'o-1', amount: 0.1, currency: 'EUR' },
          { touchpointId: 'tp-c' },
        ),
      ];
      // 0.3 - 0.1 leaves exactly 0.2, not 0.19999999999999998
      given(...history)
        .when(touchpoint('refund', { orderId: 'o-1', amount: 0.2 }))
        .then(recorded('RefundRecorded', { orderId: 'o-1', amount: 0.2, currency: 'EUR' }));
      given(...history)
        .when(touchpoint('refund', { orderId: 'o-1', amount: 0.21 }))
        .thenThrows('REFUND_EXCEEDS_PURCHASE');
      given(...history, purchased('o-1', 0.05, 'tp-d'))
        .when(touchpoint('refund', { orderId: 'o-1', amount: 0.25 }))
        .then(recorded('RefundRecorded', { orderId: 'o-1', amount: 0.25, currency: 'EUR' }));
    });

    it('refuses a refund of an order never purchased: ORDER_NOT_FOUND', () => {
      given(registered(), purchased('o-1', 30))
        .when(touchpoint('refund', { orderId: 'o-2', amount: 1 }))
        .thenThrows('ORDER_NOT_FOUND');
    });

    it('refuses a refund in another currency than the order: CURRENCY_MISMATCH', () => {
      given(registered(), purchased('o-1', 30))
        .when(touchpoint('refund', { orderId: 'o-1', amount: 1, currency: 'USD' }))
        .thenThrows('CURRENCY_MISMATCH');
    });

    it.each([0, -1, Number.NaN])('refuses a refund amount of %p: INVALID_AMOUNT', (amount) => {
      given(registered(), purchased('o-1', 30))
        .when(touchpoint('refund', { orderId: 'o-1', amount }))
        .thenThrows('INVALID_AMOUNT');
    });
  });

  describe('feedback and visits', () => {
    it('accepts an NPS alone, from 0 to 10', () => {
      for (const nps of [0, 10]) {
        given(registered())
          .when(touchpoint('feedback', { nps }))
          .then(recorded('FeedbackGiven', { nps }));
      }
    });

    it('refuses feedback with neither score nor nps: INVALID_FEEDBACK', () => {
      given(registered())
        .when(touchpoint('feedback', { comment: 'meh' }))
        .thenThrows('INVALID_FEEDBACK');
    });

    it.each([
      { score: 0 },
      { score: 6 },
      { score: 3.5 },
      { score: Number.NaN },
      { nps: -1 },
      { nps: 11 },
      { score: 3, nps: 12 },
    ])('refuses feedback out of range %p: INVALID_FEEDBACK', (rating) => {
      given(registered()).when(touchpoint('feedback', rating)).thenThrows('INVALID_FEEDBACK');
    });

    it('refuses a negative visit duration: INVALID_DURATION', () => {
      given(registered())
        .when(touchpoint('visit', { durationSeconds: -3 }))
        .thenThrows('INVALID_DURATION');
    });
  });

  it('still answers a retry with [] after the customer was merged', () => {
    given(registered(), recorded('InquiryRecorded', {}), {
      type: 'CustomerMerged',
      data: { customerId: CUSTOMER, mergedIntoCustomerId: 'c-2', mergedAt: OCCURRED_AT },
    })
      .when(touchpoint('inquiry', {}))
      .then();
  });

  it('refuses a touchpoint for a customer merged into another: CUSTOMER_MERGED', () => {
    given(registered(), {
      type: 'CustomerMerged',
      data: { customerId: CUSTOMER, mergedIntoCustomerId: 'c-2', mergedAt: OCCURRED_AT },
    })
      .when(touchpoint('inquiry', {}))
      .thenThrows('CUSTOMER_MERGED');
  });
});

describe('commands built from JSON', () => {
  it('treats null like a field not given, so nothing null is stored', () => {
    const withNulls = {
      ...touchpoint('feedback', { score: 5 }),
      nps: null,
      note: null,
      comment: null,
    } as unknown as RecordTouchpoint;
    given(registered())
      .when(withNulls)
      .then(recorded('FeedbackGiven', { score: 5 }));
    given(registered(), erased())
      .when(withNulls)
      .then(recorded('FeedbackGiven', { score: 5 }));
  });
});
