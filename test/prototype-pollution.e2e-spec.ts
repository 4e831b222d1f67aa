import { BODY_ROUTES, sendRaw } from './support/raw-body';
import { startTestApi, type TestApi } from './support/test-api';

describe('bodies with prototype-pollution keys are refused', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it.each(BODY_ROUTES)(
    'refuses prototype-pollution keys with 400 on %s %s',
    async (method, path) => {
      const response = await sendRaw(
        api,
        method,
        path,
        '{"constructor":{"prototype":{"polluted":true}},"customerId":"x"}',
      );
      expect(response.status).toBe(400);
      expect(response.body.detail).toContain('"prototype" is not allowed');
      expect(Object.prototype).not.toHaveProperty('polluted');
    },
  );
});
