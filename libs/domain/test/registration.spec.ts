import { type ChangeProfile } from '@app/domain';
import { CUSTOMER, given, NOW, OCCURRED_AT, registered, touchpoint } from './customer.fixtures';

describe('RegisterCustomer', () => {
  it('registers an unknown customer with the given profile, at the time the emitter names', () => {
    given()
      .when({
        type: 'RegisterCustomer',
        customerId: CUSTOMER,
        name: 'Jane Roe',
        email: 'jane@example.com',
        occurredAt: OCCURRED_AT,
        now: NOW,
      })
      .then({
        type: 'CustomerRegistered',
        data: {
          customerId: CUSTOMER,
          origin: 'registration',
          name: 'Jane Roe',
          email: 'jane@example.com',
          registeredAt: OCCURRED_AT,
        },
      });
  });

  it('dates a registration without an emitter time at now', () => {
    given()
      .when({ type: 'RegisterCustomer', customerId: CUSTOMER, now: NOW })
      .then({
        type: 'CustomerRegistered',
        data: { customerId: CUSTOMER, origin: 'registration', registeredAt: NOW },
      });
  });

  it('refuses to register a customer that exists: CUSTOMER_ALREADY_EXISTS', () => {
    given(registered())
      .when({ type: 'RegisterCustomer', customerId: CUSTOMER, now: NOW })
      .thenThrows('CUSTOMER_ALREADY_EXISTS');
  });

  it('refuses to register a prospect created by a touchpoint: CUSTOMER_ALREADY_EXISTS', () => {
    const prospect = given().when(touchpoint('inquiry', {})).decided();
    given(...prospect)
      .when({ type: 'RegisterCustomer', customerId: CUSTOMER, name: 'Jane', now: NOW })
      .thenThrows('CUSTOMER_ALREADY_EXISTS');
  });

  it('refuses a timestamp that is not ISO-8601: INVALID_TIMESTAMP', () => {
    const error = given()
      .when({ type: 'RegisterCustomer', customerId: CUSTOMER, occurredAt: 'yesterday', now: NOW })
      .thenThrows('INVALID_TIMESTAMP');
    expect(error.details).toEqual({ field: 'occurredAt', value: 'yesterday' });
  });
});

describe('ChangeProfile', () => {
  it('records only the fields whose value changes', () => {
    given(registered({ name: 'Jane Roe', email: 'jane@example.com', region: 'north' }))
      .when({
        type: 'ChangeProfile',
        customerId: CUSTOMER,
        name: 'Jane Roe',
        email: 'jane.roe@example.com',
        phone: '+44 20 7946 0000',
        now: NOW,
      })
      .then({
        type: 'CustomerProfileChanged',
        data: {
          customerId: CUSTOMER,
          changes: { email: 'jane.roe@example.com', phone: '+44 20 7946 0000' },
          changedAt: NOW,
        },
      });
  });

  it('leaves a field sent as null unchanged', () => {
    given(registered({ name: 'Jane Roe' }))
      .when({
        type: 'ChangeProfile',
        customerId: CUSTOMER,
        name: null,
        now: NOW,
      } as unknown as ChangeProfile)
      .then();
  });

  it('records nothing when nothing changes', () => {
    given(registered({ name: 'Jane Roe', region: 'north' }))
      .when({ type: 'ChangeProfile', customerId: CUSTOMER, name: 'Jane Roe', now: NOW })
      .then();
  });

  it('compares with the profile after earlier changes', () => {
    given(registered({ region: 'north' }), {
      type: 'CustomerProfileChanged',
      data: { customerId: CUSTOMER, changes: { region: 'south' }, changedAt: OCCURRED_AT },
    })
      .when({ type: 'ChangeProfile', customerId: CUSTOMER, region: 'south', now: NOW })
      .then();
  });

  it('refuses a change to an unknown customer: CUSTOMER_NOT_FOUND', () => {
    given()
      .when({ type: 'ChangeProfile', customerId: CUSTOMER, name: 'Jane', now: NOW })
      .thenThrows('CUSTOMER_NOT_FOUND');
  });

  it('refuses a change to a customer merged into another: CUSTOMER_MERGED', () => {
    const error = given(registered(), {
      type: 'CustomerMerged',
      data: { customerId: CUSTOMER, mergedIntoCustomerId: 'c-2', mergedAt: OCCURRED_AT },
    })
      .when({ type: 'ChangeProfile', customerId: CUSTOMER, name: 'Jane', now: NOW })
      .thenThrows('CUSTOMER_MERGED');
    expect(error.details).toEqual({ customerId: CUSTOMER, mergedIntoCustomerId: 'c-2' });
  });

  it('refuses a command whose now is not a timestamp: INVALID_TIMESTAMP', () => {
    given(registered())
      .when({ type: 'ChangeProfile', customerId: CUSTOMER, name: 'Jane', now: 'soon' })
      .thenThrows('INVALID_TIMESTAMP');
  });
});
