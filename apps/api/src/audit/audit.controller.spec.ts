import { Writable } from 'node:stream';
import type { Response } from 'express';
import { FakeBus } from '../testing/fake-bus';
import { FakeResponse } from '../testing/fake-response';
import { refusedFields } from '../testing/dto-validation';
import { requestAs, routeAccess } from '../testing/route-access';
import { AuditController } from './audit.controller';
import { EraseCustomerCommand } from './commands/erase-customer.command';
import { AsOfQueryDto } from './dto/as-of-query.dto';
import { EraseCustomerDto } from './dto/erase-customer.dto';
import { HistoryQueryDto } from './dto/history-query.dto';
import { encodeHistoryCursor } from './history-cursor';
import { GetAsOfQuery } from './queries/get-as-of.query';
import { GetHistoryQuery, StreamHistoryQuery } from './queries/get-history.query';

const NOW = new Date('2026-06-15T12:00:00Z');

/** A response that is a real writable stream, collecting what NDJSON streaming writes. */
class StreamedResponse extends Writable {
  statusCode = 0;
  headersSent = false;
  readonly headers: Record<string, string> = {};
  text = '';

  status(code: number) {
    this.statusCode = code;
    return this;
  }
  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
    this.headersSent = true;
    this.text += chunk.toString('utf8');
    done();
  }
}

async function* events(...revisions: number[]) {
  for (const revision of revisions) yield { revision, type: 'PurchaseRecorded' };
}

describe(AuditController.name, () => {
  let queries: FakeBus;
  let commands: FakeBus;
  let sut: AuditController;

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate'] });
    queries = new FakeBus();
    commands = new FakeBus();
    sut = new AuditController(queries.asQueryBus(), commands.asCommandBus());
  });
  afterEach(() => jest.useRealTimers());

  describe('history', () => {
    it('answers a page as JSON: 100 events from the start unless asked otherwise', async () => {
      const page = { customerId: 'c-1', items: [], nextCursor: null };
      queries.answer = () => page;
      const response = new FakeResponse();
      await sut.history('c-1', {}, undefined, response.asResponse());
      expect(response.body).toBe(page);
      expect({ ...queries.only(GetHistoryQuery) }).toEqual({
        customerId: 'c-1',
        filter: { from: undefined, to: undefined, types: undefined },
        limit: 100,
        fromRevision: 0,
      });
    });

    it('filters by business time in ms and by kinds as event types, from the cursor on', async () => {
      queries.answer = () => ({ customerId: 'c-1', items: [], nextCursor: null });
      await sut.history(
        'c-1',
        {
          from: '2026-01-01',
          to: '2026-02-01T00:00:00Z',
          kinds: ['purchase', 'TierChanged'],
          limit: 5,
          cursor: encodeHistoryCursor(40),
        },
        'application/json',
        new FakeResponse().asResponse(),
      );
      const query = queries.only(GetHistoryQuery);
      expect(query.filter).toEqual({
        from: Date.parse('2026-01-01T00:00:00Z'),
        to: Date.parse('2026-02-01T00:00:00Z'),
        types: new Set(['PurchaseRecorded', 'TierChanged']),
      });
      expect([query.limit, query.fromRevision]).toEqual([5, 40]);
    });

    it('streams the whole history as NDJSON, one event a line, when asked for it', async () => {
      queries.answer = () => events(3, 4, 5);
      const response = new StreamedResponse();
      await sut.history(
        'c-1',
        { limit: 1, cursor: encodeHistoryCursor(3) },
        'application/x-ndjson',
        response as unknown as Response,
      );
      const query = queries.only(StreamHistoryQuery);
      expect([query.customerId, query.fromRevision]).toEqual(['c-1', 3]);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
      expect(
        response.text
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ).toEqual([
        { revision: 3, type: 'PurchaseRecorded' },
        { revision: 4, type: 'PurchaseRecorded' },
        { revision: 5, type: 'PurchaseRecorded' },
      ]);
    });
  });

  describe('asOf', () => {
    it("asks for the customer at `at` as known now, shown as the caller's role may see it", async () => {
      queries.answer = () => ({ customerId: 'c-2' });
      expect(await sut.asOf('c-2', { at: '2026-03-01T00:00:00Z' }, requestAs('auditor'))).toEqual({
        customerId: 'c-2',
      });
      expect({ ...queries.only(GetAsOfQuery) }).toEqual({
        customerId: 'c-2',
        at: new Date('2026-03-01T00:00:00Z'),
        knownAt: NOW,
        role: 'auditor',
      });
    });

    it('takes what was known at knownAt when given', async () => {
      await sut.asOf(
        'c-2',
        { at: '2026-03-01T00:00:00Z', knownAt: '2026-04-01T00:00:00+02:00' },
        requestAs('admin'),
      );
      expect(queries.only(GetAsOfQuery).knownAt).toEqual(new Date('2026-03-31T22:00:00Z'));
    });
  });

  describe('erase', () => {
    const certificate = { certificateId: 'e-1', customerId: 'c-3' };

    it.each([
      [true, 201],
      [false, 200],
    ])('answers created: %s with %i and only the certificate', async (created, status) => {
      commands.answer = () => ({ created, certificate });
      const response = new FakeResponse();
      const answer = await sut.erase(
        'c-3',
        { reason: 'GDPR art. 17 #4711' },
        requestAs('admin', { 'x-correlation-id': 'erase-1' }),
        response.asResponse(),
      );
      expect(answer).toEqual({ certificate });
      expect(response.statusCode).toBe(status);
      const command = commands.only(EraseCustomerCommand);
      expect([command.customerId, command.reason]).toEqual(['c-3', 'GDPR art. 17 #4711']);
      expect(command.context).toEqual({
        actor: 'admin:dev-admin',
        source: 'erasure',
        correlationId: 'erase-1',
      });
    });
  });

  it('lets auditors read and only admins erase', () => {
    expect(routeAccess(AuditController, 'history')).toEqual(['auditor', 'admin']);
    expect(routeAccess(AuditController, 'asOf')).toEqual(['auditor', 'admin']);
    expect(routeAccess(AuditController, 'erase')).toEqual(['admin']);
  });

  it('refuses a path id that is not a customer id before asking anything', async () => {
    const response = new FakeResponse().asResponse();
    await expect(sut.history('-c', {}, undefined, response)).rejects.toMatchObject({
      problems: [expect.objectContaining({ field: 'id' })],
    });
    expect(() => sut.asOf('c 1', { at: '2026-01-01T00:00:00Z' }, requestAs('auditor'))).toThrow();
    expect(queries.executed).toEqual([]);
  });

  describe('its queries and bodies', () => {
    it.each([
      [
        'a history ending before it starts',
        HistoryQueryDto,
        { from: '2026-02-01', to: '2026-01-01' },
        'to',
      ],
      [
        'a history of a kind that does not exist',
        HistoryQueryDto,
        { kinds: 'purchase,gossip' },
        'kinds',
      ],
      ['a history page over 1000', HistoryQueryDto, { limit: '1001' }, 'limit'],
      ['a history cursor it did not give out', HistoryQueryDto, { cursor: 'cjEyYWI' }, 'cursor'],
      ['an as-of without `at`', AsOfQueryDto, { knownAt: '2026-01-01T00:00:00Z' }, 'at'],
      ['an as-of at a date without a time', AsOfQueryDto, { at: '2026-01-01' }, 'at'],
    ])('refuse %s', async (_what, dto, query, field) => {
      expect(await refusedFields(dto as new () => object, query)).toEqual([field]);
    });

    it('take a history filter with a comma-separated list of kinds', async () => {
      const query = {
        kinds: 'purchase, TierChanged',
        from: '2026-01-01',
        to: '2026-01-01',
        limit: '10',
      };
      expect(await refusedFields(HistoryQueryDto, query)).toEqual([]);
    });

    it('refuse an erasure reason over 200 characters or with control characters', async () => {
      expect(await refusedFields(EraseCustomerDto, { reason: 'x'.repeat(201) }, 'body')).toEqual([
        'reason',
      ]);
      expect(await refusedFields(EraseCustomerDto, { reason: 'ok\u0007' }, 'body')).toEqual([
        'reason',
      ]);
      expect(await refusedFields(EraseCustomerDto, {}, 'body')).toEqual([]);
    });
  });
});
