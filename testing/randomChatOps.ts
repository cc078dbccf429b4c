import fc from 'fast-check';
import { isChatError } from '../domain/errors.ts';
import type { Commands } from '../commands/index.ts';

const USERS = ['ann', 'bob', 'cat', 'dan'];
const user = fc.constantFrom(...USERS);

/** Random commands of every kind; targets are picked among the messages sent so far. */
export const chatOp = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sendGroup' as const), by: user, n: fc.nat(99) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sendDirect' as const), by: user, to: user, n: fc.nat(99) }) },
  fc.record({ kind: fc.constant('add' as const), by: user, who: user }),
  fc.record({ kind: fc.constant('remove' as const), by: user, who: user }),
  fc.record({ kind: fc.constant('edit' as const), by: user, pick: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), by: user, pick: fc.nat() }),
  fc.record({ kind: fc.constant('react' as const), by: user, pick: fc.nat(), emoji: fc.constantFrom('👍', '🎉'), on: fc.boolean() }),
  fc.record({ kind: fc.constant('mark' as const), by: user, pick: fc.nat(), read: fc.boolean() }),
);
export type ChatOp = typeof chatOp extends fc.Arbitrary<infer T> ? T : never;

/** Runs one op; refusals (ChatError) are expected and swallowed, anything else is a bug. */
export const runChatOp = async (commands: Commands, groupId: string, sent: string[], op: ChatOp, counter: { n: number }) => {
  const pick = (p: number) => sent[p % Math.max(1, sent.length)] ?? 'none';
  const id = () => `op${counter.n++}`;
  try {
    switch (op.kind) {
      case 'sendGroup':
        sent.push((await commands.sendMessage({ senderId: op.by, chatId: groupId, clientMsgId: id(), messageType: 'text', content: `g${op.n}` })).messageId);
        return;
      case 'sendDirect':
        sent.push((await commands.sendMessage({ senderId: op.by, receiverId: op.to, clientMsgId: id(), messageType: 'text', content: `d${op.n}` })).messageId);
        return;
      case 'add':
        await commands.addMembers({ chatId: groupId, by: op.by, userIds: [op.who] });
        return;
      case 'remove':
        await commands.removeMember({ chatId: groupId, by: op.by, userId: op.who });
        return;
      case 'edit':
        await commands.editMessage({ messageId: pick(op.pick), by: op.by, content: 'edited' });
        return;
      case 'delete':
        await commands.deleteMessage({ messageId: pick(op.pick), by: op.by });
        return;
      case 'react':
        await (op.on ? commands.react : commands.unreact)({ messageId: pick(op.pick), by: op.by, emoji: op.emoji });
        return;
      case 'mark':
        await (op.read ? commands.markRead : commands.markDelivered)({ userId: op.by, messageId: pick(op.pick) });
        return;
    }
  } catch (e) {
    if (!isChatError(e)) throw e;
  }
};
