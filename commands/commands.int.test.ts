import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isChatError } from '../domain/errors.ts';
import { chatStreamName, receiptsStreamName } from '../domain/streams.ts';
import { directChatIdFor } from '../domain/ids.ts';
import type { SqliteEventStore } from '../event-store/sqlite/sqliteEventStore.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import { createCommands, type Commands } from './index.ts';

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (isChatError(e)) return e.code;
    throw e;
  }
  return 'ok';
};

let temp: ReturnType<typeof tempEventStore>;
let store: SqliteEventStore;
let commands: Commands;
let groupNo = 0;

beforeEach(() => {
  temp = tempEventStore();
  store = temp.open();
  commands = createCommands(store, { newGroupId: () => `g-${++groupNo}` });
});
afterEach(async () => {
  await store.close();
  temp.cleanup();
});

const text = (senderId: string, receiverId: string, clientMsgId: string, content = `hi from ${senderId}`) =>
  commands.sendMessage({ senderId, receiverId, clientMsgId, messageType: 'text', content });

describe('sending a direct message', () => {
  it('creates the chat on the first message and numbers messages 1, 2, 3 in both directions', async () => {
    const a = await text('ann', 'bob', 'c1');
    const b = await text('bob', 'ann', 'c1');
    const c = await text('ann', 'bob', 'c2');
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(new Set([a.chatId, b.chatId, c.chatId])).toEqual(new Set([directChatIdFor('ann', 'bob')]));
    expect(a.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const stream = await store.readStream(chatStreamName(a.chatId));
    expect(stream.map((e) => e.type)).toEqual(['ChatCreated', 'MessageSent', 'MessageSent', 'MessageSent']);
  });

  it('survives both users sending their first message at once', async () => {
    const [a, b] = await Promise.all([text('ann', 'bob', 'x'), text('bob', 'ann', 'y')]);
    expect([a.seq, b.seq].sort()).toEqual([1, 2]);
    const types = (await store.readStream(chatStreamName(a.chatId))).map((e) => e.type);
    expect(types.filter((t) => t === 'ChatCreated')).toHaveLength(1);
  });

  it('answers a repeat with the original ack and appends nothing', async () => {
    const first = await text('ann', 'bob', 'c1', 'hello');
    const head = await store.headPosition();
    const again = await text('ann', 'bob', 'c1', 'hello');
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await store.headPosition()).toBe(head);
  });

  it('answers concurrent identical sends with one message', async () => {
    const acks = await Promise.all(Array.from({ length: 5 }, () => text('ann', 'bob', 'same', 'hello')));
    expect(new Set(acks.map((a) => a.messageId)).size).toBe(1);
    expect(new Set(acks.map((a) => a.seq))).toEqual(new Set([1]));
    expect(acks.filter((a) => !a.duplicate)).toHaveLength(1);
  });

  it('refuses the same client_msg_id with other content, or to another chat, as duplicate_conflict', async () => {
    await text('ann', 'bob', 'c1', 'hello');
    expect(await codeOf(text('ann', 'bob', 'c1', 'changed'))).toBe('duplicate_conflict');
    expect(await codeOf(text('ann', 'cat', 'c1', 'hello'))).toBe('duplicate_conflict');
    // Another sender may use the same client_msg_id freely.
    expect((await text('bob', 'ann', 'c1', 'hello')).duplicate).toBe(false);
  });

  it('refuses bad input and appends nothing', async () => {
    const cases = [
      text('ann', 'ann', 'c1'),
      text('ann', 'bob', 'bad id'),
      text('ann', 'b'.repeat(65), 'c2'),
      text('ann', 'bob', 'c3', 'x'.repeat(16 * 1024 + 1)),
      commands.sendMessage({ senderId: 'ann', chatId: 'nope', clientMsgId: 'c4', messageType: 'text', content: 'x' }),
      commands.sendMessage({ senderId: 'ann', clientMsgId: 'c5', messageType: 'text', content: 'x' }),
      commands.sendMessage({ senderId: 'ann', receiverId: 'bob', clientMsgId: 'c6', messageType: 'image', content: '' }),
    ];
    expect(await Promise.all(cases.map(codeOf))).toEqual([
      'bad_request',
      'bad_request',
      'bad_request',
      'payload_too_large',
      'not_found',
      'bad_request',
      'bad_request',
    ]);
    expect(await store.headPosition()).toBe(0n);
  });

  it('keeps a reply to a message of the same chat, and refuses one to another chat', async () => {
    const first = await text('ann', 'bob', 'c1');
    const other = await text('ann', 'cat', 'c2');
    const reply = await commands.sendMessage({ senderId: 'bob', receiverId: 'ann', clientMsgId: 'r1', messageType: 'text', content: 're', replyTo: first.messageId });
    expect(reply.seq).toBe(2);
    expect(await codeOf(commands.sendMessage({ senderId: 'bob', receiverId: 'ann', clientMsgId: 'r2', messageType: 'text', content: 're', replyTo: other.messageId }))).toBe('bad_request');
  });
});

describe('groups', () => {
  it('creates, adds, removes, lets members leave and keeps admin rights', async () => {
    const group = await commands.createGroup({ creatorId: 'ann', name: 'Team', memberIds: ['bob'] });
    expect(group.members).toEqual([
      { userId: 'ann', role: 'admin' },
      { userId: 'bob', role: 'member' },
    ]);
    const grown = await commands.addMembers({ chatId: group.chatId, by: 'ann', userIds: ['cat', 'dan'] });
    expect(grown.members.map((m) => m.userId)).toEqual(['ann', 'bob', 'cat', 'dan']);
    expect(await codeOf(commands.addMembers({ chatId: group.chatId, by: 'bob', userIds: ['eve'] }))).toBe('forbidden');
    expect(await codeOf(commands.removeMember({ chatId: group.chatId, by: 'bob', userId: 'cat' }))).toBe('forbidden');
    await commands.removeMember({ chatId: group.chatId, by: 'ann', userId: 'cat' });
    await commands.removeMember({ chatId: group.chatId, by: 'dan', userId: 'dan' });
    const send = (senderId: string, clientMsgId: string) =>
      commands.sendMessage({ senderId, chatId: group.chatId, clientMsgId, messageType: 'text', content: 'yo' });
    expect((await send('bob', 'b1')).seq).toBe(1);
    expect(await codeOf(send('dan', 'd1'))).toBe('forbidden');
    expect(await codeOf(send('eve', 'e1'))).toBe('forbidden');
  });

  it('holds at most 500 members', async () => {
    const group = await commands.createGroup({ creatorId: 'ann', name: 'Big', memberIds: Array.from({ length: 498 }, (_, i) => `u${i}`) });
    await commands.addMembers({ chatId: group.chatId, by: 'ann', userIds: ['last'] });
    expect(await codeOf(commands.addMembers({ chatId: group.chatId, by: 'ann', userIds: ['one-too-many'] }))).toBe('group_full');
    expect(await codeOf(commands.createGroup({ creatorId: 'ann', name: 'Huge', memberIds: Array.from({ length: 500 }, (_, i) => `u${i}`) }))).toBe('group_full');
  });
});

describe('edits, deletes and reactions', () => {
  it('records them on the message’s chat, with sender and admin rights', async () => {
    const group = await commands.createGroup({ creatorId: 'ann', name: 'Team', memberIds: ['bob', 'cat'] });
    const m = await commands.sendMessage({ senderId: 'bob', chatId: group.chatId, clientMsgId: 'm1', messageType: 'text', content: 'tpyo' });
    expect(await codeOf(commands.editMessage({ messageId: m.messageId, by: 'cat', content: 'no' }))).toBe('forbidden');
    await commands.editMessage({ messageId: m.messageId, by: 'bob', content: 'typo' });
    await commands.react({ messageId: m.messageId, by: 'cat', emoji: '👍' });
    await commands.react({ messageId: m.messageId, by: 'cat', emoji: '👍' });
    await commands.unreact({ messageId: m.messageId, by: 'cat', emoji: '🎉' });
    expect(await codeOf(commands.react({ messageId: m.messageId, by: 'eve', emoji: '👍' }))).toBe('forbidden');
    expect(await codeOf(commands.deleteMessage({ messageId: m.messageId, by: 'cat' }))).toBe('forbidden');
    await commands.deleteMessage({ messageId: m.messageId, by: 'ann' });
    expect(await codeOf(commands.editMessage({ messageId: m.messageId, by: 'bob', content: 'again' }))).toBe('not_found');
    expect(await codeOf(commands.editMessage({ messageId: 'no-such-message', by: 'bob', content: 'x' }))).toBe('not_found');
    const types = (await store.readStream(chatStreamName(group.chatId))).map((e) => e.type);
    expect(types).toEqual(['ChatCreated', 'MessageSent', 'MessageEdited', 'ReactionAdded', 'MessageDeleted']);
  });
});

describe('watermarks', () => {
  it('move forward only, never past the last seq, in the chat’s receipts stream', async () => {
    const a = await text('ann', 'bob', 'c1');
    await text('ann', 'bob', 'c2');
    await text('ann', 'bob', 'c3');
    expect((await commands.markDelivered({ userId: 'bob', chatId: a.chatId, seq: 2 })).moved).toBe(true);
    expect((await commands.markDelivered({ userId: 'bob', chatId: a.chatId, seq: 1 })).moved).toBe(false);
    expect((await commands.markRead({ userId: 'bob', messageId: a.messageId })).moved).toBe(true);
    expect((await commands.markRead({ userId: 'bob', chatId: a.chatId, seq: 3 })).moved).toBe(true);
    expect((await commands.markDelivered({ userId: 'bob', chatId: a.chatId, seq: 3 })).moved).toBe(false);
    expect(await codeOf(commands.markRead({ userId: 'bob', chatId: a.chatId, seq: 4 }))).toBe('bad_request');
    expect(await codeOf(commands.markRead({ userId: 'eve', chatId: a.chatId, seq: 1 }))).toBe('forbidden');
    expect(await codeOf(commands.markRead({ userId: 'bob', chatId: 'dm-none', seq: 1 }))).toBe('not_found');
    const marks = (await store.readStream(receiptsStreamName(a.chatId))).map((e) => [e.type, (e.data as { seq: number }).seq]);
    expect(marks).toEqual([
      ['DeliveredUpTo', 2],
      ['ReadUpTo', 1],
      ['ReadUpTo', 3],
    ]);
  });
});

describe('the state cache', () => {
  it('is refreshed from the stream tail when another writer appended first', async () => {
    const first = await text('ann', 'bob', 'c1');
    // A second handler set on the same store acts as another node with its own cache.
    const other = createCommands(store);
    expect((await other.sendMessage({ senderId: 'bob', receiverId: 'ann', clientMsgId: 'o1', messageType: 'text', content: 'x' })).seq).toBe(2);
    expect((await text('ann', 'bob', 'c2')).seq).toBe(3);
    expect((await other.sendMessage({ senderId: 'bob', receiverId: 'ann', clientMsgId: 'o2', messageType: 'text', content: 'x' })).seq).toBe(4);
    expect(first.seq).toBe(1);
  });

  it('lets two nodes create the same direct chat at once: one creates it, the other retries onto it', async () => {
    const other = createCommands(store);
    const [a, b] = await Promise.all([
      text('ann', 'bob', 'n1'),
      other.sendMessage({ senderId: 'bob', receiverId: 'ann', clientMsgId: 'n2', messageType: 'text', content: 'x' }),
    ]);
    expect([a.seq, b.seq].sort()).toEqual([1, 2]);
    const types = (await store.readStream(chatStreamName(a.chatId))).map((e) => e.type);
    expect(types).toEqual(['ChatCreated', 'MessageSent', 'MessageSent']);
  });

  it('batches pipelined sends of one chat into few appends, in the order received', async () => {
    await text('ann', 'bob', 'warm-up');
    const acks = await Promise.all(Array.from({ length: 50 }, (_, i) => text('ann', 'bob', `p${i}`)));
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    expect(store.stats().commits).toBeLessThan(10);
  });
});
