/** The public JSON API, called with the key of this browser tab's session. */

const KEY = 'crm.dashboard.key';

export function sessionKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function keepKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}

/** Who may call a route, in words for the 403 message. */
export type Needs = 'an analyst, auditor or admin key' | 'an auditor or admin key';
export const ANALYST: Needs = 'an analyst, auditor or admin key';
export const AUDITOR: Needs = 'an auditor or admin key';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined>;

/** GET a route of the API; a problem answer becomes an ApiError whose message says what to do. */
export async function get<T>(path: string, query: Query, needs: Needs): Promise<T> {
  const key = sessionKey();
  if (!key) throw new ApiError(401, 'Not signed in: enter an analyst or auditor API key.');
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const search = params.toString();
  const url = search ? `${path}?${search}` : path;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
    });
  } catch {
    throw new ApiError(0, 'The API cannot be reached. Check the connection and try again.');
  }
  if (response.ok) return (await response.json()) as T;
  const problem = (await response.json().catch(() => ({}))) as {
    detail?: string;
    errors?: Array<{ field: string; message: string }>;
  };
  throw new ApiError(response.status, explain(response.status, problem, needs));
}

function explain(
  status: number,
  problem: { detail?: string; errors?: Array<{ field: string; message: string }> },
  needs: Needs,
): string {
  switch (status) {
    case 401:
      return `The API key was not accepted (401): sign in again with ${needs}.`;
    case 403:
      return `This key's role may not see this (403): it needs ${needs}.`;
    case 400:
      return `The request was refused (400): ${
        problem.errors?.map((e) => e.message).join('; ') ?? problem.detail ?? 'bad input'
      }.`;
    case 404:
      return `Not found (404): ${problem.detail ?? 'no such resource'}.`;
    case 503:
      return `The service is busy or catching up (503): ${problem.detail ?? 'try again shortly'}.`;
    default:
      return `The API answered ${status}: ${problem.detail ?? 'unexpected error'}.`;
  }
}
