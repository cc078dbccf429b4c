import { startRelay, type Relay, type RelayOptions } from '../../bus/relay/relayToBus.ts';

/**
 * The relay, restarted from its saved checkpoint whenever it stops on an error (broker
 * down, checkpoint store down), after a growing backoff. What it republished twice is
 * dropped by the consumers (`dropDuplicates`).
 */
export const keepRelaying = (options: RelayOptions, { onError = (e: unknown) => console.error('relay', e), maxBackoffMs = 5_000 } = {}) => {
  let stopped = false;
  let current: Relay | undefined;
  let wake: (() => void) | undefined;
  const running = (async () => {
    for (let failures = 0; !stopped; ) {
      try {
        current = await startRelay(options);
        if (stopped) await current.close();
        await current.done;
        failures = 0;
      } catch (e) {
        if (stopped) return;
        onError(e);
        failures++;
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.min(maxBackoffMs, 100 * 2 ** failures));
        });
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await current?.close();
      await running;
    },
  };
};
