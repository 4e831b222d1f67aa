import request from 'supertest';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';

describe('/v1/customers', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const register = (body: Record<string, unknown>) =>
    request(api.http).post('/v1/customers').set('Authorization', KEYS.ingest).send(body);
  const patch = (id: string, body: Record<string, unknown>, ifMatch?: string) => {
    const call = request(api.http).patch(`/v1/customers/${id}`).set('Authorization', KEYS.ingest);
    if (ifMatch !== undefined) void call.set('If-Match', ifMatch);
    return call.send(body);
  };

  it('registers a customer: 201, revision as ETag, personal data sealed in the store', async () => {
    const customerId = uniqueId('cust');
    const response = await register({
      customerId,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      region: 'north',
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ customerId, revision: 0, position: expect.any(Number) });
    expect(response.headers.etag).toBe('"0"');
    const [registered] = await storedEvents(api.eventStore, customerId);
    expect(registered.type).toBe('CustomerRegistered');
    expect(registered.data).toMatchObject({ customerId, region: 'north', origin: 'registration' });
    expect(JSON.stringify(registered.data)).not.toMatch(/Ada|ada@example/);
  });

  it('answers 409 when the customer exists', async () => {
    const customerId = uniqueId('cust');
    await register({ customerId });
    const again = await register({ customerId, name: 'Someone' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'CUSTOMER_ALREADY_EXISTS' });
    expect(await storedEvents(api.eventStore, customerId)).toHaveLength(1);
  });

  it('lists every bad field and stores nothing', async () => {
    const customerId = uniqueId('cust');
    const response = await register({
      customerId,
      email: 'not-mail',
      phone: 'call me',
      name: '',
      extra: 1,
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'email',
      'extra',
      'name',
      'phone',
    ]);
    expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
  });

  it('changes only the fields sent and returns the new revision', async () => {
    const customerId = uniqueId('cust');
    await register({ customerId, region: 'north' });
    const response = await patch(customerId, { region: 'south', name: 'Grace' }, '"0"');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      customerId,
      revision: 1,
      position: expect.any(Number),
      changed: expect.arrayContaining(['region', 'name']),
    });
    expect(response.headers.etag).toBe('"1"');
  });

  it('answers 412 when If-Match names a revision that is not the current one, storing nothing', async () => {
    const customerId = uniqueId('cust');
    await register({ customerId });
    await patch(customerId, { region: 'east' });
    const stale = await patch(customerId, { region: 'west' }, '0');
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({
      code: 'REVISION_MISMATCH',
      details: { expectedRevision: 0, actualRevision: 1 },
    });
    expect(await storedEvents(api.eventStore, customerId)).toHaveLength(2);
  });

  it('returns one of two concurrent edits based on the same revision as 412', async () => {
    const customerId = uniqueId('cust');
    await register({ customerId });
    const [a, b] = await Promise.all([
      patch(customerId, { region: 'east' }, '0'),
      patch(customerId, { region: 'west' }, '0'),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
  });

  it('answers 404 for an unknown customer and 400 for a malformed If-Match or empty change', async () => {
    expect((await patch(uniqueId('cust'), { region: 'x' })).status).toBe(404);
    const customerId = uniqueId('cust');
    await register({ customerId });
    const badTag = await patch(customerId, { region: 'x' }, 'yesterday');
    expect(badTag.status).toBe(400);
    expect(badTag.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [
        { field: 'If-Match', message: expect.stringContaining('If-Match must be a revision') },
      ],
    });
    const empty = await patch(customerId, {});
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([
      { field: '', message: 'send at least one of name, email, phone, region' },
    ]);
    expect(await storedEvents(api.eventStore, customerId)).toHaveLength(1);
  });
});
