import type { RecordedEvent, SubscribeToAllOptions, Subscription } from '../eventStore.ts';
import type { HeadAdvancedSignal } from './headAdvancedSignal.ts';
import { caughtUpSignal } from '../caughtUpSignal.ts';

export type SubscribeToAllDeps = {
  readAfter: (position: bigint, maxCount: number) => RecordedEvent[];
  headPosition: () => bigint;
  headAdvanced: HeadAdvancedSignal;
  /** Re-read this often while idle even without a notification: other processes writing the file don't notify us. */
  pollIntervalMs: number;
  /** Called once when the subscription has ended, however it ended. */
  onEnded?: () => void;
};

export const DEFAULT_MAX_BATCH_SIZE = 100;

/**
 * Catch-up and live are the same loop: read a page after the checkpoint, await the
 * handler, repeat; on an empty page wait for the head to advance. There is no buffer of
 * pushed events, hence no switch-over to get wrong and no unbounded memory for slow handlers.
 */
export const subscribeToAll = (
  { readAfter, headPosition, headAdvanced, pollIntervalMs, onEnded }: SubscribeToAllDeps,
  { after, onEvents, maxBatchSize = DEFAULT_MAX_BATCH_SIZE }: SubscribeToAllOptions,
): Subscription => {
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
  }
  // Resolved now, not when the loop starts: 'end' means the head at the time of the call.
  let checkpoint = after === 'start' ? 0n : after === 'end' ? headPosition() : after;
  let closed = false;
  let wakeUp: (() => void) | undefined;

  const caughtUpAt = caughtUpSignal();

  const waitForHeadToAdvance = (seenVersion: number) =>
    new Promise<void>((resolve) => {
      if (closed || headAdvanced.version() !== seenVersion) return resolve();
      const wake = () => {
        unsubscribe();
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      };
      const unsubscribe = headAdvanced.onNext(wake);
      const timer = setTimeout(wake, pollIntervalMs);
      wakeUp = wake;
    });

  const run = async (): Promise<void> => {
    // Never call the handler before subscribeToAll has returned.
    await Promise.resolve();
    while (!closed) {
      // Read the version before the page: a commit between the two can't be missed.
      const seenVersion = headAdvanced.version();
      const page = readAfter(checkpoint, maxBatchSize);
      if (page.length > 0) {
        await onEvents(page);
        checkpoint = page[page.length - 1]!.position;
      }
      // A long catch-up must not hold the event loop: let I/O (requests, sockets) run between pages.
      if (page.length === maxBatchSize) await new Promise<void>((resolve) => setImmediate(resolve));
      if (page.length < maxBatchSize) {
        // The page reached the head as it was when read, and has been delivered.
        if (!caughtUpAt.reached()) caughtUpAt.mark();
        if (page.length === 0) await waitForHeadToAdvance(seenVersion);
      }
    }
  };

  const done = run().then(
    () => {
      if (!caughtUpAt.reached()) caughtUpAt.fail(new Error('subscription closed before catching up'));
      onEnded?.();
    },
    (error: unknown) => {
      closed = true;
      if (!caughtUpAt.reached()) caughtUpAt.fail(error);
      onEnded?.();
      // Left for the caller to observe on `done`: an unobserved handler failure is loud, not silent.
      throw error;
    },
  );

  return {
    caughtUp: caughtUpAt.promise,
    done,
    close: async () => {
      closed = true;
      wakeUp?.();
      // Waits for an in-flight handler call: once close() resolves, onEvents isn't running.
      // (So a handler may call close() but must not await it.)
      await done.catch(() => {});
    },
  };
};
