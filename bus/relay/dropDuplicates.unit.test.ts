import { describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../bus.ts';
import { appliedPositions } from './appliedPositions.ts';
import { dropDuplicates, type FreshRecord } from './dropDuplicates.ts';
import { toRelayedRecord } from './relayedEvent.ts';

/** The record the relay publishes for event `position` of chat `chatId`. */
const record = (chatId: string, position: number): ConsumedRecord => {
  const r = toRelayedRecord({ id: `e-${position}`, type: 'MessageSent', data: {}, metadata: {}, streamName: `chat-${chatId}`, revision: 0n, position: BigInt(position), recordedAt: new Date(0) })!;
  return { ...r, topic: 'chat.events', headers: r.headers ?? {}, partition: 0, offset: String(position) };
};

const collecting = (capacity: number) => {
  const handled: string[] = [];
  const onBatch = dropDuplicates(async (fresh: FreshRecord[]) => void handled.push(...fresh.map((r) => `${r.key}@${r.event.position}`)), appliedPositions(capacity));
  return { handled, onBatch };
};

describe('dropDuplicates with bounded applied positions', () => {
  it('drops repeats of the chats it still remembers, in and across batches', async () => {
    const c = collecting(10);
    await c.onBatch([record('a', 1), record('b', 2), record('a', 3), record('a', 1)]);
    await c.onBatch([record('a', 3), record('b', 2), record('b', 4)]);
    expect(c.handled).toEqual(['a@1', 'b@2', 'a@3', 'b@4']);
  });

  it('keeps the most recently applied chats: past the capacity, only the least recent one is forgotten', async () => {
    const c = collecting(2);
    await c.onBatch([record('a', 1)]);
    await c.onBatch([record('b', 2)]);
    await c.onBatch([record('a', 3)]); // a is the most recent again
    await c.onBatch([record('c', 4)]); // forgets b
    await c.onBatch([record('a', 3), record('c', 4), record('b', 2)]);
    expect(c.handled).toEqual(['a@1', 'b@2', 'a@3', 'c@4', 'b@2']);
  });
});
