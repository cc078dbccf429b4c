/**
 * Request/answer pairing by `ref` for frames whose answer echoes it (sync, ping).
 * Everything pending fails when the connection goes: an answer can only come back
 * on the socket the request went out on.
 */
export type Requests = {
  create<T>(ref: string, timeoutMs?: number): Promise<T>;
  resolve(ref: string, value: unknown): boolean;
  reject(ref: string, error: unknown): boolean;
  rejectAll(error: unknown): void;
  has(ref: string): boolean;
};

export const createRequests = (onTimeout: (ref: string) => unknown = (ref) => new Error(`request ${ref} timed out`)): Requests => {
  const pending = new Map<string, { resolve(v: unknown): void; reject(e: unknown): void; timer?: ReturnType<typeof setTimeout> }>();
  const take = (ref: string) => {
    const entry = pending.get(ref);
    if (!entry) return undefined;
    pending.delete(ref);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    return entry;
  };
  return {
    create<T>(ref: string, timeoutMs?: number) {
      return new Promise<T>((resolve, reject) => {
        const entry: { resolve(v: unknown): void; reject(e: unknown): void; timer?: ReturnType<typeof setTimeout> } = {
          resolve: resolve as (v: unknown) => void,
          reject,
        };
        if (timeoutMs !== undefined) entry.timer = setTimeout(() => take(ref)?.reject(onTimeout(ref)), timeoutMs);
        pending.set(ref, entry);
      });
    },
    resolve(ref, value) {
      const entry = take(ref);
      entry?.resolve(value);
      return entry !== undefined;
    },
    reject(ref, error) {
      const entry = take(ref);
      entry?.reject(error);
      return entry !== undefined;
    },
    rejectAll(error) {
      for (const ref of [...pending.keys()]) take(ref)?.reject(error);
    },
    has: (ref) => pending.has(ref),
  };
};
