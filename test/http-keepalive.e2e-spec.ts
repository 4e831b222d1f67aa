import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KEYS, startTestApi, type TestApi } from './support/test-api';

/** Node's default 5 s keep-alive made clients that reuse an idle connection meet ECONNRESET (a bench died of it). */
describe('HTTP keep-alive', () => {
  let api: TestApi;
  let port: number;

  beforeAll(async () => {
    api = await startTestApi();
    await api.app.listen(0, '127.0.0.1');
    port = (api.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await api.close();
  });

  function get(agent: Agent): Promise<{ status: number; socket: unknown }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port,
          path: '/health/live',
          headers: { Authorization: KEYS.analyst },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('keeps an idle connection open well past 5 s, so a client reusing it is answered', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent);
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      const second = await get(agent);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.socket).toBe(first.socket);
    } finally {
      agent.destroy();
    }
  });
});
