import { RequestValidationError } from '../http/validation';
import { FakeBus } from '../testing/fake-bus';
import { FakeResponse } from '../testing/fake-response';
import { refusedFields, validate } from '../testing/dto-validation';
import { requestAs, routeAccess } from '../testing/route-access';
import { ChangeProfileCommand } from './commands/change-profile.command';
import { RegisterCustomerCommand } from './commands/register-customer.command';
import { CustomersController } from './customers.controller';
import { ChangeProfileDto } from './dto/change-profile.dto';
import { RegisterCustomerDto } from './dto/register-customer.dto';

describe(CustomersController.name, () => {
  let bus: FakeBus;
  let response: FakeResponse;
  let sut: CustomersController;
  const request = requestAs('ingest', { 'x-correlation-id': 'corr-1' });

  beforeEach(() => {
    bus = new FakeBus();
    response = new FakeResponse();
    sut = new CustomersController(bus.asCommandBus());
  });

  describe('register', () => {
    it('answers 201 with the receipt and its revision as ETag', async () => {
      bus.answer = () => ({ customerId: 'c-1', revision: 0, position: 77 });
      const answer = await sut.register(
        { customerId: 'c-1', name: 'Ada' },
        request,
        response.asResponse(),
      );
      expect(answer).toEqual({ customerId: 'c-1', revision: 0, position: 77 });
      expect(response.statusCode).toBe(201);
      expect(response.headers.etag).toBe('"0"');
    });

    it("records the body's source, or the key's role when it names none", async () => {
      bus.answer = () => ({ customerId: 'c-1', revision: 0, position: 1 });
      await sut.register({ customerId: 'c-1', source: 'shop' }, request, response.asResponse());
      await sut.register({ customerId: 'c-2' }, request, response.asResponse());
      const [withSource, without] = bus.executed as RegisterCustomerCommand[];
      expect(withSource).toBeInstanceOf(RegisterCustomerCommand);
      expect(withSource.customer).toEqual({ customerId: 'c-1', source: 'shop' });
      expect(withSource.context).toEqual({
        actor: 'ingest:dev-ingest',
        source: 'shop',
        correlationId: 'corr-1',
      });
      expect(without.context.source).toBe('api:ingest');
    });

    it('sets no status when the command fails', async () => {
      bus.answer = () => {
        throw new Error('conflict');
      };
      await expect(
        sut.register({ customerId: 'c-1' }, request, response.asResponse()),
      ).rejects.toThrow('conflict');
      expect(response.headers.etag).toBeUndefined();
    });
  });

  describe('changeProfile', () => {
    it('passes If-Match on as the expected revision and answers the new one as ETag', async () => {
      bus.answer = () => ({ customerId: 'c-1', revision: 4, position: 90, changed: ['region'] });
      const answer = await sut.changeProfile(
        'c-1',
        { region: 'north' },
        'W/"3"',
        request,
        response.asResponse(),
      );
      const command = bus.only(ChangeProfileCommand);
      expect(command.customerId).toBe('c-1');
      expect(command.changes).toEqual({ region: 'north' });
      expect(command.expectedRevision).toBe(3);
      expect(command.context.source).toBe('api:ingest');
      expect(answer).toEqual({ customerId: 'c-1', revision: 4, position: 90, changed: ['region'] });
      expect(response.headers.etag).toBe('"4"');
    });

    it.each([undefined, '*'])('changes whatever the revision with If-Match %p', async (ifMatch) => {
      bus.answer = () => ({ customerId: 'c-1', revision: 1, position: 2, changed: [] });
      await sut.changeProfile('c-1', { name: 'Ada' }, ifMatch, request, response.asResponse());
      expect(bus.only(ChangeProfileCommand).expectedRevision).toBeUndefined();
    });

    it.each([
      ['a body with no field', 'c-1', {}, undefined, ''],
      ['an If-Match that is not a revision', 'c-1', { name: 'Ada' }, '"abc"', 'If-Match'],
      ['a path id that is not a customer id', 'c 1', { name: 'Ada' }, undefined, 'id'],
    ])('refuses %s without dispatching', async (_what, id, changes, ifMatch, field) => {
      const attempt = sut.changeProfile(id, changes, ifMatch, request, response.asResponse());
      await expect(attempt).rejects.toThrow(RequestValidationError);
      await expect(attempt).rejects.toMatchObject({
        problems: [expect.objectContaining({ field })],
      });
      expect(bus.executed).toEqual([]);
    });
  });

  it('is for emitters (and admins)', () => {
    expect(routeAccess(CustomersController, 'register')).toEqual(['ingest', 'admin']);
    expect(routeAccess(CustomersController, 'changeProfile')).toEqual(['ingest', 'admin']);
  });

  describe('its bodies', () => {
    it('takes a registration with every field', async () => {
      const body = {
        customerId: 'c-1',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        phone: '+44 20 7946 0958',
        region: 'north',
        source: 'shop',
        occurredAt: '2026-01-01T09:00:00Z',
      };
      expect(await validate(RegisterCustomerDto, body, 'body')).toEqual({
        value: expect.any(RegisterCustomerDto),
        problems: [],
      });
    });

    it.each([
      ['an e-mail address as customer id', { customerId: 'ada@example.com' }, 'customerId'],
      ['a phone number as customer id', { customerId: '+442079460958' }, 'customerId'],
      ['a null e-mail', { customerId: 'c-1', email: null }, 'email'],
      ['a name of blanks', { customerId: 'c-1', name: '   ' }, 'name'],
      ['a phone of letters', { customerId: 'c-1', phone: 'call me' }, 'phone'],
      [
        'a future registration',
        { customerId: 'c-1', occurredAt: '2999-01-01T00:00:00Z' },
        'occurredAt',
      ],
      ['a field it does not know', { customerId: 'c-1', tier: 'gold' }, 'tier'],
    ])('refuses a registration with %s', async (_what, body, field) => {
      expect(await refusedFields(RegisterCustomerDto, body, 'body')).toEqual([field]);
    });

    it('refuses a change of the customer id', async () => {
      expect(await refusedFields(ChangeProfileDto, { customerId: 'c-2' }, 'body')).toEqual([
        'customerId',
      ]);
    });
  });
});
