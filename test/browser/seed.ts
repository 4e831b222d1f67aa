import request from 'supertest';
import { KEYS, type TestApi } from '../support/test-api';

const DAY = 86_400_000;

const NAMES = [
  '王 小明',
  '佐藤 花子',
  '김 민준',
  'Ana Lopez',
  'Jonas Berg',
  'Mia Rossi',
  'Omar Haddad',
  'Lea Novak',
];
const REGIONS = ['north', 'south', 'east', 'west'];
const CATEGORIES = ['delivery', 'billing', 'product'];
const AGENTS = ['agent-ada', 'agent-bo', 'agent-cy'];

export interface SeededPopulation {
  customers: string[];
  /** The customer id of each name: the first customers carry the CJK names. */
  nameOf: Map<string, string>;
  now: number;
  /** Commit position of the last write, for minPosition. */
  position: number;
}

/**
 * Forty customers through the HTTP API only: registered 400 days ago in four regions, buying at different rhythms
 * and amounts (so tiers, stages and quadrants spread), some gone quiet long ago (at risk, churned after the review),
 * complaints in three categories with three agents, feedback scores, outbound marketing contacts, and one customer
 * with more than a page of history.
 */
export async function seedPopulation(api: TestApi, prefix: string): Promise<SeededPopulation> {
  const now = Date.now();
  const daysAgo = (days: number, hours = 0) =>
    new Date(now - days * DAY + hours * 3_600_000).toISOString();
  const customers = Array.from({ length: 40 }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
  const nameOf = new Map(customers.map((id, i) => [id, `${NAMES[i % NAMES.length]} ${i}`]));
  for (const [i, customerId] of customers.entries()) {
    await request(api.http)
      .post('/v1/customers')
      .set('Authorization', KEYS.ingest)
      .send({
        customerId,
        name: nameOf.get(customerId),
        email: `${customerId}@example.com`,
        phone: `+4930123456${String(i).padStart(2, '0')}`,
        region: REGIONS[i % REGIONS.length],
        occurredAt: daysAgo(400),
      })
      .expect(201);
  }
  let seq = 0;
  const touchpoint = (
    customerId: string,
    kind: string,
    occurredAt: string,
    fields: Record<string, unknown>,
  ) => ({
    touchpointId: `${prefix}-tp-${(seq += 1)}`,
    source: 'dashboard-seed',
    customerId,
    kind,
    occurredAt,
    channel: 'store',
    direction: 'inbound',
    region: REGIONS[customers.indexOf(customerId) % REGIONS.length],
    ...fields,
  });
  const touchpoints: Array<Record<string, unknown>> = [];
  for (const [i, customerId] of customers.entries()) {
    if (i % 10 === 9) continue; // prospects: never bought
    // The last purchase: recent for most, 100 or 200 days ago for some (at risk, churned after the review).
    const lastDaysAgo = i % 7 === 3 ? 200 : i % 7 === 5 ? 100 : 2 + (i % 20);
    const orders = (i % 5) + 1;
    const amount = [80, 400, 1200, 2600, 6000][i % 5];
    for (let n = 0; n < orders; n++) {
      touchpoints.push(
        touchpoint(customerId, 'purchase', daysAgo(lastDaysAgo + n * 25, 1), {
          orderId: `${customerId}-o${n}`,
          amount,
          margin: Math.round(amount * 0.4),
          channel: n % 2 === 0 ? 'store' : 'web',
          product: n % 2 === 0 ? 'shoes' : 'bags',
        }),
      );
    }
    touchpoints.push(
      touchpoint(customerId, 'feedback', daysAgo(1), { score: (i % 5) + 1, channel: 'email' }),
    );
    if (i % 3 === 0) {
      const complaintId = `${customerId}-k`;
      const category = CATEGORIES[(i / 3) % CATEGORIES.length];
      const agentId = AGENTS[(i / 3 + 1) % AGENTS.length];
      touchpoints.push(
        touchpoint(customerId, 'complaint_opened', daysAgo(20), {
          complaintId,
          category,
          channel: 'phone',
          agentId,
        }),
      );
      if (i % 2 === 0) {
        touchpoints.push(
          touchpoint(customerId, 'complaint_resolved', daysAgo(20, 6 + i), {
            complaintId,
            resolution: 'refunded',
            satisfied: i % 4 === 0,
            channel: 'phone',
            agentId,
          }),
        );
      }
    }
    if (i % 4 === 1) {
      touchpoints.push(
        touchpoint(customerId, 'marketing_contact', daysAgo(5 + (i % 30)), {
          channel: 'email',
          direction: 'outbound',
          department: 'marketing',
        }),
      );
    }
  }
  // One customer with more events than a page of history (200), so the history view pages.
  for (let n = 0; n < 205; n++) {
    touchpoints.push(
      touchpoint(customers[1], 'inquiry', daysAgo(300 - n, 2), {
        channel: 'chat',
        department: 'support',
      }),
    );
  }
  touchpoints.sort((a, b) => Date.parse(String(a.occurredAt)) - Date.parse(String(b.occurredAt)));
  const batch = await request(api.http)
    .post('/v1/touchpoints/batch')
    .set('Authorization', KEYS.ingest)
    .send({ touchpoints })
    .expect(200);
  const rejected = (batch.body.results as Array<{ status: string }>).filter(
    (r) => r.status !== 'created',
  );
  if (rejected.length > 0) throw new Error(`seed rejected: ${JSON.stringify(rejected[0])}`);
  const review = await request(api.http)
    .post('/v1/admin/reviews')
    .set('Authorization', KEYS.admin)
    .send({ asOf: new Date(now).toISOString() })
    .expect((response) => {
      if (response.status >= 300) throw new Error(`review: ${response.status} ${response.text}`);
    });
  const position = Math.max(Number(batch.body.position), Number(review.body.position ?? 0));
  return { customers, nameOf, now, position };
}
