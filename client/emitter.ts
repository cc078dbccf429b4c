/**
 * A tiny typed event emitter: no `node:events`, so the SDK runs in browsers as is.
 * A throwing listener must not break the client's frame handling, so listener
 * errors are reported to `onListenerError` instead of propagating.
 */
export type Emitter<Events extends Record<string, unknown>> = {
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void;
  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): void;
  once<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void;
  emit<K extends keyof Events>(event: K, payload: Events[K]): void;
  listenerCount(event: keyof Events): number;
};

export const createEmitter = <Events extends Record<string, unknown>>(
  onListenerError: (error: unknown) => void = (e) => setTimeout(() => { throw e; }),
): Emitter<Events> => {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  const emitter: Emitter<Events> = {
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => emitter.off(event, listener);
    },
    off(event, listener) {
      listeners.get(event)?.delete(listener as (payload: never) => void);
    },
    once(event, listener) {
      const off = emitter.on(event, (payload) => {
        off();
        listener(payload);
      });
      return off;
    },
    emit(event, payload) {
      const set = listeners.get(event);
      if (!set) return;
      // A copy: listeners may unsubscribe while we iterate.
      for (const listener of [...set]) {
        try {
          (listener as (p: typeof payload) => void)(payload);
        } catch (e) {
          onListenerError(e);
        }
      }
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  };
  return emitter;
};
