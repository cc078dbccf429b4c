import { randomUUID } from 'node:crypto';
import { chatDecider, receiptsDecider } from '../domain/decider.ts';
import type { ChatCommand, ChatState, ReceiptCommand, ReceiptsState } from '../domain/index.ts';
import type { ChatEvent, ReceiptEvent } from '../domain/events.ts';
import type { EventStore } from '../event-store/eventStore.ts';
import { createSendRateLimiter, type RateLimit } from './sendRateLimiter.ts';
import { createBatchingCommandHandler, type BatchingCommandHandler, type BatchingOptions } from './batchingCommandHandler.ts';

/** What every command handler needs: the store, the two cached deciders, a clock and an id source. */
export type CommandContext = {
  store: EventStore;
  chats: BatchingCommandHandler<ChatState, ChatCommand, ChatEvent>;
  receipts: BatchingCommandHandler<ReceiptsState, ReceiptCommand, ReceiptEvent>;
  /** Server time as ISO 8601 UTC with milliseconds. */
  now: () => string;
  newGroupId: () => string;
  /** Per-user send limit; absent: unlimited (tests, replays). */
  sendRate?: SendLimiter;
};

/** Takes one send token of the user or throws `rate_limited`; `refund` gives one back (a repeat was answered). */
export type SendLimiter = { take(userId: string): void | Promise<void>; refund?(userId: string): void };

export type CommandOptions = BatchingOptions & {
  now?: () => string;
  newGroupId?: () => string;
  /** In-process token buckets with this rate, unless `sendLimiter` is given (shared across nodes). */
  sendRate?: RateLimit;
  sendLimiter?: SendLimiter;
};

/** Server time, formatted once per millisecond: under load many commands share one. */
const isoNow = (() => {
  let at = NaN;
  let iso = '';
  return () => {
    const now = Date.now();
    if (now !== at) {
      at = now;
      iso = new Date(now).toISOString();
    }
    return iso;
  };
})();

export const createCommandContext = (store: EventStore, options: CommandOptions = {}): CommandContext => ({
  store,
  chats: createBatchingCommandHandler(store, chatDecider, options),
  receipts: createBatchingCommandHandler(store, receiptsDecider, options),
  now: options.now ?? isoNow,
  newGroupId: options.newGroupId ?? (() => `g-${randomUUID()}`),
  ...(options.sendLimiter ? { sendRate: options.sendLimiter } : options.sendRate && { sendRate: createSendRateLimiter(options.sendRate) }),
});
