import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FieldProblem } from './problem';
import { flattenValidationErrors } from './validation';

/** Validates one item of a batch exactly as the global pipe validates a single request body. */
export function validateItem<T extends object>(
  type: ClassConstructor<T>,
  plain: unknown,
): { ok: true; value: T } | { ok: false; errors: FieldProblem[] } {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { ok: false, errors: [{ field: '', message: 'each item must be a JSON object' }] };
  }
  const value = plainToInstance(type, plain);
  const errors = validateSync(value, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  return errors.length === 0
    ? { ok: true, value }
    : { ok: false, errors: flattenValidationErrors(errors) };
}

/**
 * Validates every item of a batch on its own, so that one bad item is reported with all its problems and does not
 * stop the others. Indexes are positions in `items`.
 */
export function validateItems<T extends object>(
  type: ClassConstructor<T>,
  items: readonly unknown[],
): {
  valid: Array<{ index: number; value: T }>;
  invalid: Array<{ index: number; errors: FieldProblem[] }>;
} {
  const valid: Array<{ index: number; value: T }> = [];
  const invalid: Array<{ index: number; errors: FieldProblem[] }> = [];
  items.forEach((item, index) => {
    const checked = validateItem(type, item);
    if (checked.ok) valid.push({ index, value: checked.value });
    else invalid.push({ index, errors: checked.errors });
  });
  return { valid, invalid };
}
