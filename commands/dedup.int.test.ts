import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChatError } from '../domain/errors.ts';
import { messageIdFor } from '../domain/ids.ts';
import type { MessageSent } from '../domain/events.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { createCommands, type SendAck } from './index.ts';

type Step =
  | { kind: 'send'; sender: number; clientMsgId: number; content: number; receiver: number; concurrent: number }
  | { kind: 'restart' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      sender: fc.nat(1),
      clientMsgId: fc.nat(4), // few ids: repeats are common
      content: fc.nat(1), // same or different content
      receiver: fc.nat(1),
      concurrent: fc.integer({ min: 1, max: 3 }), // the same send several times at once
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/**
 * Repeated client_msg_ids, with the same or other content, before and after restarts
 * of the store (cold caches): each (sender, id) is stored once, a same-content repeat
 * gets the original ack, any other repeat is duplicate_conflict.
 */
describe('dedup by (sender, client_msg_id)', () => {
  it('stores each id exactly once and answers repeats with the original result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
        const temp = tempEventStore();
        let store = temp.open();
        try {
          let commands = createCommands(store);
          const firstAck = new Map<string, { ack: SendAck; content: string; receiver: string }>();
          for (const st of steps) {
            if (st.kind === 'restart') {
              await store.close();
              store = temp.open();
              commands = createCommands(store);
              continue;
            }
            const sender = `u${st.sender}`;
            const receiver = `v${st.receiver}`;
            const key = `${sender}/c${st.clientMsgId}`;
            const content = `content-${st.content}`;
            const results = await Promise.all(
              Array.from({ length: st.concurrent }, () =>
                commands
                  .sendMessage({ senderId: sender, receiverId: receiver, clientMsgId: `c${st.clientMsgId}`, messageType: 'text', content })
                  .catch((e: unknown) => {
                    if (isChatError(e)) return e.code;
                    throw e;
                  }),
              ),
            );
            const known = firstAck.get(key);
            if (!known) {
              const acks = results as SendAck[];
              expect(acks.filter((a) => !a.duplicate)).toHaveLength(1);
              const original = acks.find((a) => !a.duplicate)!;
              for (const a of acks) expect({ ...a, duplicate: false }).toEqual(original);
              firstAck.set(key, { ack: original, content, receiver });
            } else if (known.content === content && known.receiver === receiver) {
              for (const r of results) expect(r).toEqual({ ...known.ack, duplicate: true });
            } else {
              for (const r of results) expect(r).toBe('duplicate_conflict');
            }
          }
          const sent = (await store.readAll()).filter((e) => e.type === 'MessageSent');
          const keys = sent.map((e) => {
            const m = e.data as MessageSent['data'];
            return `${m.senderId}/${m.clientMsgId}`;
          });
          expect(new Set(keys).size).toBe(keys.length);
          expect(new Set(keys)).toEqual(new Set(firstAck.keys()));
          for (const e of sent) {
            const m = e.data as MessageSent['data'];
            expect(m.messageId).toBe(messageIdFor(m.senderId, m.clientMsgId));
          }
        } finally {
          await store.close();
          temp.cleanup();
        }
      }),
      { numRuns: propertyRuns },
    );
  });
});
