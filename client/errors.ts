import type { ErrorCode } from './frames.ts';

/**
 * What send promises reject with and the `error` event carries. `code` is the
 * protocol's error code (section 2) when the server sent one, or one of the SDK's
 * own: `closed` (the app called close()), `disconnected` (a request's connection
 * went away), `timeout`, `auth_failed` (close 4401 and no fresh token).
 */
export class ChatClientError extends Error {
  readonly code: ErrorCode | 'closed' | 'disconnected' | 'timeout' | 'auth_failed' | 'protocol';
  readonly ref: string | undefined;
  constructor(code: ChatClientError['code'], message: string, ref?: string) {
    super(message);
    this.name = 'ChatClientError';
    this.code = code;
    this.ref = ref;
  }
}

/** Codes worth trying again after a pause: nothing was written (section 2). */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(['rate_limited', 'unavailable']);

export const isRetryable = (code: string) => RETRYABLE_CODES.has(code);
