import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatDecider, fold, receiptsDecider } from '../domain/decider.ts';
import { chatStateToJSON } from '../domain/chat/state.ts';
import { receiptsStateToJSON } from '../domain/receipts/state.ts';
import { chatStreamName, receiptsStreamName } from '../domain/streams.ts';
import { isChatError } from '../domain/errors.ts';
import type { ChatEvent, ReceiptEvent } from '../domain/events.ts';
import { toDomainEvent } from './eventMapping.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { createCommands, type Commands } from './index.ts';

const USERS = ['ann', 'bob', 'cat'];
const user = fc.nat(USERS.length - 1).map((i) => USERS[i]!);

/** Random commands of every kind against one group; targets are picked among sent messages. */
const op = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), by: user, n: fc.nat(99) }),
  fc.record({ kind: fc.constant('add' as const), by: user, who: user }),
  fc.record({ kind: fc.constant('remove' as const), by: user, who: user }),
  fc.record({ kind: fc.constant('edit' as const), by: user, pick: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), by: user, pick: fc.nat() }),
  fc.record({ kind: fc.constant('react' as const), by: user, pick: fc.nat(), emoji: fc.constantFrom('👍', '🎉'), on: fc.boolean() }),
  fc.record({ kind: fc.constant('mark' as const), by: user, read: fc.boolean(), back: fc.integer({ min: -3, max: 2 }) }),
  fc.constant({ kind: 'restart' as const }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

const run = async (commands: Commands, chatId: string, sent: string[], lastSeq: () => number, o: Exclude<Op, { kind: 'restart' }>) => {
  const pickOf = (p: number) => sent[p % Math.max(1, sent.length)] ?? 'none';
  switch (o.kind) {
    case 'send': {
      const ack = await commands.sendMessage({ senderId: o.by, chatId, clientMsgId: `m${sent.length}-${o.n}`, messageType: 'text', content: `t${o.n}` });
      sent.push(ack.messageId);
      return;
    }
    case 'add':
      return void (await commands.addMembers({ chatId, by: o.by, userIds: [o.who] }));
    case 'remove':
      return void (await commands.removeMember({ chatId, by: o.by, userId: o.who }));
    case 'edit':
      return void (await commands.editMessage({ messageId: pickOf(o.pick), by: o.by, content: 'edited' }));
    case 'delete':
      return void (await commands.deleteMessage({ messageId: pickOf(o.pick), by: o.by }));
    case 'react':
      return void (await (o.on ? commands.react : commands.unreact)({ messageId: pickOf(o.pick), by: o.by, emoji: o.emoji }));
    case 'mark':
      return void (await (o.read ? commands.markRead : commands.markDelivered)({ userId: o.by, chatId, seq: Math.max(0, lastSeq() + o.back) }));
  }
};

describe('the cached state and the watermarks', () => {
  it('cached state always equals a fold of the streams; watermarks only rise and never pass the last seq', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const temp = tempEventStore();
        let store = temp.open();
        try {
          let commands = createCommands(store);
          const { chatId } = await commands.createGroup({ creatorId: 'ann', name: 'g', memberIds: ['bob'] });
          const sent: string[] = [];
          const lastSeq = () => sent.length;
          for (const o of ops) {
            if (o.kind === 'restart') {
              await store.close();
              store = temp.open();
              commands = createCommands(store);
              continue;
            }
            await run(commands, chatId, sent, lastSeq, o).catch((e: unknown) => {
              if (!isChatError(e)) throw e; // refusals are fine; anything else is a bug
            });

            const chatEvents = (await store.readStream(chatStreamName(chatId))).map((e) => toDomainEvent<ChatEvent>(e));
            const receiptEvents = (await store.readStream(receiptsStreamName(chatId))).map((e) => toDomainEvent<ReceiptEvent>(e));
            expect(chatStateToJSON(await commands.context.chats.state(chatStreamName(chatId)))).toEqual(
              chatStateToJSON(fold(chatDecider, chatEvents)),
            );
            expect(receiptsStateToJSON(await commands.context.receipts.state(receiptsStreamName(chatId)))).toEqual(
              receiptsStateToJSON(fold(receiptsDecider, receiptEvents)),
            );
          }

          // Watermarks: per user and kind strictly rising; none beyond the messages before it in the log.
          const log = await store.readAll();
          const seqAt = (position: bigint) => log.filter((e) => e.type === 'MessageSent' && e.position < position).length;
          const highest = new Map<string, number>();
          for (const e of log.filter((x) => x.type === 'ReadUpTo' || x.type === 'DeliveredUpTo')) {
            const { userId, seq } = e.data as { userId: string; seq: number };
            const key = `${e.type}/${userId}`;
            expect(seq).toBeGreaterThan(highest.get(key) ?? 0);
            if (e.type === 'DeliveredUpTo') expect(seq).toBeGreaterThan(highest.get(`ReadUpTo/${userId}`) ?? 0);
            expect(seq).toBeLessThanOrEqual(seqAt(e.position));
            highest.set(key, seq);
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
