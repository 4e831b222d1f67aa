import { encryptField, newDataKey } from '@app/event-store';
import { mask, personalView } from './personal-data.view';

describe('personalView', () => {
  const key = newDataKey();
  const sealed = {
    name: {
      sealed: encryptField(key, 'c-1', 'changes.name', 'Zoë Ångström'),
      path: 'changes.name',
    },
    email: { sealed: encryptField(key, 'c-1', 'email', 'zoe@example.com'), path: 'email' },
    phone: { sealed: encryptField(key, 'c-1', 'phone', '+44 20 7946 0958'), path: 'phone' },
  };

  it('opens sealed values in full for auditors and admins', () => {
    const full = { name: 'Zoë Ångström', email: 'zoe@example.com', phone: '+44 20 7946 0958' };
    expect(personalView('c-1', sealed, key, 'auditor')).toEqual(full);
    expect(personalView('c-1', sealed, key, 'admin')).toEqual(full);
  });

  it('masks them for analysts', () => {
    expect(personalView('c-1', sealed, key, 'analyst')).toEqual({
      name: 'Z*** Å***',
      email: 'z***@example.com',
      phone: '***58',
    });
  });

  it('shows nothing once the key is destroyed (erased) or was never made', () => {
    expect(personalView('c-1', sealed, null, 'auditor')).toEqual({});
    expect(personalView('c-1', sealed, undefined, 'admin')).toEqual({});
  });

  it('refuses a value sealed for another customer (the path and id are authenticated)', () => {
    expect(() => personalView('c-2', sealed, key, 'auditor')).toThrow();
  });

  it('masks an address without a local part entirely', () => {
    expect(mask('email', '@example.com')).toBe('***');
  });
});
