// History pages are cut by stream revision: the cursor is the first revision of the next page, made opaque so
// clients do not build their own.
const PREFIX = 'r';

export function encodeHistoryCursor(revision: number): string {
  return Buffer.from(`${PREFIX}${revision}`, 'utf8').toString('base64url');
}

/** The revision a cursor stands for; undefined when it is not one this API gave out. */
export function decodeHistoryCursor(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^r(\d{1,15})$/.exec(text);
  if (!match || encodeHistoryCursor(Number(match[1])) !== cursor) return undefined;
  return Number(match[1]);
}
