/**
 * The one catalog of coded errors (protocol section 2). Every layer throws these;
 * the REST and WebSocket edges map them to their wire shapes.
 */
export const errorCatalog = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  duplicate_conflict: 409,
  group_full: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorCatalog;

export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** For `rate_limited`: when a retry may succeed (REST sends it as Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
  get httpStatus(): number {
    return errorCatalog[this.code];
  }
}

export const isChatError = (e: unknown): e is ChatError => e instanceof ChatError;

export const badRequest = (message: string) => new ChatError('bad_request', message);
export const forbidden = (message: string) => new ChatError('forbidden', message);
export const notFound = (message: string) => new ChatError('not_found', message);
export const duplicateConflict = (message: string) => new ChatError('duplicate_conflict', message);
export const groupFull = (message: string) => new ChatError('group_full', message);
export const payloadTooLarge = (message: string) => new ChatError('payload_too_large', message);
export const rateLimited = (message: string, retryAfterSeconds: number) => new ChatError('rate_limited', message, retryAfterSeconds);
export const unavailable = (message: string) => new ChatError('unavailable', message);
