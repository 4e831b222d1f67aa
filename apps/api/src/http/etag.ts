import { RequestValidationError } from './validation';

/** A stream revision as a strong ETag. */
export function revisionTag(revision: number): string {
  return `"${revision}"`;
}

/**
 * Reads If-Match as a revision: `5`, `"5"` or `W/"5"`. Absent, or `*` (any current representation), means
 * "whatever it is now".
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?(?:"(\d{1,15})"|(\d{1,15}))\s*$/.exec(header);
  if (!match) {
    throw new RequestValidationError([
      {
        field: 'If-Match',
        message: `If-Match must be a revision as returned in ETag (e.g. "3"), got ${JSON.stringify(header.slice(0, 40))}`,
      },
    ]);
  }
  return Number(match[1] ?? match[2]);
}
