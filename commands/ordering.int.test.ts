import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatStreamName } from '../domain/streams.ts';
import type { MessageSent } from '../domain/events.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { createCommands, type SendAck } from './index.ts';

const SENDERS = ['s0', 's1', 's2'];

/**
 * Any interleaving of sends from several sessions, some awaiting each ack and some
 * pipelining, gives every chat seq 1..n with no gap, and keeps each session's order.
 */
describe('per-chat order under concurrent senders', () => {
  it('yields contiguous seq per chat and keeps every sender’s order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ sender: fc.nat(SENDERS.length - 1), chat: fc.nat(2) }), { minLength: 1, maxLength: 25 }),
        fc.array(fc.boolean(), { minLength: SENDERS.length, maxLength: SENDERS.length }),
        fc.scheduler(),
        async (sends, pipelined, s) => {
          const temp = tempEventStore();
          const store = temp.open();
          try {
            const commands = createCommands(store);
            // chats 0 and 1 are groups; 2 means a direct message (s0 ↔ s1, s2 → s0).
            const groups = await Promise.all(
              [0, 1].map((i) => commands.createGroup({ creatorId: 's0', name: `g${i}`, memberIds: SENDERS })),
            );
            const target = (chat: number, sender: string) =>
              chat < 2 ? { chatId: groups[chat]!.chatId } : { receiverId: sender === 's0' ? 's1' : 's0' };

            const acks: { sender: string; order: number; ack: SendAck }[] = [];
            const session = async (sender: string, mine: { chat: number; order: number }[], pipeline: boolean) => {
              const inFlight: Promise<void>[] = [];
              for (const { chat, order } of mine) {
                await s.schedule(Promise.resolve(`${sender}#${order}`));
                const send = commands
                  .sendMessage({ senderId: sender, ...target(chat, sender), clientMsgId: `m${order}`, messageType: 'text', content: `${sender}:${order}` })
                  .then((ack) => void acks.push({ sender, order, ack }));
                if (pipeline) inFlight.push(send);
                else await send;
              }
              await Promise.all(inFlight);
            };
            const work = SENDERS.map((sender, i) =>
              session(
                sender,
                sends.map((x, order) => ({ ...x, order })).filter((x) => SENDERS[x.sender] === sender),
                pipelined[i]!,
              ),
            );
            await s.waitFor(Promise.all(work));

            expect(acks).toHaveLength(sends.length);
            for (const chatId of new Set(acks.map((a) => a.ack.chatId))) {
              const stored = (await store.readStream(chatStreamName(chatId)))
                .filter((e) => e.type === 'MessageSent')
                .map((e) => e.data as MessageSent['data']);
              expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
              for (const sender of SENDERS) {
                const order = stored.filter((m) => m.senderId === sender).map((m) => Number(m.clientMsgId.slice(1)));
                expect(order).toEqual([...order].sort((a, b) => a - b));
              }
              // Every ack names the seq its message was stored at.
              for (const { ack } of acks.filter((a) => a.ack.chatId === chatId))
                expect(stored[ack.seq - 1]!.messageId).toBe(ack.messageId);
            }
          } finally {
            await store.close();
            temp.cleanup();
          }
        },
      ),
      { numRuns: propertyRuns },
    );
  });
});
