import request from 'supertest';
import { KEYS, type TestApi } from './test-api';

/** The write routes that take a JSON body, as method and path. */
export const BODY_ROUTES: ReadonlyArray<readonly ['POST' | 'PATCH', string]> = [
  ['POST', '/v1/touchpoints/batch'],
  ['POST', '/v1/customers'],
  ['PATCH', '/v1/customers/someone'],
];

/** Sends `body` as it is (no serialisation) as JSON with the ingest key. */
export function sendRaw(api: TestApi, method: 'POST' | 'PATCH', path: string, body: string) {
  const agent = request(api.http);
  return (method === 'POST' ? agent.post(path) : agent.patch(path))
    .set('Authorization', KEYS.ingest)
    .set('Content-Type', 'application/json')
    .send(body);
}
