// How long loading (folding) one customer's stream takes as it grows: the persistent activity maps
// should keep it linear. Run: node -r ./scripts/register-ts.js libs/domain/bench/fold.bench.ts
import { performance } from 'node:perf_hooks';
import { type CustomerEvent, decide, fold } from '@app/domain';

function history(touchpoints: number): CustomerEvent[] {
  const events: CustomerEvent[] = [
    {
      type: 'CustomerRegistered',
      data: { customerId: 'c', origin: 'registration', registeredAt: '2020-01-01T00:00:00Z' },
    },
  ];
  for (let index = 0; index < touchpoints; index++) {
    const base = {
      customerId: 'c',
      touchpointId: `tp-${index}`,
      source: 'bench',
      occurredAt: `2020-01-01T00:00:${String(index % 60).padStart(2, '0')}Z`,
      channel: 'web' as const,
      direction: 'inbound' as const,
    };
    events.push(
      index % 2 === 0
        ? {
            type: 'PurchaseRecorded',
            data: { ...base, orderId: `o-${index}`, amount: 10, currency: 'EUR' },
          }
        : { type: 'VisitRecorded', data: { ...base, page: '/' } },
    );
  }
  return events;
}

const rows = [1_000, 10_000, 50_000, 100_000].map((size) => {
  const events = history(size);
  fold(events); // warm-up
  const started = performance.now();
  const state = fold(events);
  const foldMs = performance.now() - started;
  const decideStarted = performance.now();
  decide(
    {
      type: 'RecordTouchpoint',
      kind: 'refund',
      customerId: 'c',
      touchpointId: 'refund-1',
      source: 'bench',
      occurredAt: '2021-01-01T00:00:00Z',
      channel: 'web',
      direction: 'inbound',
      orderId: 'o-0',
      amount: 5,
      now: '2021-01-01T00:00:00Z',
    },
    state,
  );
  const decideMs = performance.now() - decideStarted;
  return {
    events: size + 1,
    'fold ms': foldMs.toFixed(1),
    'µs per event': ((foldMs * 1000) / (size + 1)).toFixed(2),
    'decide ms': decideMs.toFixed(3),
  };
});
console.table(rows);
