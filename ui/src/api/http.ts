import { ApiFailure, isApiErrorBody } from './errors';
import { authHeaders } from './session';

/** Where an operation lives over HTTP (from the generated registry or `system.operations`). */
export interface Route {
  method: string;
  path: string;
}

/** A request derived from an operation's declaration and its input. */
export interface HttpRequest {
  method: string;
  url: string;
  body?: string;
}

function encodeQueryValue(value: unknown): string {
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Builds the HTTP request for `op`: `{param}` path segments are filled from input fields of the
 * same name (and removed from the rest); GET sends the rest as a query string, other methods as a
 * JSON body (always a body, since mutating routes only accept `application/json`).
 */
export function buildRequest(op: string, route: Route, input: unknown): HttpRequest {
  const { method, path } = route;
  const rest: Record<string, unknown> =
    typeof input === 'object' && input !== null && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : {};

  const filledPath = path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = rest[name];
    if (value === undefined || value === null) {
      throw new ApiFailure({ code: 'invalid_input', message: `missing path parameter "${name}" for ${op}` });
    }
    delete rest[name];
    return encodeURIComponent(String(value));
  });

  if (method === 'GET') {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined || value === null) continue;
      params.append(key, encodeQueryValue(value));
    }
    const query = params.toString();
    return { method, url: query ? `${filledPath}?${query}` : filledPath };
  }
  return { method, url: filledPath, body: JSON.stringify(rest) };
}

export interface HttpCallOptions {
  actor: string;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** Performs one operation over HTTP against the daemon that served this page (this browser's session). */
export async function httpCall(op: string, route: Route, input: unknown, opts: HttpCallOptions): Promise<unknown> {
  const request = buildRequest(op, route, input);
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'X-Refine-Surface': 'browser',
    'X-Refine-Actor': opts.actor,
    ...authHeaders(),
  };
  if (request.method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = opts.idempotencyKey ?? crypto.randomUUID();
  }

  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers,
      body: request.body,
      credentials: 'omit',
      signal: opts.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiFailure({ code: 'unavailable', message: 'Cannot reach the Refine daemon' });
  }

  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!response.ok) {
    if (isApiErrorBody(body)) throw new ApiFailure(body, response.status);
    throw new ApiFailure(
      { code: response.status >= 500 ? 'internal' : 'invalid_input', message: `${response.status} ${response.statusText || 'error'}` },
      response.status,
    );
  }
  return body;
}
