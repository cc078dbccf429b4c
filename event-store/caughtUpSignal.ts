/**
 * The `caughtUp` promise of a subscription and its two ends. Its rejection is left
 * unreported: `done` carries the failure.
 */
export const caughtUpSignal = () => {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  let reached = false;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return {
    promise,
    mark: () => {
      reached = true;
      resolve();
    },
    fail: (error: unknown) => reject(error),
    reached: () => reached,
  };
};
