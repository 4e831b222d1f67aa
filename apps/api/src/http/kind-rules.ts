import { registerDecorator, ValidateIf, type ValidationArguments } from 'class-validator';

type WithKind = { kind?: unknown };

/**
 * A field that belongs to some touchpoint kinds only: sending it with another kind is an error (so a typo in
 * `kind` is not silently accepted as another kind), and with `required` it must be present for those kinds.
 */
export function KindField(kinds: readonly string[], options: { required?: boolean } = {}) {
  return function decorate(target: object, propertyName: string): void {
    ValidateIf(
      (object: WithKind, value: unknown) =>
        value !== undefined || (options.required === true && kinds.includes(String(object.kind))),
    )(target, propertyName);
    registerDecorator({
      name: 'kindField',
      target: target.constructor,
      propertyName,
      constraints: [kinds],
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          const kind = String((args.object as WithKind).kind);
          if (!kinds.includes(kind)) return value === undefined;
          return !(options.required === true && value === undefined);
        },
        defaultMessage(args: ValidationArguments): string {
          const kind = String((args.object as WithKind).kind);
          if (!kinds.includes(kind)) {
            return `${args.property} is not a field of kind ${kind} (it belongs to ${kinds.join(', ')})`;
          }
          return `${args.property} is required for kind ${kind}`;
        },
      },
    });
  };
}
