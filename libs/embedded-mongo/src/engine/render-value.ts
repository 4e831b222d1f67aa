import { canonicalRank, isPlainObject } from '../bson/bson-values';

/** Renders a value the way mongod prints keys in error messages (`{ email: "a@b.c" }`). */
export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (Array.isArray(value)) return `[ ${value.map(renderValue).join(', ')} ]`;
  if (isPlainObject(value)) {
    const inner = Object.entries(value)
      .map(([k, v]) => `${k}: ${renderValue(v)}`)
      .join(', ');
    return inner ? `{ ${inner} }` : '{}';
  }
  const text = (value as { toString(): string }).toString();
  return canonicalRank(value) === 8 ? `ObjectId('${text}')` : text;
}
