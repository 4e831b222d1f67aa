export const CUSTOMER_STREAM_PREFIX = 'customer-';

/** The one place that names a customer's stream. */
export function customerStreamId(customerId: string): string {
  return `${CUSTOMER_STREAM_PREFIX}${customerId}`;
}
