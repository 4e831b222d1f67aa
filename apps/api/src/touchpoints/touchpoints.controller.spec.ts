import { DomainError } from '@app/domain';
import type { AuthenticatedRequest } from '../http/auth.guard';
import { StoreUnavailableError } from '../http/store-unavailable';
import { FakeBus } from '../testing/fake-bus';
import { FakeResponse } from '../testing/fake-response';
import {
  type BatchOutcome,
  RecordTouchpointBatchCommand,
  type TouchpointOutcome,
} from './commands/record-touchpoint-batch.command';
import { RecordTouchpointCommand } from './commands/record-touchpoint.command';
import type { TouchpointReceipt } from './touchpoint-command';
import { TouchpointsController } from './touchpoints.controller';

const inquiry = (touchpointId: string, overrides: Record<string, unknown> = {}) => ({
  touchpointId,
  source: 'call-centre',
  customerId: 'c-1',
  kind: 'inquiry',
  occurredAt: '2026-03-01T10:15:00Z',
  channel: 'phone',
  direction: 'inbound',
  ...overrides,
});

describe(TouchpointsController.name, () => {
  let bus: FakeBus;
  let sut: TouchpointsController;
  const request = {
    headers: { 'x-correlation-id': 'corr-9' },
    principal: { role: 'ingest', actor: 'ingest:till-7' },
  } as unknown as AuthenticatedRequest;

  beforeEach(() => {
    bus = new FakeBus();
    sut = new TouchpointsController(bus.asCommandBus());
  });

  /** The handler's answer: the outcomes given, one per valid item, in order. */
  const handlerAnswers = (...outcomes: TouchpointOutcome[]) => {
    bus.answer = (): BatchOutcome => ({ outcomes, position: 42 });
  };

  describe('record', () => {
    const receipt = (duplicate: boolean): TouchpointReceipt => ({
      eventId: 'e-1',
      customerId: 'c-1',
      revision: 3,
      position: 42,
      duplicate,
    });

    it.each([
      [false, 201],
      [true, 200],
    ])('answers duplicate: %s with %i', async (duplicate, status) => {
      bus.answer = () => receipt(duplicate);
      // Nest answers a POST 201 unless the route says otherwise: a duplicate's 200 must be set.
      const response = Object.assign(new FakeResponse(), { statusCode: 201 });
      const answer = await sut.record(inquiry('tp-1') as never, request, response.asResponse());
      expect(answer).toEqual(receipt(duplicate));
      expect(response.statusCode).toBe(status);
      bus.only(RecordTouchpointCommand);
    });
  });

  describe('recordBatch', () => {
    it('hands only valid items to the handler and answers each item at its own index', async () => {
      handlerAnswers(
        { status: 'created', eventId: 'e-0', revision: 1, position: 40 },
        { status: 'duplicate', eventId: 'e-2', revision: 1, position: 12 },
      );
      const answer = await sut.recordBatch(
        {
          touchpoints: [
            inquiry('tp-0'),
            inquiry('tp-1', { channel: 'pigeon', occurredAt: 'yesterday' }),
            inquiry('tp-2'),
            'not an object',
          ],
        },
        request,
      );
      const command = bus.only(RecordTouchpointBatchCommand);
      expect(command.touchpoints.map((t) => t.touchpointId)).toEqual(['tp-0', 'tp-2']);
      expect(command.context.actor).toBe('ingest:till-7');
      expect(answer).toEqual({
        results: [
          { index: 0, status: 'created', eventId: 'e-0', revision: 1, position: 40 },
          {
            index: 1,
            status: 'rejected',
            // Every problem of the item, not only the first.
            errors: expect.arrayContaining([
              expect.objectContaining({ field: 'channel' }),
              expect.objectContaining({ field: 'occurredAt' }),
            ]),
          },
          { index: 2, status: 'duplicate', eventId: 'e-2', revision: 1, position: 12 },
          {
            index: 3,
            status: 'rejected',
            errors: [{ field: '', message: 'each item must be a JSON object' }],
          },
        ],
        position: 42,
      });
    });

    it('describes a failed item by its code and whether to send it again', async () => {
      handlerAnswers(
        { status: 'failed', error: new DomainError('COMPLAINT_NOT_OPEN', 'not open') },
        { status: 'created', eventId: 'e-1', revision: 2, position: 41 },
      );
      const answer = await sut.recordBatch(
        { touchpoints: [inquiry('tp-0'), inquiry('tp-1')] },
        request,
      );
      expect(answer.results[0]).toEqual({
        index: 0,
        status: 'rejected',
        errors: [{ code: 'COMPLAINT_NOT_OPEN', message: 'not open', retryable: false }],
      });
      expect(answer.results[1]).toMatchObject({ status: 'created' });
    });

    it('answers the whole batch 503 when a store was unreachable for any item', async () => {
      handlerAnswers(
        { status: 'created', eventId: 'e-0', revision: 1, position: 40 },
        { status: 'failed', error: new StoreUnavailableError('The event store is not reachable') },
      );
      await expect(
        sut.recordBatch({ touchpoints: [inquiry('tp-0'), inquiry('tp-1')] }, request),
      ).rejects.toThrow(StoreUnavailableError);
    });
  });
});
