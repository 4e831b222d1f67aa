import { touchpointEventId } from '@app/domain';
import { TouchpointIdStore } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { createCustomerStore } from '../../infrastructure/customer-store';
import type { TouchpointDto } from '../dto/touchpoint.dto';
import {
  RecordTouchpointBatchCommand,
  RecordTouchpointBatchHandler,
} from './record-touchpoint-batch.command';
import { RecordTouchpointCommand, RecordTouchpointHandler } from './record-touchpoint.command';

/** An inquiry (no policy transitions follow it): a prospect gets CustomerRegistered, then the touchpoint. */
function inquiry(customerId: string, fields: Partial<TouchpointDto> = {}): TouchpointDto {
  return {
    touchpointId: uniqueId('tp'),
    source: 'call-centre',
    customerId,
    kind: 'inquiry',
    occurredAt: '2026-03-01T10:00:00.000Z',
    channel: 'phone',
    direction: 'inbound',
    ...fields,
  };
}

/** A second API process: its own decider store (own cache and queue) and its own claim rounds, same servers. */
function otherProcess(stores: ApiStores) {
  return {
    store: createCustomerStore(stores.eventStore, stores.keys, stores.config.rules),
    ids: new TouchpointIdStore(stores.mongo.db),
  };
}

describe(RecordTouchpointHandler.name, () => {
  let stores: ApiStores;
  let sut: RecordTouchpointHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('record_tp');
    sut = new RecordTouchpointHandler(stores.customers, new TouchpointIdStore(stores.mongo.db));
  });
  afterAll(() => stores.close());

  const record = (dto: TouchpointDto, handler = sut) =>
    handler.execute(new RecordTouchpointCommand(dto, stores.context));

  it('creates an unknown customer as a prospect and answers the touchpoint event id, revision and position', async () => {
    const customerId = uniqueId('c');
    const dto = inquiry(customerId);
    const receipt = await record(dto);
    expect(receipt).toEqual({
      eventId: touchpointEventId(dto.source, dto.touchpointId),
      customerId,
      revision: 1,
      position: expect.any(Number),
      duplicate: false,
    });
    const events = await stores.events(customerId);
    expect(events.map(({ type }) => type)).toEqual(['CustomerRegistered', 'InquiryRecorded']);
    expect(events[1]).toMatchObject({ id: receipt.eventId, revision: 1 });
    expect(Number(events[1].position.commit)).toBe(receipt.position);
    expect(events[1].metadata.source).toBe('call-centre');
  });

  it('answers the same touchpoint again as a duplicate with the original revision and position, storing nothing', async () => {
    const customerId = uniqueId('c');
    const dto = inquiry(customerId);
    const first = await record(dto);
    await record(inquiry(customerId));
    const again = await record(dto);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await stores.events(customerId)).toHaveLength(3);
  });

  it('answers a re-send through another process as a duplicate with the original position', async () => {
    const customerId = uniqueId('c');
    const dto = inquiry(customerId);
    const first = await record(dto);
    const other = otherProcess(stores);
    const again = await record(dto, new RecordTouchpointHandler(other.store, other.ids));
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await stores.events(customerId)).toHaveLength(2);
  });

  it('refuses a touchpoint id sent for a second customer with TOUCHPOINT_ID_REUSED naming the first, storing nothing', async () => {
    const [owner, other] = [uniqueId('c'), uniqueId('c')];
    const dto = inquiry(owner);
    await record(dto);
    await expect(record({ ...dto, customerId: other })).rejects.toMatchObject({
      code: 'TOUCHPOINT_ID_REUSED',
      belongsTo: owner,
    });
    expect(await stores.events(other)).toEqual([]);
  });

  it('passes a domain refusal on and stores nothing', async () => {
    const customerId = uniqueId('c');
    await record(inquiry(customerId));
    const resolve = inquiry(customerId, {
      kind: 'complaint_resolved',
      complaintId: 'never-opened',
      resolution: 'refunded',
    });
    await expect(record(resolve)).rejects.toMatchObject({ code: 'COMPLAINT_NOT_OPEN' });
    expect(await stores.events(customerId)).toHaveLength(2);
  });
});

describe(RecordTouchpointBatchHandler.name, () => {
  let stores: ApiStores;
  let sut: RecordTouchpointBatchHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('record_batch');
    sut = new RecordTouchpointBatchHandler(
      stores.customers,
      new TouchpointIdStore(stores.mongo.db),
    );
  });
  afterAll(() => stores.close());

  const record = (touchpoints: TouchpointDto[]) =>
    sut.execute(new RecordTouchpointBatchCommand(touchpoints, stores.context));

  it('answers every item in the order given: created, duplicate, refused by the domain, id reused', async () => {
    const [a, b] = [uniqueId('c'), uniqueId('c')];
    const taken = inquiry(b);
    await record([taken]);
    const first = inquiry(a);
    const refused = inquiry(a, {
      kind: 'complaint_resolved',
      complaintId: 'never-opened',
      resolution: 'refunded',
    });
    const { outcomes, position } = await record([
      first,
      first,
      refused,
      { ...taken, customerId: a },
      inquiry(a),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'created',
      'duplicate',
      'failed',
      'failed',
      'created',
    ]);
    expect(outcomes[1]).toEqual(
      outcomes[0].status === 'created' && { ...outcomes[0], status: 'duplicate' },
    );
    expect(outcomes[2]).toMatchObject({ error: { code: 'COMPLAINT_NOT_OPEN' } });
    expect(outcomes[3]).toMatchObject({ error: { code: 'TOUCHPOINT_ID_REUSED', belongsTo: b } });
    const stored = await stores.events(a);
    expect(stored.map(({ type }) => type)).toEqual([
      'CustomerRegistered',
      'InquiryRecorded',
      'InquiryRecorded',
    ]);
    expect(position).toBe(Number(stored[2].position.commit));
  });

  it('answers items stored by an earlier batch as duplicates with the position of that batch', async () => {
    const customerId = uniqueId('c');
    const items = [inquiry(customerId), inquiry(customerId)];
    const first = await record(items);
    const again = await record([...items, inquiry(customerId)]);
    expect(again.outcomes.slice(0, 2)).toEqual(
      first.outcomes.map((outcome) => ({ ...outcome, status: 'duplicate' })),
    );
    expect(again.outcomes[2].status).toBe('created');
    expect(await stores.events(customerId)).toHaveLength(4);
  });

  it("stores each customer's touchpoints in their own stream, in the order given", async () => {
    const customers = Array.from({ length: 5 }, () => uniqueId('c'));
    const items = customers.flatMap((customerId) =>
      [1, 2, 3].map((n) => inquiry(customerId, { topic: `t${n}` })),
    );
    const { outcomes } = await record(items);
    expect(outcomes.every((outcome) => outcome.status === 'created')).toBe(true);
    for (const customerId of customers) {
      const topics = (await stores.events(customerId))
        .filter(({ type }) => type === 'InquiryRecorded')
        .map(({ data }) => data.topic);
      expect(topics).toEqual(['t1', 't2', 't3']);
    }
  });

  it("appends one customer's touchpoints in several appends when they exceed the append budget", async () => {
    const customerId = uniqueId('c');
    const note = 'n'.repeat(3900);
    const items = Array.from({ length: 100 }, () => inquiry(customerId, { note }));
    const { outcomes } = await record(items);
    expect(outcomes.every((outcome) => outcome.status === 'created')).toBe(true);
    const stored = await stores.events(customerId);
    expect(stored.filter(({ data }) => data.note === note)).toHaveLength(100);
    const appends = new Set(stored.map(({ metadata }) => metadata.appendId));
    expect(appends.size).toBeGreaterThan(1);
  });

  it("fails only the items of a customer whose append fails; the other customers' are stored", async () => {
    const [erased, fine] = [uniqueId('c'), uniqueId('c')];
    await stores.register(erased, { name: 'Ada' });
    await stores.keys.destroy(erased);
    const { outcomes } = await record([inquiry(erased, { note: 'call back' }), inquiry(fine)]);
    expect(outcomes[0]).toMatchObject({ status: 'failed', error: { code: 'CUSTOMER_ERASED' } });
    expect(outcomes[1].status).toBe('created');
    expect(await stores.events(erased)).toHaveLength(1);
    expect(await stores.events(fine)).toHaveLength(2);
  });
});
