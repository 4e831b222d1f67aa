import { BODY_ROUTES, sendRaw } from './support/raw-body';
import { startTestApi, type TestApi } from './support/test-api';

describe('bodies over the size limit are refused', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it.each(BODY_ROUTES)('refuses a 10 MB body with 413 on %s %s', async (method, path) => {
    const response = await sendRaw(
      api,
      method,
      path,
      JSON.stringify({ customerId: 'x', name: 'y'.repeat(10 * 1024 * 1024) }),
    );
    expect(response.status).toBe(413);
  });
});
