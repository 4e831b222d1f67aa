import { uniqueId } from '@app/testing';

/** A valid purchase touchpoint; override any field. */
export function purchase(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    touchpointId: uniqueId('tp'),
    source: 'shop-till',
    customerId: uniqueId('cust'),
    kind: 'purchase',
    occurredAt: '2026-03-01T10:15:00Z',
    channel: 'store',
    direction: 'inbound',
    orderId: uniqueId('order'),
    amount: 120.5,
    currency: 'EUR',
    ...overrides,
  };
}

/** A valid inquiry touchpoint (no order, amount or currency); override any field. */
export function inquiry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return purchase({
    kind: 'inquiry',
    orderId: undefined,
    amount: undefined,
    currency: undefined,
    ...overrides,
  });
}
