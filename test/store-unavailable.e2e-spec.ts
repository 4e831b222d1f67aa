import request from 'supertest';
import { uniqueId } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

type Call = [method: 'get' | 'post' | 'patch', path: string, key: string, body?: object];

/** An embedded server of its own, as an OS process, so that the test can kill it; its connection string. */
async function startServer(lib: string): Promise<{ server: ApiProcess; url: string }> {
  const server = await startApiProcess({}, `libs/${lib}/src/cli.ts`, '://', [
    '--port',
    '0',
    '--mem',
  ]);
  const url = /((?:esdb|mongodb):\/\/\S+)/.exec(server.output.join('\n'))?.[1];
  if (!url) throw new Error(`${lib} printed no connection string:\n${server.output.join('\n')}`);
  return { server, url };
}

async function kill(server: ApiProcess): Promise<void> {
  server.process.kill('SIGKILL');
  await server.exited;
}

function send(api: TestApi, [method, path, key, body]: Call, correlationId?: string) {
  const call = request(api.http)[method](path).set('Authorization', key);
  if (correlationId) call.set('X-Correlation-Id', correlationId);
  return body ? call.send(body) : call;
}

/** What every answer during an outage must be: 503 STORE_UNAVAILABLE, Retry-After, and a correlation id. */
function expectOutage(response: request.Response, store: string): void {
  expect({ status: response.status, body: response.body as unknown }).toEqual({
    status: 503,
    body: {
      type: 'urn:crm:problem:store-unavailable',
      title: 'Service Unavailable',
      status: 503,
      code: 'STORE_UNAVAILABLE',
      detail: `${store} is not reachable right now; retry shortly`,
      correlationId: expect.any(String),
    },
  });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(response.headers['x-correlation-id']).toBe(response.body.correlationId);
}

describe('with the event store stopped, writes and reads answer 503 STORE_UNAVAILABLE', () => {
  let server: ApiProcess;
  let api: TestApi;
  const known = uniqueId('known');

  beforeAll(async () => {
    const started = await startServer('embedded-eventstore');
    server = started.server;
    api = await startTestApi({ EVENTSTORE_URL: started.url });
    // A customer whose stream this process has read and cached, and then one it has never seen.
    await send(api, [
      'post',
      '/v1/customers',
      KEYS.ingest,
      { customerId: known, name: 'Ada' },
    ]).expect(201);
    await send(api, [
      'post',
      '/v1/touchpoints',
      KEYS.ingest,
      purchase({ customerId: known }),
    ]).expect(201);
    await kill(server);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    if (server && server.process.exitCode === null) await kill(server);
  });

  const calls: Call[] = [
    ['post', '/v1/touchpoints', KEYS.ingest, purchase({ customerId: known })],
    ['post', '/v1/touchpoints', KEYS.ingest, purchase()],
    [
      'post',
      '/v1/touchpoints/batch',
      KEYS.ingest,
      { touchpoints: [purchase({ customerId: known }), purchase()] },
    ],
    ['post', '/v1/customers', KEYS.ingest, { customerId: uniqueId('new'), name: 'Grace' }],
    ['patch', `/v1/customers/${known}`, KEYS.ingest, { region: 'north' }],
    ['get', `/v1/customers/${known}/history`, KEYS.auditor],
    ['get', `/v1/customers/${known}/as-of?at=2026-03-02T00:00:00Z`, KEYS.auditor],
    ['get', `/v1/customers/${known}/verify`, KEYS.auditor],
  ];

  it.each(calls)('%s %s', async (...call) => {
    expectOutage(await send(api, call), 'The event store');
  });

  it("answers with the caller's correlation id when one is given", async () => {
    const response = await send(api, calls[0], 'till-7-req-42');
    expectOutage(response, 'The event store');
    expect(response.body.correlationId).toBe('till-7-req-42');
  });

  it('answers 64 concurrent writes with 503, none with 500', async () => {
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        send(api, [
          'post',
          '/v1/touchpoints',
          KEYS.ingest,
          purchase(i % 2 ? {} : { customerId: known }),
        ]),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 503));
  });
});

describe('with MongoDB stopped, routes that need it answer 503 STORE_UNAVAILABLE', () => {
  let server: ApiProcess;
  let api: TestApi;

  beforeAll(async () => {
    const started = await startServer('embedded-mongo');
    server = started.server;
    api = await startTestApi({ MONGODB_URL: started.url });
    await kill(server);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    if (server && server.process.exitCode === null) await kill(server);
  });

  // A customer's first personal data needs a key from MongoDB; a purchase without any is stored all the same.
  const inquiry = {
    ...purchase({ kind: 'inquiry', note: 'call back after six' }),
    orderId: undefined,
    amount: undefined,
    currency: undefined,
  };

  it('profiles, analytics and writes of personal data (a new customer key)', async () => {
    const calls: Call[] = [
      ['get', `/v1/profiles/${uniqueId('cust')}`, KEYS.analyst],
      ['get', '/v1/analytics/rfm', KEYS.analyst],
      ['post', '/v1/customers', KEYS.ingest, { customerId: uniqueId('new'), name: 'Grace' }],
      ['post', '/v1/touchpoints/batch', KEYS.ingest, { touchpoints: [inquiry] }],
      ['post', '/v1/touchpoints', KEYS.ingest, inquiry],
    ];
    const answers = await Promise.all(calls.map((call) => send(api, call)));
    for (const answer of answers) expectOutage(answer, 'MongoDB');
  }, 60_000);
});
