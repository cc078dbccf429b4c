import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { createSeqTracker } from './seqTracker.ts';

type M = { chat_id: string; seq: number; id: string };
const m = (seq: number, chat_id = 'c'): M => ({ chat_id, seq, id: `${chat_id}#${seq}` });
const seqs = (ms: M[]) => ms.map((x) => x.seq);

describe('seqTracker', () => {
  it('delivers in-order messages at once and drops repeats', () => {
    const t = createSeqTracker<M>();
    expect(seqs(t.accept(m(1)).deliver)).toEqual([1]);
    expect(seqs(t.accept(m(2)).deliver)).toEqual([2]);
    expect(t.accept(m(2))).toEqual({ deliver: [], gap: false });
    expect(t.accept(m(1))).toEqual({ deliver: [], gap: false });
    expect(t.lastSeq('c')).toBe(2);
  });

  it('an unknown chat starts at 0: a first message with seq 5 is a gap, held until 1..4 arrive', () => {
    const t = createSeqTracker<M>();
    expect(t.has('c')).toBe(false);
    expect(t.accept(m(5))).toEqual({ deliver: [], gap: true });
    expect(t.known()).toEqual({ c: 0 });
    expect(t.accept(m(3))).toEqual({ deliver: [], gap: true });
    expect(t.accept(m(5)).deliver).toEqual([]); // a repeat of a held one
    expect(t.heldCount('c')).toBe(2);
    expect(seqs(t.accept(m(1)).deliver)).toEqual([1]);
    expect(t.hasGap('c')).toBe(true);
    expect(seqs(t.accept(m(2)).deliver)).toEqual([2, 3]);
    const last = t.accept(m(4));
    expect(seqs(last.deliver)).toEqual([4, 5]);
    expect(last.gap).toBe(false);
    expect(t.gaps()).toEqual([]);
  });

  it('keeps chats apart', () => {
    const t = createSeqTracker<M>();
    t.accept(m(1, 'a'));
    expect(t.accept(m(3, 'b')).gap).toBe(true);
    expect(t.gaps()).toEqual(['b']);
    expect(t.known()).toEqual({ a: 1, b: 0 });
  });

  it('own acked seqs move the watermark without being delivered', () => {
    const t = createSeqTracker<M>();
    t.accept(m(1));
    expect(t.markOwn('c', 2)).toEqual({ deliver: [], gap: false });
    expect(t.lastSeq('c')).toBe(2);
    // own 4 before 3 arrived: a gap, then 3 delivers and the watermark passes 4
    expect(t.markOwn('c', 4)).toEqual({ deliver: [], gap: true });
    const r = t.accept(m(3));
    expect(seqs(r.deliver)).toEqual([3]);
    expect(t.lastSeq('c')).toBe(4);
    // the sync echo of an own message is a repeat
    expect(t.accept(m(4)).deliver).toEqual([]);
  });

  it('setLastSeq: the app holds up to n; held ones at or below are dropped, the rest flush', () => {
    const t = createSeqTracker<M>({ c: 10 });
    expect(t.accept(m(10)).deliver).toEqual([]);
    t.accept(m(12));
    t.accept(m(14));
    expect(seqs(t.setLastSeq('c', 11).deliver)).toEqual([12]);
    expect(t.hasGap('c')).toBe(true);
    expect(seqs(t.setLastSeq('c', 13).deliver)).toEqual([14]);
    expect(t.heldCount()).toBe(0);
  });

  it('learn starts an unknown chat at a seq and leaves a known one alone', () => {
    const t = createSeqTracker<M>();
    t.accept(m(3, 'x')); // known, with a hole
    expect(t.learn('x', 7)).toBe(false);
    expect(t.lastSeq('x')).toBe(0);
    expect(t.learn('y', 7)).toBe(true);
    expect(t.accept(m(7, 'y')).deliver).toEqual([]);
    expect(seqs(t.accept(m(8, 'y')).deliver)).toEqual([8]);
  });

  it('ignores non-integer seqs', () => {
    const t = createSeqTracker<M>();
    expect(t.accept({ chat_id: 'c', seq: 1.5, id: 'x' })).toEqual({ deliver: [], gap: false });
    expect(t.heldCount()).toBe(0);
  });

  it('property: any arrival order with repeats, own acks and interleaved chats delivers each foreign seq once, in order, per chat', () => {
    const chatIds = ['a', 'b', 'c'];
    const arb = fc
      .record({
        lengths: fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })),
        ownMask: fc.array(fc.boolean(), { minLength: 90, maxLength: 90 }),
        extra: fc.array(fc.nat(), { maxLength: 40 }),
        seed: fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
      })
      .chain(({ lengths, ownMask, extra }) => {
        const items: Array<{ chat: string; seq: number; own: boolean }> = [];
        lengths.forEach((n, c) => {
          for (let s = 1; s <= n; s++) items.push({ chat: chatIds[c]!, seq: s, own: ownMask[c * 30 + s - 1] ?? false });
        });
        // repeats of random items, then a random order of everything
        const repeats = items.length ? extra.map((i) => items[i % items.length]!) : [];
        return fc.shuffledSubarray([...items, ...repeats], { minLength: items.length + repeats.length }).map((order) => ({ items, order }));
      });
    fc.assert(
      fc.property(arb, ({ items, order }) => {
        const t = createSeqTracker<M>();
        const delivered = new Map<string, number[]>();
        for (const x of order) {
          const r = x.own ? t.markOwn(x.chat, x.seq) : t.accept(m(x.seq, x.chat));
          for (const d of r.deliver) {
            const list = delivered.get(d.chat_id) ?? [];
            list.push(d.seq);
            delivered.set(d.chat_id, list);
          }
        }
        for (const chat of chatIds) {
          const expected = items.filter((x) => x.chat === chat && !x.own).map((x) => x.seq);
          expect(delivered.get(chat) ?? []).toEqual(expected);
          expect(t.lastSeq(chat) ?? 0).toBe(items.filter((x) => x.chat === chat).length);
        }
        expect(t.gaps()).toEqual([]);
      }),
      { numRuns: propertyRuns },
    );
  });
});
