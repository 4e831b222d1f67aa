import { type CallHandler, Controller, type ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, of } from 'rxjs';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../testing/api-stores';
import { MinPositionInterceptor, ReadModelBehindError, WaitsForReadModels } from './min-position';
import { RequestValidationError } from './validation';

@WaitsForReadModels('profiles')
@Controller()
class ProfileRoutes {
  @Get()
  read() {}
  @Get()
  @WaitsForReadModels('no-such-read-model')
  other() {}
}

describe(MinPositionInterceptor.name, () => {
  let stores: ApiStores;
  let sut: MinPositionInterceptor;
  let projected: bigint;

  beforeAll(async () => {
    stores = await ApiStores.open('min-position', { CRM_MIN_POSITION_WAIT_MS: '300' });
    sut = new MinPositionInterceptor(new Reflector(), stores.mongo, stores.config);
    const customerId = uniqueId('minpos');
    await stores.register(customerId);
    projected = await stores.project(customerId);
  });
  afterAll(() => stores.close());

  /** The answer of `route` called with `?minPosition=` as given (undefined: not given). */
  async function call(minPosition: unknown, route: 'read' | 'other' = 'read') {
    const context = {
      switchToHttp: () => ({ getRequest: () => ({ query: { minPosition } }) }),
      getHandler: () => ProfileRoutes.prototype[route],
      getClass: () => ProfileRoutes,
    } as unknown as ExecutionContext;
    const next: CallHandler = { handle: () => of('the answer') };
    return lastValueFrom(await sut.intercept(context, next));
  }

  it('answers at once without minPosition', async () => {
    expect(await call(undefined)).toBe('the answer');
  });

  it('answers once the read model has applied the position asked for', async () => {
    expect(await call(projected.toString())).toBe('the answer');
    expect(await call('0')).toBe('the answer');
  });

  it('answers 503 after the wait when the read model is behind the position', async () => {
    const started = Date.now();
    const ahead = (projected + 1n).toString();
    await expect(call(ahead)).rejects.toBeInstanceOf(ReadModelBehindError);
    await expect(call(ahead)).rejects.toMatchObject({
      details: { minPosition: ahead, readModels: ['profiles'], waitedMs: 300 },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 300 - 50);
  });

  it("waits for the read models the route names over its controller's", async () => {
    await expect(call('0', 'other')).rejects.toMatchObject({
      details: { readModels: ['no-such-read-model'] },
    });
  });

  it.each([['-1'], ['1.5'], ['18446744073709551616'], [['1', '2']]])(
    'refuses minPosition %p as not a commit position',
    async (minPosition) => {
      await expect(call(minPosition)).rejects.toBeInstanceOf(RequestValidationError);
    },
  );
});
