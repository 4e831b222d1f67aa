import request from 'supertest';
import { startTestApi, type TestApi } from './support/test-api';

describe('the key is checked before the body is read', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('answers 401 before reading the body of a caller without a key', async () => {
    const response = await request(api.http)
      .post('/v1/touchpoints')
      .set('Content-Type', 'application/json')
      .send('{"not json');
    expect(response.status).toBe(401);
  });
});
