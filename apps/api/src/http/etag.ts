import { BadRequestException } from '@nestjs/common';

/** A stream revision as a strong ETag. */
export function revisionTag(revision: number): string {
  return `"${revision}"`;
}

/** Reads If-Match as a revision: `5`, `"5"` or `W/"5"`. Absent means "whatever it is now". */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match) {
    throw new BadRequestException(
      `If-Match must be a revision as returned in ETag (e.g. "3"), got ${JSON.stringify(header)}`,
    );
  }
  return Number(match[1]);
}
