/**
 * The consumer side of the relay's at-least-once: drops records of `chat.events` whose
 * global position is at or below the highest position already applied for their key
 * (chat). A relay restarted from an older checkpoint republishes a batch; a consumer
 * whose offset commit was lost gets one again; both are dropped here. Positions grow in
 * log order and a chat's events are published in log order on one partition, so "≤ the
 * highest applied" means "seen".
 *
 * The highest positions live in `applied` (bounded: `appliedPositions.ts`); they move only
 * after the wrapped handler resolved.
 */
import type { ConsumedRecord, SubscribeOptions } from '../bus.ts';
import { appliedPositions, type AppliedPositions } from './appliedPositions.ts';
import { parseRelayedEvent, type RelayedEvent } from './relayedEvent.ts';

export type FreshRecord = ConsumedRecord & { event: RelayedEvent };

/** The records of `records` not yet applied, each parsed; does not mark anything. Also drops repeats inside the batch. */
export const freshRecords = (records: readonly ConsumedRecord[], applied: Pick<AppliedPositions, 'get'>): FreshRecord[] => {
  const highest = new Map<string, bigint>();
  const out: FreshRecord[] = [];
  for (const record of records) {
    const event = parseRelayedEvent(record.value);
    const seen = highest.get(record.key) ?? applied.get(record.key) ?? -1n;
    if (event.position <= seen) continue;
    highest.set(record.key, event.position);
    out.push({ ...record, event });
  }
  return out;
};

/** Marks the records as applied (keeps the highest position per key). */
export const markApplied = (records: readonly FreshRecord[], applied: AppliedPositions): void => {
  for (const { key, event } of records) {
    if (event.position > (applied.get(key) ?? -1n)) applied.set(key, event.position);
  }
};

/**
 * Wraps a handler of fresh events as a bus `onBatch`: repeats never reach it, and what it
 * was given counts as applied once it resolved (if it throws, the bus redelivers and the
 * same records are fresh again).
 */
export const dropDuplicates =
  (handler: (records: FreshRecord[]) => Promise<void>, applied: AppliedPositions = appliedPositions()): SubscribeOptions['onBatch'] =>
  async (records) => {
    const fresh = freshRecords(records, applied);
    if (fresh.length === 0) return;
    await handler(fresh);
    markApplied(fresh, applied);
  };
