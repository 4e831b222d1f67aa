import request from 'supertest';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

/** A JSON body whose `field` value is `rawValue` spliced in as bytes, so it can hold what JSON.stringify never makes. */
function rawJson(body: Record<string, unknown>, field: string, rawValue: Buffer): Buffer {
  const marker = `@@${field}@@`;
  const [before, after] = JSON.stringify({ ...body, [field]: marker }).split(marker);
  return Buffer.concat([Buffer.from(before), rawValue, Buffer.from(after)]);
}

// Bytes that are not UTF-8: a lead byte without its continuation, and an encoded surrogate.
const INVALID_UTF8 = Buffer.from([0x63, 0x61, 0x66, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
// A JSON escape of half a surrogate pair: valid JSON, but no character.
const LONE_SURROGATE = Buffer.from('Ada \\ud800 Lovelace');

describe('text hygiene: what text fields may hold', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  // Raw bodies go out byte for byte instead of being serialised as JSON.
  const post = (path: string, body: object | Buffer) =>
    request(api.http)
      .post(path)
      .set('Authorization', KEYS.ingest)
      .set('Content-Type', 'application/json')
      .serialize((data: unknown) => (Buffer.isBuffer(data) ? data : JSON.stringify(data)) as string)
      .send(body);

  const inquiry = (extra: Record<string, unknown> = {}) =>
    purchase({
      kind: 'inquiry',
      orderId: undefined,
      amount: undefined,
      currency: undefined,
      ...extra,
    });

  function expectRefused(response: request.Response, field: string, message: RegExp): void {
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.body.errors).toEqual([{ field, message: expect.stringMatching(message) }]);
  }

  /** What every text field refuses: [what, value (a string, or raw bytes spliced into the JSON), message]. */
  const badText: Array<[string, Buffer | string, RegExp]> = [
    ['invalid UTF-8', INVALID_UTF8, /UTF-8/],
    ['a lone surrogate', LONE_SURROGATE, /surrogate/],
    ['NUL', 'before\u0000after', /control characters/],
    ['BEL', 'ring \u0007 ring', /control characters/],
    ['a right-to-left override', 'invoice \u202Efdp.exe', /bidirectional/],
    ['only spaces', '  \u00A0 \u3000', /visible/],
    [
      'only zero-width and filler characters',
      '\u200B\u200C\u200D\uFEFF\u2060\u3164\u00AD',
      /visible/,
    ],
  ];

  /** A body with `value` as `field`, spliced in as bytes when it is raw. */
  const withText = (body: Record<string, unknown>, field: string, value: Buffer | string) =>
    typeof value === 'string' ? { ...body, [field]: value } : rawJson(body, field, value);

  it.each(badText)(
    'refuses a touchpoint note with %s: 400 naming note, nothing stored',
    async (_what, note, message) => {
      const customerId = uniqueId('hyg');
      const body = withText(inquiry({ customerId }), 'note', note);
      expectRefused(await post('/v1/touchpoints', body), 'note', message);
      expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
    },
  );

  // Names are one line: tab and line breaks, allowed in notes, are refused too.
  it.each([...badText, ['a line break', 'Ada\nLovelace', /control characters/] as const])(
    'refuses a customer name with %s: 400 naming name, nothing stored',
    async (_what, name, message) => {
      const customerId = uniqueId('hyg');
      expectRefused(
        await post('/v1/customers', withText({ customerId }, 'name', name)),
        'name',
        message,
      );
      expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
    },
  );

  it('keeps names in any script, with marks and joiners, and multi-line notes', async () => {
    const customerId = uniqueId('hyg');
    const name = 'محمد\u200F Ødegård-Nguyễn 👩\u200D🔬';
    expect((await post('/v1/customers', { customerId, name })).status).toBe(201);
    const note = 'first line\nsecond line\twith a tab';
    expect((await post('/v1/touchpoints', inquiry({ customerId, note }))).status).toBe(201);
    const history = await request(api.http)
      .get(`/v1/customers/${customerId}/history`)
      .set('Authorization', KEYS.auditor)
      .expect(200);
    expect(history.body.items[0].data.name).toBe(name);
    expect(history.body.items[1].data.note).toBe(note);
  });

  it('refuses T24:00:00Z as a business time: 400 naming occurredAt, nothing stored', async () => {
    const customerId = uniqueId('hyg');
    const response = await post(
      '/v1/touchpoints',
      inquiry({ customerId, occurredAt: '2026-02-28T24:00:00Z' }),
    );
    expectRefused(response, 'occurredAt', /ISO-8601/);
    const registration = await post('/v1/customers', {
      customerId,
      occurredAt: '2026-02-28T24:00:00Z',
    });
    expectRefused(registration, 'occurredAt', /ISO-8601/);
    expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
  });

  it('refuses a currency that is no ISO 4217 code (ZZZ): 400 naming currency, nothing stored', async () => {
    const customerId = uniqueId('hyg');
    const response = await post('/v1/touchpoints', purchase({ customerId, currency: 'ZZZ' }));
    expectRefused(response, 'currency', /ISO 4217/);
    expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
    expect((await post('/v1/touchpoints', purchase({ customerId, currency: 'CHF' }))).status).toBe(
      201,
    );
  });

  it('refuses control and bidirectional characters in the attributes of an other touchpoint', async () => {
    const customerId = uniqueId('hyg');
    const response = await post(
      '/v1/touchpoints',
      inquiry({ customerId, kind: 'other', subtype: 'survey', attributes: { q1: 'yes\u202E' } }),
    );
    expectRefused(response, 'attributes', /bidirectional/);
    expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
  });

  it('rejects each bad item of a batch naming its field, and stores the good one', async () => {
    const customerId = uniqueId('hyg');
    const items: Array<[string, RegExp, Record<string, unknown>]> = [
      ['note', /UTF-8/, inquiry({ customerId, note: 'INVALID' })],
      ['note', /surrogate/, inquiry({ customerId, note: 'SURROGATE' })],
      ['note', /control characters/, inquiry({ customerId, note: 'bell \u0007' })],
      ['note', /bidirectional/, inquiry({ customerId, note: 'abc \u202E cba' })],
      ['note', /visible/, inquiry({ customerId, note: '\u200B\u200B' })],
      ['occurredAt', /ISO-8601/, inquiry({ customerId, occurredAt: '2026-01-01T24:00:00Z' })],
      ['currency', /ISO 4217/, purchase({ customerId, currency: 'ZZZ' })],
    ];
    const good = inquiry({ customerId, note: 'fine' });
    const text = JSON.stringify({ touchpoints: [...items.map(([, , item]) => item), good] });
    // The raw bytes go where JSON.stringify cannot put them.
    const [head, rest] = text.split('"INVALID"');
    const [middle, tail] = rest.split('"SURROGATE"');
    const body = Buffer.concat([
      Buffer.from(`${head}"`),
      INVALID_UTF8,
      Buffer.from(`"${middle}"`),
      LONE_SURROGATE,
      Buffer.from(`"${tail}`),
    ]);
    const response = await post('/v1/touchpoints/batch', body);
    expect(response.status).toBe(200);
    expect(response.body.results).toEqual([
      ...items.map(([field, message], index) => ({
        index,
        status: 'rejected',
        errors: [{ field, message: expect.stringMatching(message) }],
      })),
      expect.objectContaining({ index: items.length, status: 'created' }),
    ]);
    const stored = await storedEvents(api.eventStore, customerId);
    expect(stored.filter((event) => event.type === 'InquiryRecorded')).toHaveLength(1);
    expect(stored.some((event) => event.type === 'PurchaseRecorded')).toBe(false);
  });
});
