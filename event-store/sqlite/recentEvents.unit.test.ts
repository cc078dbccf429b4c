import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../eventStore.ts';
import { createRecentEvents } from './recentEvents.ts';

const at = (position: number): RecordedEvent => ({
  id: `e${position}`,
  type: 'T',
  data: {},
  metadata: {},
  streamName: 's',
  revision: BigInt(position),
  position: BigInt(position),
  recordedAt: new Date(0),
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => at(from + i));
const positions = (events: RecordedEvent[] | undefined) => events?.map((e) => Number(e.position));

describe('recent events', () => {
  it('answers reads it covers, up to maxCount, and leaves the rest to the file', () => {
    const recent = createRecentEvents();
    recent.add(range(5, 9));
    expect(positions(recent.after(4n, 10))).toEqual([5, 6, 7, 8, 9]);
    expect(positions(recent.after(6n, 2))).toEqual([7, 8]);
    expect(recent.after(3n, 10)).toBeUndefined(); // position 4 is not in memory
    expect(recent.after(9n, 10)).toBeUndefined(); // nothing after the last: the file decides
  });

  it('forgets everything when another writer’s rows fall between two commits', () => {
    const recent = createRecentEvents();
    recent.add(range(1, 3));
    recent.add(range(6, 7)); // 4 and 5 were written by someone else
    expect(recent.after(2n, 10)).toBeUndefined();
    expect(positions(recent.after(5n, 10))).toEqual([6, 7]);
  });

  it('keeps at most about its capacity', () => {
    const recent = createRecentEvents(10);
    for (let p = 1; p <= 100; p += 5) recent.add(range(p, p + 4));
    expect(recent.after(50n, 10)).toBeUndefined();
    expect(positions(recent.after(95n, 10))).toEqual([96, 97, 98, 99, 100]);
  });
});
