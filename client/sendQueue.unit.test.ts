import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../testing/propertyRuns.ts';
import type { AckData, SendData } from './frames.ts';
import { createSendQueue } from './sendQueue.ts';

const data = (id: string): SendData => ({ chat_id: 'c', message_type: 'text', content: id, client_msg_id: id });
const ack = (id: string, seq: number): AckData => ({ client_msg_id: id, message_id: `m-${id}`, chat_id: 'c', seq, timestamp: '2025-01-01T00:00:00.000Z', status: 'sent' });
const newQueue = () => {
  let n = 0;
  return createSendQueue(() => `r${++n}`);
};
const ids = (entries: readonly { data: SendData }[]) => entries.map((e) => e.data.client_msg_id);

describe('sendQueue', () => {
  it('pipelines: everything unsent goes out at once, in order, and only once per connection', () => {
    const q = newQueue();
    for (const id of ['a', 'b', 'c']) q.enqueue(data(id));
    expect(ids(q.takeSendable())).toEqual(['a', 'b', 'c']);
    expect(q.takeSendable()).toEqual([]);
    q.enqueue(data('d'));
    expect(ids(q.takeSendable())).toEqual(['d']);
  });

  it('after a disconnect, every unacknowledged send goes out again in the original order with the same client_msg_id', async () => {
    const q = newQueue();
    const sends = ['a', 'b', 'c', 'd', 'e'].map((id) => q.enqueue(data(id)));
    const written = q.takeSendable();
    q.settle(written[1]!.ref, ack('b', 2));
    q.settle(written[3]!.ref, ack('d', 4));
    await expect(sends[1]!.done).resolves.toMatchObject({ client_msg_id: 'b', seq: 2 });
    q.disconnected();
    const again = q.takeSendable();
    expect(ids(again)).toEqual(['a', 'c', 'e']);
    // same refs and payloads as the first time
    expect(again.map((e) => e.ref)).toEqual([written[0]!.ref, written[2]!.ref, written[4]!.ref]);
    expect(q.size).toBe(3);
  });

  it('a retryable refusal holds later unsent sends behind it until released', () => {
    const q = newQueue();
    const a = q.enqueue(data('a')).entry;
    q.enqueue(data('b'));
    expect(ids(q.takeSendable())).toEqual(['a', 'b']);
    q.enqueue(data('c'));
    q.hold(a.ref);
    expect(a.state).toBe('waiting');
    expect(a.retries).toBe(1);
    expect(q.takeSendable()).toEqual([]); // c waits behind a
    q.release(a.ref);
    expect(ids(q.takeSendable())).toEqual(['a', 'c']);
  });

  it('a window: at most maxInFlight in flight; acks open it again, in order', () => {
    const q = newQueue();
    const entries = ['a', 'b', 'c', 'd', 'e'].map((id) => q.enqueue(data(id)).entry);
    expect(ids(q.takeSendable(2))).toEqual(['a', 'b']);
    expect(q.takeSendable(2)).toEqual([]);
    q.settle(entries[1]!.ref, ack('b', 2));
    expect(ids(q.takeSendable(2))).toEqual(['c']);
    q.disconnected();
    expect(ids(q.takeSendable(2))).toEqual(['a', 'c']);
  });

  it('holdInflight: a refusal without a ref holds every in-flight send; answered ones settle, the rest go out again in order', () => {
    const q = newQueue();
    const entries = ['a', 'b', 'c'].map((id) => q.enqueue(data(id)).entry);
    q.takeSendable();
    q.enqueue(data('d'));
    expect(ids(q.holdInflight())).toEqual(['a', 'b', 'c']);
    expect(q.takeSendable()).toEqual([]); // d waits behind them
    q.settle(entries[1]!.ref, ack('b', 1));
    for (const e of q.entries()) q.release(e.ref);
    expect(ids(q.takeSendable())).toEqual(['a', 'c', 'd']);
    expect(entries[0]!.retries).toBe(0);
  });

  it('expire: in-flight sends written before a time go out again; answered and newer ones do not', () => {
    const q = newQueue();
    const [a, b] = ['a', 'b'].map((id) => q.enqueue(data(id)).entry);
    q.takeSendable(Infinity, 100);
    q.enqueue(data('c'));
    q.takeSendable(Infinity, 200);
    q.settle(b!.ref, ack('b', 2));
    expect(q.expire(150)).toBe(1);
    expect(a!.state).toBe('unsent');
    expect(ids(q.takeSendable(Infinity, 300))).toEqual(['a']);
  });

  it('fail rejects and removes; rejectAll rejects the rest', async () => {
    const q = newQueue();
    const a = q.enqueue(data('a'));
    const b = q.enqueue(data('b'));
    q.fail(a.entry.ref, new Error('forbidden'));
    await expect(a.done).rejects.toThrow('forbidden');
    expect(q.hasClientMsgId('a')).toBe(false);
    expect(q.hasClientMsgId('b')).toBe(true);
    q.rejectAll(new Error('closed'));
    await expect(b.done).rejects.toThrow('closed');
    expect(q.size).toBe(0);
  });

  it('a settle for an unknown ref changes nothing', () => {
    const q = newQueue();
    q.enqueue(data('a'));
    expect(q.settle('nope', ack('a', 1))).toBeUndefined();
    expect(q.size).toBe(1);
  });

  it('property: across any acks and disconnects, each written batch is the unacknowledged sends in original order', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('send' as const) }),
      fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('disconnect' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const q = newQueue();
        let n = 0;
        const acked = new Set<string>();
        const onWire = new Set<string>(); // written on the current connection
        for (const o of ops) {
          if (o.kind === 'send') q.enqueue(data(`m${n++}`));
          if (o.kind === 'ack') {
            const inflight = q.entries().filter((e) => e.state === 'inflight');
            const e = inflight.length ? inflight[o.pick % inflight.length]! : undefined;
            if (e) {
              q.settle(e.ref, ack(e.data.client_msg_id, 1));
              acked.add(e.data.client_msg_id);
            }
          }
          if (o.kind === 'disconnect') {
            q.disconnected();
            onWire.clear();
          }
          const batch = ids(q.takeSendable());
          const expected = Array.from({ length: n }, (_, i) => `m${i}`).filter((id) => !acked.has(id) && !onWire.has(id));
          expect(batch).toEqual(expected);
          for (const id of batch) onWire.add(id);
        }
        expect(q.size).toBe(n - acked.size);
      }),
      { numRuns: propertyRuns },
    );
  });
});
