import type { ArgumentMetadata } from '@nestjs/common';
import type { FieldProblem } from '../http/problem';
import { createValidationPipe, RequestValidationError } from '../http/validation';

type Dto<T> = new () => T;

/**
 * Runs a plain body or query through the API's global ValidationPipe with the DTO class the controller declares,
 * as Nest does before calling the route: the transformed DTO, or every field problem the pipe reports.
 */
export async function validate<T>(
  dto: Dto<T>,
  plain: unknown,
  type: ArgumentMetadata['type'] = 'query',
): Promise<{ value: T; problems: [] } | { value: undefined; problems: FieldProblem[] }> {
  try {
    const value = (await createValidationPipe().transform(plain, { type, metatype: dto })) as T;
    return { value, problems: [] };
  } catch (error) {
    if (error instanceof RequestValidationError)
      return { value: undefined, problems: error.problems };
    throw error;
  }
}

/** The fields a plain body or query is refused for (empty when the DTO accepts it). */
export async function refusedFields<T>(
  dto: Dto<T>,
  plain: unknown,
  type: ArgumentMetadata['type'] = 'query',
): Promise<string[]> {
  const { problems } = await validate(dto, plain, type);
  return [...new Set(problems.map((problem) => problem.field))];
}
