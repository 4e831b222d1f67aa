import type { Role } from '@app/config';
import { decryptField, isDestroyedKey, isEncrypted } from '@app/event-store';
import type { SealedField } from '@app/read-models';

type Field = 'name' | 'email' | 'phone';

/** Roles that see personal data in full; the others see it masked. */
const SEES_PERSONAL_DATA: ReadonlySet<Role> = new Set<Role>(['auditor', 'admin']);

/**
 * Opens a profile's sealed personal values with the customer's key. Analysts get them masked (`j***@example.com`);
 * with the key destroyed (erasure) nothing can be opened and the fields are absent.
 */
export function personalView(
  customerId: string,
  sealed: Partial<Record<Field, SealedField>>,
  key: Buffer | null | undefined,
  role: Role,
): Partial<Record<Field, string>> {
  const view: Partial<Record<Field, string>> = {};
  // A key wiped in place: erased since it was looked up.
  if (!key || isDestroyedKey(key)) return view;
  for (const field of ['name', 'email', 'phone'] as const) {
    const value = sealed[field];
    if (!value) continue;
    const plain = isEncrypted(value.sealed)
      ? String(decryptField(key, customerId, value.path, value.sealed))
      : value.sealed;
    view[field] = SEES_PERSONAL_DATA.has(role) ? plain : mask(field, plain);
  }
  return view;
}

export function mask(field: Field, value: string): string {
  switch (field) {
    case 'email': {
      const at = value.lastIndexOf('@');
      if (at <= 0) return '***';
      return `${[...value][0]}***${value.slice(at)}`;
    }
    case 'phone': {
      const digits = value.replace(/\D/g, '');
      return `***${digits.slice(-2)}`;
    }
    case 'name':
      return value
        .split(/\s+/)
        .filter(Boolean)
        .map((part) => `${[...part][0]}***`)
        .join(' ');
  }
}
