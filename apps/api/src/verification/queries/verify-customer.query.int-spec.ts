import { randomUUID } from 'node:crypto';
import { NotFoundException } from '@nestjs/common';
import { customerStreamId } from '@app/domain';
import { chainHash, type EventStoreDBClient } from '@app/event-store';
import { PROFILES_COLLECTION } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ReadModelBehindError } from '../../http/min-position';
import { ApiStores } from '../../testing/api-stores';
import { VerifyCustomerHandler, VerifyCustomerQuery } from './verify-customer.query';

type Appended = Parameters<EventStoreDBClient['appendToStream']>[1];

describe(VerifyCustomerHandler.name, () => {
  let stores: ApiStores;
  let sut: VerifyCustomerHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('verify', { CRM_MIN_POSITION_WAIT_MS: '300' });
    sut = new VerifyCustomerHandler(stores.eventStore, stores.mongo, stores.config);
  });
  afterAll(() => stores.close());

  const verify = (customerId: string) => sut.execute(new VerifyCustomerQuery(customerId));

  const stored = (customerId: string) => stores.events(customerId, { open: 'stored' });

  async function projectedCustomer(): Promise<string> {
    const customerId = uniqueId('ver');
    await stores.register(customerId, { name: 'Ada', region: 'north' }, '2026-01-01T00:00:00Z');
    await stores.touch(customerId, {
      kind: 'purchase',
      orderId: 'o1',
      amount: 80,
      occurredAt: '2026-01-10T00:00:00Z',
    });
    await stores.project(customerId);
    return customerId;
  }

  it('proves a customer written by the API: every event chained, the read models as the events say', async () => {
    const customerId = await projectedCustomer();
    const events = await stored(customerId);

    const report = await verify(customerId);

    expect(report).toMatchObject({
      customerId,
      ok: true,
      events: events.length,
      position: events.at(-1)!.position.commit.toString(),
      chain: { ok: true, chained: events.length, unchained: 0, firstBreak: null },
      readModels: { ok: true, differences: [] },
    });
    const profiles = report.readModels.collections.find((c) => c.collection === 'profiles');
    expect(profiles).toMatchObject({ compared: 1, differing: 0 });
  });

  it('reports an event forged through the client, chained to the real one before it over another payload', async () => {
    const customerId = await projectedCustomer();
    const last = (await stored(customerId)).at(-1)!;
    const eventId = randomUUID();
    const metadata = { ...last.metadata, eventId } as unknown as Record<string, unknown>;
    const chain = chainHash(last.metadata.chain!, {
      eventId,
      type: 'InquiryRecorded',
      data: { ...last.data, touchpointId: 'forged' },
      metadata,
    });
    const forged = {
      id: eventId,
      contentType: 'application/json',
      type: 'InquiryRecorded',
      data: { ...last.data, touchpointId: 'forged', topic: 'refund me twice' },
      metadata: { ...metadata, chain },
    } as unknown as Appended;
    await stores.eventStore.appendToStream(customerStreamId(customerId), forged);
    await stores.project(customerId);

    const report = await verify(customerId);

    expect(report.ok).toBe(false);
    expect(report.chain.ok).toBe(false);
    expect(report.chain.firstBreak).toMatchObject({
      streamId: customerStreamId(customerId),
      revision: last.revision + 1,
      eventId,
      reason: 'mismatch',
      found: chain,
    });
  });

  it('reports a read-model document that differs from what the events make of it', async () => {
    const customerId = await projectedCustomer();
    await stores.mongo.db
      .collection(PROFILES_COLLECTION)
      .updateOne({ _id: customerId as never }, { $set: { region: 'south' } });

    const report = await verify(customerId);

    expect(report.ok).toBe(false);
    expect(report.chain.ok).toBe(true);
    expect(report.readModels.ok).toBe(false);
    expect(report.readModels.differences).toContainEqual(
      expect.objectContaining({
        collection: PROFILES_COLLECTION,
        id: customerId,
        path: 'region',
        live: 'south',
        rebuilt: 'north',
      }),
    );
  });

  it('answers 503 when the read models have not applied the customer’s last event', async () => {
    const customerId = await projectedCustomer();
    await stores.touch(customerId, { kind: 'inquiry', occurredAt: '2026-01-11T00:00:00Z' });
    await expect(verify(customerId)).rejects.toBeInstanceOf(ReadModelBehindError);
  });

  it('answers 404 for a customer with no events', async () => {
    await expect(verify(uniqueId('nobody'))).rejects.toBeInstanceOf(NotFoundException);
  });
});
