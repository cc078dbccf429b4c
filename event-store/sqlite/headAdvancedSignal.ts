/**
 * "The log head moved": fired by the writer after each commit that wrote events, awaited by
 * idle subscriptions. `version` lets a waiter detect a notification it would otherwise
 * miss between reading the log and starting to wait.
 */
export const createHeadAdvancedSignal = () => {
  let version = 0;
  const listeners = new Set<() => void>();
  return {
    version: (): number => version,
    notify: (): void => {
      version++;
      const toCall = [...listeners];
      listeners.clear();
      for (const listener of toCall) listener();
    },
    /** Calls `listener` once, on the next notify. Returns an unsubscribe function. */
    onNext: (listener: () => void): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
};

export type HeadAdvancedSignal = ReturnType<typeof createHeadAdvancedSignal>;
