import { Test } from '@nestjs/testing';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { Response } from 'express';
import { HealthController } from './health.controller';
import { StoreHealthIndicators } from './store.health';

type Answer = () => Promise<Record<string, unknown>>;

/** Stores that answer as a test says: with the head and checkpoint given, or by throwing. */
class FakeStores implements Pick<StoreHealthIndicators, 'eventStoreCheck' | 'mongodbCheck'> {
  private readonly health = new HealthIndicatorService();
  eventStore: Answer = () => Promise.resolve({ head: '500' });
  mongodb: Answer = () => Promise.resolve({ checkpoint: '500' });

  eventStoreCheck() {
    return this.health.check('eventStore').attempt(() => this.eventStore());
  }

  mongodbCheck() {
    return this.health.check('mongodb').attempt(() => this.mongodb());
  }
}

/** The part of express's response the controller uses: the status it sets. */
class FakeResponse {
  statusCode = 200;
  status(code: number) {
    this.statusCode = code;
    return this;
  }
}

describe(HealthController.name, () => {
  let stores: FakeStores;
  let sut: HealthController;
  let response: FakeResponse;

  beforeEach(async () => {
    stores = new FakeStores();
    response = new FakeResponse();
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [{ provide: StoreHealthIndicators, useValue: stores }],
    }).compile();
    sut = moduleRef.get(HealthController);
  });

  const ready = () => sut.ready(response as unknown as Response);

  it('is live without asking any store', () => {
    stores.eventStore = () => Promise.reject(new Error('down'));
    expect(sut.live()).toEqual({ status: 'up' });
  });

  it('is ready when both stores answer, reporting a projector that lags without failing', async () => {
    stores.eventStore = () => Promise.resolve({ head: '900' });
    stores.mongodb = () => Promise.resolve({ checkpoint: '500' });
    expect(await ready()).toEqual({
      status: 'up',
      checks: { eventStore: { status: 'up' }, mongodb: { status: 'up' } },
      projector: { checkpoint: '500', head: '900', caughtUp: false },
    });
    expect(response.statusCode).toBe(200);
  });

  it('counts the projector caught up at the head, and when there are no customer events yet', async () => {
    expect((await ready()).projector).toEqual({ checkpoint: '500', head: '500', caughtUp: true });
    stores.eventStore = () => Promise.resolve({ head: null });
    stores.mongodb = () => Promise.resolve({ checkpoint: null });
    expect((await ready()).projector).toEqual({ checkpoint: null, head: null, caughtUp: true });
  });

  it('compares positions as numbers, not as text', async () => {
    stores.eventStore = () => Promise.resolve({ head: '1000' });
    stores.mongodb = () => Promise.resolve({ checkpoint: '999' });
    expect((await ready()).projector.caughtUp).toBe(false);
  });

  it("answers 503 when a store fails, without the client's error text", async () => {
    stores.mongodb = () => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:27017'));
    const answer = await ready();
    expect(response.statusCode).toBe(503);
    expect(answer).toEqual({
      status: 'down',
      checks: { eventStore: { status: 'up' }, mongodb: { status: 'down', error: 'not reachable' } },
      projector: { checkpoint: null, head: '500', caughtUp: false },
    });
    expect(JSON.stringify(answer)).not.toContain('ECONNREFUSED');
  });
});
