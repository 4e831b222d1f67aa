import { RequestValidationError } from '../http/validation';
import { FakeBus } from '../testing/fake-bus';
import { routeAccess } from '../testing/route-access';
import { CustomerVerificationController } from './customer-verification.controller';
import { VerifyCustomerQuery } from './queries/verify-customer.query';

describe(CustomerVerificationController.name, () => {
  let bus: FakeBus;
  let sut: CustomerVerificationController;

  beforeEach(() => {
    bus = new FakeBus();
    sut = new CustomerVerificationController(bus.asQueryBus());
  });

  it("verifies the customer named in the path and answers the query's report", async () => {
    const report = { customerId: 'c-7', ok: false, events: 4 };
    bus.answer = () => report;
    expect(await sut.verify('c-7')).toBe(report);
    expect(bus.only(VerifyCustomerQuery).customerId).toBe('c-7');
  });

  it('refuses a path id that is not a customer id before asking anything', () => {
    expect(() => sut.verify('c 7')).toThrow(RequestValidationError);
    expect(bus.executed).toEqual([]);
  });

  it('is for auditors (and admins)', () => {
    expect(routeAccess(CustomerVerificationController, 'verify')).toEqual(['auditor', 'admin']);
  });
});
