export const ROLES = ['ingest', 'analyst', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** One configured key: what it may do, who it is (recorded as the actor on events), and its secret. */
export interface ApiKey {
  role: Role;
  name: string;
  secret: string;
}

/** Used only when CRM_API_KEYS is unset, and refused under NODE_ENV=production. */
export const DEV_API_KEYS: readonly ApiKey[] = ROLES.map((role) => ({
  role,
  name: `dev-${role}`,
  secret: `dev-${role}`,
}));

export const MIN_SECRET_LENGTH = 24;
/** The longest bearer token the API reads. */
export const MAX_SECRET_LENGTH = 512;

/** Names appear in every event's metadata and in logs: short, printable, no separators. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DEV_SECRETS = new Set(DEV_API_KEYS.map(({ secret }) => secret));

/**
 * Parses CRM_API_KEYS (`role:name:secret`, comma-separated), adding every problem to `problems`; undefined when
 * it is unset. Messages name entries by position and name, never by anything of a secret.
 */
export function parseApiKeys(
  raw: string | undefined,
  production: boolean,
  problems: string[],
): ApiKey[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const keys: ApiKey[] = [];
  const entries = raw.split(',');
  entries.forEach((text, index) => {
    const key = parseEntry(text.trim(), `CRM_API_KEYS entry ${index + 1}`, production, problems);
    if (key) keys.push(key);
  });
  reportRepeated(entries, (text) => fieldsOf(text.trim())?.name, 'the same name', problems);
  reportRepeated(entries, (text) => fieldsOf(text.trim())?.secret, 'the same secret', problems);
  return keys;
}

function fieldsOf(text: string): { role: string; name: string; secret: string } | undefined {
  // The secret is everything after the second colon: it may contain colons itself.
  const match = /^([^:]*):([^:]*):(.*)$/s.exec(text);
  return match ? { role: match[1], name: match[2], secret: match[3] } : undefined;
}

function parseEntry(
  text: string,
  entry: string,
  production: boolean,
  problems: string[],
): ApiKey | undefined {
  const fields = fieldsOf(text);
  if (!fields) {
    problems.push(`${entry} must be role:name:secret`);
    return undefined;
  }
  const { role, name, secret } = fields;
  const found: string[] = [];
  if (!(ROLES as readonly string[]).includes(role)) {
    found.push(`the role must be one of ${ROLES.join(', ')}`);
  }
  if (!KEY_NAME.test(name)) {
    found.push(
      'the name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  if (/\s/.test(secret)) found.push('the secret contains whitespace');
  else if (/[^\x21-\x7e]/.test(secret)) {
    found.push('the secret may contain only visible ASCII characters');
  }
  if (secret.length > MAX_SECRET_LENGTH) {
    found.push(`the secret is longer than ${MAX_SECRET_LENGTH} characters`);
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    found.push(`the secret is shorter than ${MIN_SECRET_LENGTH} characters`);
  }
  if (production && DEV_SECRETS.has(secret)) {
    found.push('the secret is a development key, refused under NODE_ENV=production');
  }
  const label = KEY_NAME.test(name) ? `${entry} (${name})` : entry;
  problems.push(...found.map((problem) => `${label}: ${problem}`));
  return found.length === 0 ? { role: role as Role, name, secret } : undefined;
}

/** One problem per value shared by several entries, naming the entries by position. */
function reportRepeated(
  entries: string[],
  valueOf: (text: string) => string | undefined,
  what: string,
  problems: string[],
): void {
  const positions = new Map<string, number[]>();
  entries.forEach((text, index) => {
    const value = valueOf(text);
    if (value === undefined || value === '') return;
    positions.set(value, [...(positions.get(value) ?? []), index + 1]);
  });
  for (const [, at] of positions) {
    if (at.length > 1) problems.push(`CRM_API_KEYS entries ${at.join(', ')} have ${what}`);
  }
}
