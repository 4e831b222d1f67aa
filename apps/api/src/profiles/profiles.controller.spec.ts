import { RequestValidationError } from '../http/validation';
import { encodeCursor } from '../http/read-query';
import { FakeBus } from '../testing/fake-bus';
import { refusedFields, validate } from '../testing/dto-validation';
import { requestAs, routeAccess, waitsForMinPosition } from '../testing/route-access';
import { ListProfilesDto } from './dto/list-profiles.dto';
import { ProfilesController } from './profiles.controller';
import { GetProfileQuery } from './queries/get-profile.query';
import { ListProfilesQuery } from './queries/list-profiles.query';

describe(ProfilesController.name, () => {
  let bus: FakeBus;
  let sut: ProfilesController;

  beforeEach(() => {
    bus = new FakeBus();
    sut = new ProfilesController(bus.asQueryBus());
  });

  describe('profile', () => {
    it("asks for the customer's profile as the caller's role may see it", async () => {
      const view = { customerId: 'c-3', personalData: 'masked' };
      bus.answer = () => view;
      expect(await sut.profile('c-3', {}, requestAs('analyst'))).toBe(view);
      const query = bus.only(GetProfileQuery);
      expect([query.customerId, query.role]).toEqual(['c-3', 'analyst']);
    });

    it('refuses a path id that is not a customer id', async () => {
      await expect(sut.profile('c/3', {}, requestAs('auditor'))).rejects.toThrow(
        RequestValidationError,
      );
      expect(bus.executed).toEqual([]);
    });
  });

  describe('list', () => {
    it('passes the filters, limit and decoded cursor on, and hands out the next cursor opaque', async () => {
      bus.answer = () => ({ items: [{ customerId: 'c-5' }], next: 'c-5' });
      const answer = await sut.list(
        { stage: 'active', tier: 'gold', region: 'north', limit: 1, cursor: encodeCursor('c-4')! },
        requestAs('auditor'),
      );
      const query = bus.only(ListProfilesQuery);
      expect(query.filter).toEqual({
        stage: 'active',
        tier: 'gold',
        region: 'north',
        quadrant: undefined,
        account: undefined,
      });
      expect([query.limit, query.after, query.role]).toEqual([1, 'c-4', 'auditor']);
      expect(answer).toEqual({ items: [{ customerId: 'c-5' }], nextCursor: encodeCursor('c-5') });
      expect(answer.nextCursor).not.toContain('c-5');
    });

    it('lists 50 from the start by default and says null on the last page', async () => {
      bus.answer = () => ({ items: [], next: null });
      expect(await sut.list({}, requestAs('analyst'))).toEqual({ items: [], nextCursor: null });
      const query = bus.only(ListProfilesQuery);
      expect([query.limit, query.after]).toEqual([50, undefined]);
    });

    it('refuses a cursor it did not give out', async () => {
      await expect(sut.list({ cursor: 'not a cursor' }, requestAs('analyst'))).rejects.toThrow(
        RequestValidationError,
      );
      expect(bus.executed).toEqual([]);
    });
  });

  it('is for analysts and auditors (and admins), and waits for minPosition', () => {
    for (const route of ['profile', 'list'] as const) {
      expect(routeAccess(ProfilesController, route)).toEqual(['analyst', 'auditor', 'admin']);
      expect(waitsForMinPosition(ProfilesController, route)).toBe(true);
    }
  });

  describe('its query', () => {
    it('turns limit into a number', async () => {
      const { value } = await validate(ListProfilesDto, { limit: '25', quadrant: 'platinum' });
      expect(value?.limit).toBe(25);
    });

    it.each([
      ['a stage that does not exist', { stage: 'dormant' }, 'stage'],
      ['a limit over 500', { limit: '501' }, 'limit'],
      ['a limit of 0', { limit: '0' }, 'limit'],
      ['a tier that is not a name', { tier: '{"$gt":""}' }, 'tier'],
      ['a minPosition that is not a position', { minPosition: '-1' }, 'minPosition'],
      ['a parameter it does not know', { sort: 'name' }, 'sort'],
    ])('refuses %s', async (_what, query, field) => {
      expect(await refusedFields(ListProfilesDto, query)).toEqual([field]);
    });
  });
});
