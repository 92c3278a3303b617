import type { ApiError, ErrorCode } from '../gen/bindings';

/** The wire error `{code, message, details?}` as a throwable `Error`, from either transport. */
export class ApiFailure extends Error implements ApiError {
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** HTTP status when the browser transport produced it. */
  readonly status?: number;

  constructor(error: ApiError, status?: number) {
    super(error.message);
    this.name = 'ApiFailure';
    this.code = error.code;
    this.details = error.details ?? undefined;
    this.status = status;
  }
}

const ERROR_CODES: readonly ErrorCode[] = [
  'invalid_input',
  'not_found',
  'conflict',
  'precondition_failed',
  'stale',
  'forbidden',
  'unauthorized',
  'payload_too_large',
  'request_timeout',
  'unsupported_media_type',
  'too_many_requests',
  'insufficient_storage',
  'unavailable',
  'internal',
];

/** True for a value shaped like the wire error body. */
export function isApiErrorBody(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string';
}

/** Turns anything a transport threw into an `ApiFailure`, keeping the server's code and message. */
export function toApiFailure(error: unknown, status?: number): ApiFailure {
  if (error instanceof ApiFailure) return error;
  if (isApiErrorBody(error)) {
    const code = (ERROR_CODES as readonly string[]).includes(error.code) ? error.code : 'internal';
    return new ApiFailure({ code, message: error.message, details: error.details }, status);
  }
  if (typeof error === 'string') return new ApiFailure({ code: 'internal', message: error }, status);
  if (error instanceof Error) return new ApiFailure({ code: 'unavailable', message: error.message }, status);
  return new ApiFailure({ code: 'internal', message: 'Unexpected error' }, status);
}

/** Human text for an error shown in a toast or next to a form. */
export function errorMessage(error: unknown): string {
  return toApiFailure(error).message;
}
