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
