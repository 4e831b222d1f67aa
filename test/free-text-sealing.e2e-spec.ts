import request from 'supertest';
import { isEncrypted } from '@app/event-store';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

// Distinctive prose, found nowhere by chance; the reason carries what a real one did: a social-security number.
const ESCALATION = 'escalated: caller gave SSN 078-05-1120 and shouted';
const RESOLUTION = 'refunded to Ilse Vandermeulen-Okafor after her visit';
const REOPENING = 'reopened: Ilse writes from ilse.vo.5521@okafor-example.org';
const PAGE = '/account/orders?email=ilse.vo.5521%40okafor-example.org&token=q7Zt1';
const PLAINTEXTS = [ESCALATION, RESOLUTION, REOPENING, PAGE, 'Ilse', '078-05-1120', 'okafor'];

describe('free text of touchpoints is sealed with the customer key; dimensions are bounded codes', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const post = (path: string, body: object, key: string = KEYS.ingest) =>
    request(api.http).post(path).set('Authorization', key).send(body);

  function touchpoint(customerId: string, kind: string, extra: Record<string, unknown>) {
    return purchase({
      customerId,
      kind,
      orderId: undefined,
      amount: undefined,
      currency: undefined,
      region: 'eu-west.nl',
      agentId: 'agent:a-17',
      department: 'care',
      ...extra,
    });
  }

  /** A complaint that is opened, escalated, resolved and reopened, and a visit: every sealed kind-specific field. */
  async function caseHistory(customerId: string): Promise<void> {
    const complaintId = uniqueId('k');
    const items = [
      touchpoint(customerId, 'complaint_opened', { complaintId, category: 'delivery.late' }),
      touchpoint(customerId, 'complaint_escalated', {
        complaintId,
        level: 'l2',
        reason: ESCALATION,
      }),
      touchpoint(customerId, 'complaint_resolved', { complaintId, resolution: RESOLUTION }),
      touchpoint(customerId, 'complaint_reopened', { complaintId, reason: REOPENING }),
      touchpoint(customerId, 'visit', { channel: 'web', page: PAGE, durationSeconds: 40 }),
    ];
    for (const item of items) expect((await post('/v1/touchpoints', item)).status).toBe(201);
  }

  const history = async (customerId: string) =>
    (
      await request(api.http)
        .get(`/v1/customers/${customerId}/history`)
        .set('Authorization', KEYS.auditor)
        .expect(200)
    ).body.items as Array<{ type: string; data: Record<string, unknown> }>;

  const dataOf = (events: Array<{ type: string; data: Record<string, unknown> }>, type: string) =>
    events.filter((event) => event.type === type).map((event) => event.data);

  it('stores reason, resolution and page sealed: the raw events hold none of the plaintext', async () => {
    const customerId = uniqueId('seal');
    await caseHistory(customerId);
    const stored = await storedEvents(api.eventStore, customerId);
    const sealed = [
      ...dataOf(stored, 'ComplaintEscalated').map((data) => data.reason),
      ...dataOf(stored, 'ComplaintResolved').map((data) => data.resolution),
      ...dataOf(stored, 'ComplaintReopened').map((data) => data.reason),
      ...dataOf(stored, 'VisitRecorded').map((data) => data.page),
    ];
    expect(sealed).toHaveLength(4);
    for (const value of sealed) expect(isEncrypted(value)).toBe(true);
    const raw = JSON.stringify(stored);
    for (const plaintext of PLAINTEXTS) expect(raw).not.toContain(plaintext);
    // The dimensions analysts group by stay in clear.
    expect(dataOf(stored, 'ComplaintOpened')[0]).toMatchObject({
      category: 'delivery.late',
      region: 'eu-west.nl',
      agentId: 'agent:a-17',
      department: 'care',
    });
    expect(dataOf(stored, 'ComplaintEscalated')[0].level).toBe('l2');
  });

  it('shows auditors the sealed fields opened in the history, and "[erased]" after erasure', async () => {
    const customerId = uniqueId('seal');
    await caseHistory(customerId);
    const before = await history(customerId);
    expect(dataOf(before, 'ComplaintEscalated')[0].reason).toBe(ESCALATION);
    expect(dataOf(before, 'ComplaintResolved')[0].resolution).toBe(RESOLUTION);
    expect(dataOf(before, 'ComplaintReopened')[0].reason).toBe(REOPENING);
    expect(dataOf(before, 'VisitRecorded')[0].page).toBe(PAGE);

    const erasure = await post(`/v1/customers/${customerId}/erase`, {}, KEYS.admin);
    expect(erasure.status).toBe(201);
    expect(erasure.body.certificate.erasedData.fields).toEqual(['page', 'reason', 'resolution']);

    const after = await history(customerId);
    expect(dataOf(after, 'ComplaintEscalated')[0]).toMatchObject({
      reason: '[erased]',
      level: 'l2',
    });
    expect(dataOf(after, 'ComplaintResolved')[0].resolution).toBe('[erased]');
    expect(dataOf(after, 'ComplaintReopened')[0].reason).toBe('[erased]');
    expect(dataOf(after, 'VisitRecorded')[0]).toMatchObject({
      page: '[erased]',
      durationSeconds: 40,
    });
    const shown = JSON.stringify(after);
    for (const plaintext of PLAINTEXTS) expect(shown).not.toContain(plaintext);
  });

  it('refuses a page after erasure with 410 (it would need the destroyed key) and stores nothing', async () => {
    const customerId = uniqueId('seal');
    expect((await post('/v1/touchpoints', purchase({ customerId }))).status).toBe(201);
    expect((await post(`/v1/customers/${customerId}/erase`, {}, KEYS.admin)).status).toBe(201);
    const count = (await storedEvents(api.eventStore, customerId)).length;
    const visit = touchpoint(customerId, 'visit', { channel: 'web', page: PAGE });
    const refused = await post('/v1/touchpoints', visit);
    expect(refused.status).toBe(410);
    expect(refused.body.code).toBe('CUSTOMER_ERASED');
    expect(await storedEvents(api.eventStore, customerId)).toHaveLength(count);
  });

  it('documents in OpenAPI which touchpoint fields are sealed and the pattern of the codes', async () => {
    const docs = await request(api.http).get('/docs-json').expect(200);
    const fields = docs.body.components.schemas.TouchpointDto.properties;
    for (const code of [
      'region',
      'agentId',
      'department',
      'product',
      'category',
      'topic',
      'subtype',
    ]) {
      expect(fields[code]).toMatchObject({
        pattern: '^[A-Za-z][A-Za-z0-9_.:-]{0,63}$',
        maxLength: 64,
      });
    }
    for (const sealed of ['note', 'comment', 'reason', 'resolution', 'page', 'attributes']) {
      expect(fields[sealed].description).toMatch(/encrypted with the customer's key/);
    }
  });

  describe('dimensions are bounded codes: prose, addresses and phone numbers are refused with 400', () => {
    const notCodes: Array<[string, string, Record<string, unknown>]> = [
      ['region', 'North West', {}],
      ['agentId', 'jane.doe@example.com', {}],
      ['department', 'Customer care, 2nd floor', {}],
      ['product', '+44 20 7946 0958', {}],
      ['category', 'she said the parcel was wet', { kind: 'complaint_opened', complaintId: 'k1' }],
      ['topic', '1 Main Street', { kind: 'inquiry' }],
      ['subtype', 'x'.repeat(65), { kind: 'other' }],
    ];

    it.each(notCodes)(
      'refuses %s %j naming the field, storing nothing',
      async (field, value, kind) => {
        const customerId = uniqueId('code');
        const item = touchpoint(customerId, 'inquiry', { ...kind, [field]: value });
        const response = await post('/v1/touchpoints', item);
        expect(response.status).toBe(400);
        expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(response.body.errors).toEqual([
          { field, message: expect.stringContaining('bounded code') },
        ]);
        expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
      },
    );

    it('rejects such items of a batch naming the field, and stores the others', async () => {
      const customerId = uniqueId('code');
      const response = await post('/v1/touchpoints/batch', {
        touchpoints: [
          touchpoint(customerId, 'inquiry', { region: 'North West' }),
          touchpoint(customerId, 'inquiry', { topic: 'returns.policy' }),
          touchpoint(customerId, 'inquiry', { agentId: 'jane.doe@example.com' }),
        ],
      });
      expect(response.status).toBe(200);
      expect(response.body.results).toEqual([
        {
          index: 0,
          status: 'rejected',
          errors: [{ field: 'region', message: expect.stringContaining('bounded code') }],
        },
        expect.objectContaining({ index: 1, status: 'created' }),
        {
          index: 2,
          status: 'rejected',
          errors: [{ field: 'agentId', message: expect.stringContaining('bounded code') }],
        },
      ]);
      const stored = await storedEvents(api.eventStore, customerId);
      expect(dataOf(stored, 'InquiryRecorded')).toEqual([
        expect.objectContaining({ topic: 'returns.policy' }),
      ]);
    });

    it('refuses a customer region that is not a code on registration and profile changes', async () => {
      const customerId = uniqueId('code');
      const registered = await post('/v1/customers', { customerId, region: 'North West' });
      expect(registered.status).toBe(400);
      expect(registered.body.errors).toEqual([
        { field: 'region', message: expect.stringContaining('bounded code') },
      ]);
      expect((await post('/v1/customers', { customerId, region: 'nw' })).status).toBe(201);
      const changed = await request(api.http)
        .patch(`/v1/customers/${customerId}`)
        .set('Authorization', KEYS.ingest)
        .send({ region: 'ops@example.com' });
      expect(changed.status).toBe(400);
      expect(changed.body.errors[0].field).toBe('region');
      expect(await storedEvents(api.eventStore, customerId)).toHaveLength(1);
    });
  });
});
