// The one HTTP client: typed from the API's OpenAPI document (openapi-fetch), it owns the tokens
// (bearer header, refresh before expiry, one retry after a refused token) and the errors
// (problem+json becomes an ApiError with the stable `code`).
import createClient from 'openapi-fetch';
import { config } from '../config';
import type { paths } from './schema';
import { accessToken, refresh, signedOut, type RefreshCall } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string | undefined,
    readonly body: unknown = undefined,
  ) {
    super(detail ?? title);
  }
}

/** Paths that never carry the bearer token. */
const PUBLIC = /\/auth\/(login|register|refresh|verify-email(\/resend)?|password\/(forgot|reset)|jwks\.json)$/;

type SessionEndHandler = () => void;
let onSessionEnd: SessionEndHandler = () => {};
export function whenSessionEnds(handler: SessionEndHandler): void {
  onSessionEnd = handler;
}

export const refreshCall: RefreshCall = async (refreshToken) => {
  const response = await fetch(`${config().apiUrl}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (response.status === 401 || response.status === 400) return null;
  if (!response.ok) throw await toError(response);
  return (await response.json()) as { access_token: string; refresh_token: string; expires_in: number };
};

export async function toError(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.clone().json()) as Record<string, unknown>;
  } catch {
    /* not JSON (or already read): keep the status line */
  }
  return problem(response, body);
}

function problem(response: Response, body: Record<string, unknown>): ApiError {
  return new ApiError(
    response.status,
    typeof body.code === 'string' ? body.code : `http_${response.status}`,
    typeof body.title === 'string' ? body.title : response.statusText,
    typeof body.detail === 'string' ? body.detail : undefined,
    body,
  );
}

/** fetch with the session's bearer token; a refused token is refreshed once, then the call retried. */
export async function authFetch(request: Request): Promise<Response> {
  if (PUBLIC.test(new URL(request.url).pathname)) return fetch(request);
  const retry = request.clone();
  const token = await accessToken(refreshCall);
  if (!token) {
    onSessionEnd();
    return fetch(request);
  }
  request.headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(request);
  if (response.status !== 401) return response;
  const renewed = await refresh(refreshCall, true);
  if (!renewed) {
    void signedOut();
    onSessionEnd();
    return response;
  }
  retry.headers.set('authorization', `Bearer ${renewed.access_token}`);
  const second = await fetch(retry);
  if (second.status === 401) {
    void signedOut();
    onSessionEnd();
  }
  return second;
}

let client: ReturnType<typeof createClient<paths>> | null = null;

export function api(): ReturnType<typeof createClient<paths>> {
  client ??= createClient<paths>({ baseUrl: config().apiUrl, fetch: authFetch });
  return client;
}

/** The data of an openapi-fetch answer, or the API's problem as an ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    // openapi-fetch has read the body already: its parsed `error` is the problem document.
    if (error && typeof error === 'object') return Promise.reject(problem(response, error as Record<string, unknown>));
    throw await toError(response);
  }
  return data as T;
}
