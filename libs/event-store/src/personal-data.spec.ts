import {
  decryptField,
  encryptField,
  isEncrypted,
  newDataKey,
  openPersonalFields,
  sealPersonalFields,
} from './personal-data';

describe('personal data sealing', () => {
  const key = newDataKey();
  const data = {
    customerId: 'c1',
    name: 'Ada Lovelace',
    changes: { email: 'ada@example.com' },
    amount: 5,
  };
  const paths = ['name', 'changes.email', 'phone'];

  it('stores no personal value in clear text', () => {
    const sealed = sealPersonalFields(data, paths, key, 'c1');
    const text = JSON.stringify(sealed);
    expect(text).not.toContain('Ada');
    expect(text).not.toContain('ada@example.com');
    expect(isEncrypted(sealed.name)).toBe(true);
    expect(isEncrypted(sealed.changes.email)).toBe(true);
    expect(sealed).not.toHaveProperty('phone');
    expect(sealed.amount).toBe(5);
  });

  it('opens what it sealed with the same key', () => {
    const sealed = sealPersonalFields(data, paths, key, 'c1');
    expect(openPersonalFields(sealed, paths, key, 'c1')).toEqual(data);
  });

  it('drops sealed fields when the key has been destroyed', () => {
    const sealed = sealPersonalFields(data, paths, key, 'c1');
    expect(openPersonalFields(sealed, paths, null, 'c1')).toEqual({
      customerId: 'c1',
      changes: {},
      amount: 5,
    });
  });

  it('refuses a ciphertext moved to another customer or field', () => {
    const sealed = encryptField(key, 'c1', 'name', 'Ada');
    expect(() => decryptField(key, 'c2', 'name', sealed)).toThrow();
    expect(() => decryptField(key, 'c1', 'note', sealed)).toThrow();
    expect(decryptField(key, 'c1', 'name', sealed)).toBe('Ada');
  });

  it('refuses another customer key', () => {
    const sealed = encryptField(key, 'c1', 'name', 'Ada');
    expect(() => decryptField(newDataKey(), 'c1', 'name', sealed)).toThrow();
  });
});
