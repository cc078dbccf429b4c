import { describe, it } from 'vitest';
import { deciderSpec } from '../../testing/deciderSpec.ts';
import { chatDecider } from '../decider.ts';
import type { ChatEvent } from '../events.ts';
import type { ChatCommand, TargetMessage } from './commands.ts';

const given = deciderSpec(chatDecider);
const now = '2026-11-28T10:00:00.000Z';
const meta = { now };
const G = 'g-team';
const D = 'dm-ab';

const groupCreated = (members = [{ userId: 'ann', role: 'admin' as const }, { userId: 'bob', role: 'member' as const }]): ChatEvent => ({
  type: 'ChatCreated',
  data: { chatId: G, chatType: 'group', name: 'Team', members, createdBy: 'ann', at: now },
});
const directCreated: ChatEvent = {
  type: 'ChatCreated',
  data: {
    chatId: D,
    chatType: 'direct',
    name: null,
    members: [
      { userId: 'ann', role: 'member' },
      { userId: 'bob', role: 'member' },
    ],
    createdBy: 'ann',
    at: now,
  },
};
const sent = (seq: number, senderId = 'ann', chatId = G): ChatEvent => ({
  type: 'MessageSent',
  data: { chatId, messageId: `m${seq}`, seq, senderId, clientMsgId: `c${seq}`, messageType: 'text', content: `hi ${seq}`, at: now },
});
const send = (over: Partial<Extract<ChatCommand, { type: 'SendMessage' }>['data']> = {}): ChatCommand => ({
  type: 'SendMessage',
  data: { chatId: G, senderId: 'ann', messageId: 'm-new', clientMsgId: 'c-new', messageType: 'text', content: 'hello', ...over },
  metadata: meta,
});
const target = (seq: number, senderId = 'ann'): TargetMessage => ({ messageId: `m${seq}`, seq, senderId, messageType: 'text' });
const members500 = () => [
  { userId: 'ann', role: 'admin' as const },
  ...Array.from({ length: 499 }, (_, i) => ({ userId: `u${i}`, role: 'member' as const })),
];

describe('SendMessage', () => {
  it('appends the next seq to an existing chat', () =>
    given([groupCreated(), sent(1), sent(2, 'bob')])
      .when(send())
      .then([{ type: 'MessageSent', data: { chatId: G, messageId: 'm-new', seq: 3, senderId: 'ann', clientMsgId: 'c-new', messageType: 'text', content: 'hello', at: now } }]));

  it('creates a direct chat on its first message, with seq 1', () =>
    given([])
      .when(send({ chatId: D, directPeerId: 'bob' }))
      .then([
        directCreated,
        { type: 'MessageSent', data: { chatId: D, messageId: 'm-new', seq: 1, senderId: 'ann', clientMsgId: 'c-new', messageType: 'text', content: 'hello', at: now } },
      ]));

  it('sends into an existing direct chat addressed by receiver without recreating it', () =>
    given([directCreated, sent(1, 'bob', D)])
      .when(send({ chatId: D, directPeerId: 'bob' }))
      .then([{ type: 'MessageSent', data: { chatId: D, messageId: 'm-new', seq: 2, senderId: 'ann', clientMsgId: 'c-new', messageType: 'text', content: 'hello', at: now } }]));

  it('refuses a direct message to yourself', () =>
    given([]).when(send({ chatId: D, directPeerId: 'ann' })).thenThrows('bad_request', /yourself/));

  it('refuses an unknown chat', () => given([]).when(send()).thenThrows('not_found'));

  it('refuses a non-member', () => given([groupCreated()]).when(send({ senderId: 'eve' })).thenThrows('forbidden'));

  it('refuses a member who left', () =>
    given([groupCreated(), { type: 'MemberRemoved', data: { chatId: G, userId: 'bob', removedBy: 'bob', at: now } }])
      .when(send({ senderId: 'bob' }))
      .thenThrows('forbidden'));

  it('refuses content over 16 KiB (counted in UTF-8 bytes)', () =>
    given([groupCreated()]).when(send({ content: 'é'.repeat(8193) })).thenThrows('payload_too_large'));

  it('accepts content of exactly 16 KiB', () =>
    given([groupCreated()])
      .when(send({ content: 'x'.repeat(16384) }))
      .then([{ type: 'MessageSent', data: { chatId: G, messageId: 'm-new', seq: 1, senderId: 'ann', clientMsgId: 'c-new', messageType: 'text', content: 'x'.repeat(16384), at: now } }]));

  it('refuses an empty text', () => given([groupCreated()]).when(send({ content: '' })).thenThrows('bad_request'));

  it('refuses a media message without media_id', () =>
    given([groupCreated()]).when(send({ messageType: 'image', content: '' })).thenThrows('bad_request', /media_id/));

  it('refuses a text message with a media_id', () =>
    given([groupCreated()]).when(send({ mediaId: 'med1' })).thenThrows('bad_request', /media_id/));

  it('carries media_id and reply_to', () =>
    given([groupCreated(), sent(1)])
      .when(send({ messageType: 'image', content: 'caption', mediaId: 'med1', replyTo: { messageId: 'm1', seq: 1 } }))
      .then([{ type: 'MessageSent', data: { chatId: G, messageId: 'm-new', seq: 2, senderId: 'ann', clientMsgId: 'c-new', messageType: 'image', content: 'caption', mediaId: 'med1', replyTo: 'm1', at: now } }]));

  it('refuses a reply to a message beyond the chat', () =>
    given([groupCreated(), sent(1)]).when(send({ replyTo: { messageId: 'm9', seq: 9 } })).thenThrows('bad_request', /reply_to/));

  it('refuses an invalid client_msg_id', () =>
    given([groupCreated()]).when(send({ clientMsgId: 'has space' })).thenThrows('bad_request', /client_msg_id/));

  it('refuses an invalid receiver id', () =>
    given([]).when(send({ chatId: D, directPeerId: 'x'.repeat(65) })).thenThrows('bad_request', /receiver_id/));
});

describe('CreateGroup', () => {
  const create = (memberIds: string[], name = 'Team'): ChatCommand => ({
    type: 'CreateGroup',
    data: { chatId: G, name, creatorId: 'ann', memberIds },
    metadata: meta,
  });

  it('makes the creator an admin and the others members, without repeats', () =>
    given([]).when(create(['bob', 'ann', 'bob'])).then([groupCreated()]));

  it('allows exactly 500 members with the creator', () =>
    given([])
      .when(create(Array.from({ length: 499 }, (_, i) => `u${i}`)))
      .then([{ type: 'ChatCreated', data: { chatId: G, chatType: 'group', name: 'Team', members: members500(), createdBy: 'ann', at: now } }]));

  it('refuses 501 members with group_full', () =>
    given([]).when(create(Array.from({ length: 500 }, (_, i) => `u${i}`))).thenThrows('group_full'));

  it('refuses an empty name', () => given([]).when(create(['bob'], '   ')).thenThrows('bad_request', /name/));

  it('refuses an invalid member id', () => given([]).when(create(['bad id'])).thenThrows('bad_request'));

  it('refuses an id that is taken', () => given([groupCreated()]).when(create(['bob'])).thenThrows('bad_request'));
});

describe('AddMembers', () => {
  const add = (by: string, userIds: string[]): ChatCommand => ({ type: 'AddMembers', data: { chatId: G, by, userIds }, metadata: meta });

  it('adds new members and skips existing ones', () =>
    given([groupCreated()])
      .when(add('ann', ['bob', 'cat']))
      .then([{ type: 'MemberAdded', data: { chatId: G, userId: 'cat', role: 'member', addedBy: 'ann', at: now } }]));

  it('is admins only', () => given([groupCreated()]).when(add('bob', ['cat'])).thenThrows('forbidden', /admin/));

  it('refuses non-members', () => given([groupCreated()]).when(add('eve', ['cat'])).thenThrows('forbidden'));

  it('refuses growing past 500 with group_full', () =>
    given([groupCreated(members500())]).when(add('ann', ['one-more'])).thenThrows('group_full'));

  it('refuses a direct chat', () => given([directCreated]).when({ type: 'AddMembers', data: { chatId: D, by: 'ann', userIds: ['cat'] }, metadata: meta }).thenThrows('bad_request'));

  it('refuses an unknown group', () => given([]).when(add('ann', ['cat'])).thenThrows('not_found'));
});

describe('RemoveMember', () => {
  const remove = (by: string, userId: string, chatId = G): ChatCommand => ({ type: 'RemoveMember', data: { chatId, by, userId }, metadata: meta });

  it('lets an admin remove a member', () =>
    given([groupCreated()]).when(remove('ann', 'bob')).then([{ type: 'MemberRemoved', data: { chatId: G, userId: 'bob', removedBy: 'ann', at: now } }]));

  it('lets a member leave', () =>
    given([groupCreated()]).when(remove('bob', 'bob')).then([{ type: 'MemberRemoved', data: { chatId: G, userId: 'bob', removedBy: 'bob', at: now } }]));

  it('does not let a member remove another', () => given([groupCreated()]).when(remove('bob', 'ann')).thenThrows('forbidden'));

  it('is idempotent for someone already gone', () => given([groupCreated()]).when(remove('ann', 'zed')).thenNothing());

  it('promotes the longest-standing member when the last admin leaves', () =>
    given([groupCreated([{ userId: 'ann', role: 'admin' }, { userId: 'bob', role: 'member' }, { userId: 'cat', role: 'member' }])])
      .when(remove('ann', 'ann'))
      .then([
        { type: 'MemberRemoved', data: { chatId: G, userId: 'ann', removedBy: 'ann', at: now } },
        { type: 'MemberPromoted', data: { chatId: G, userId: 'bob', at: now } },
      ]));

  it('refuses leaving a direct chat', () => given([directCreated]).when(remove('ann', 'ann', D)).thenThrows('bad_request'));
});

describe('EditMessage', () => {
  const edit = (by: string, t: TargetMessage, content = 'fixed'): ChatCommand => ({ type: 'EditMessage', data: { chatId: G, by, target: t, content }, metadata: meta });

  it('lets the sender edit', () =>
    given([groupCreated(), sent(1)])
      .when(edit('ann', target(1)))
      .then([{ type: 'MessageEdited', data: { chatId: G, messageId: 'm1', seq: 1, content: 'fixed', editedBy: 'ann', at: now } }]));

  it('refuses anyone else, admins included', () => given([groupCreated(), sent(1, 'bob')]).when(edit('ann', target(1, 'bob'))).thenThrows('forbidden'));

  it('refuses a deleted message', () =>
    given([groupCreated(), sent(1), { type: 'MessageDeleted', data: { chatId: G, messageId: 'm1', seq: 1, deletedBy: 'ann', at: now } }])
      .when(edit('ann', target(1)))
      .thenThrows('not_found'));

  it('refuses emptying a text message', () => given([groupCreated(), sent(1)]).when(edit('ann', target(1), '')).thenThrows('bad_request'));

  it('refuses oversize content', () => given([groupCreated(), sent(1)]).when(edit('ann', target(1), 'x'.repeat(16385))).thenThrows('payload_too_large'));

  it('refuses non-members', () => given([groupCreated(), sent(1, 'eve')]).when(edit('eve', target(1, 'eve'))).thenThrows('forbidden'));

  it('refuses a seq beyond the chat', () => given([groupCreated()]).when(edit('ann', target(4))).thenThrows('not_found'));
});

describe('DeleteMessage', () => {
  const del = (by: string, t: TargetMessage): ChatCommand => ({ type: 'DeleteMessage', data: { chatId: G, by, target: t }, metadata: meta });
  const deleted = (by: string): ChatEvent => ({ type: 'MessageDeleted', data: { chatId: G, messageId: 'm1', seq: 1, deletedBy: by, at: now } });

  it('lets the sender delete', () => given([groupCreated(), sent(1, 'bob')]).when(del('bob', target(1, 'bob'))).then([deleted('bob')]));

  it('lets a group admin delete anyone’s message', () => given([groupCreated(), sent(1, 'bob')]).when(del('ann', target(1, 'bob'))).then([deleted('ann')]));

  it('does not let a plain member delete another’s message', () => given([groupCreated(), sent(1)]).when(del('bob', target(1))).thenThrows('forbidden'));

  it('is idempotent', () => given([groupCreated(), sent(1), deleted('ann')]).when(del('ann', target(1))).thenNothing());

  it('refuses a seq beyond the chat', () => given([groupCreated()]).when(del('ann', target(1))).thenThrows('not_found'));
});

describe('AddReaction / RemoveReaction', () => {
  const react = (type: 'AddReaction' | 'RemoveReaction', by: string, emoji = '👍'): ChatCommand => ({
    type,
    data: { chatId: G, by, target: target(1), emoji },
    metadata: meta,
  });
  const reaction = (type: 'ReactionAdded' | 'ReactionRemoved', userId: string): ChatEvent => ({
    type,
    data: { chatId: G, messageId: 'm1', seq: 1, emoji: '👍', userId, at: now },
  });

  it('adds a reaction', () => given([groupCreated(), sent(1)]).when(react('AddReaction', 'bob')).then([reaction('ReactionAdded', 'bob')]));

  it('adds nothing twice', () => given([groupCreated(), sent(1), reaction('ReactionAdded', 'bob')]).when(react('AddReaction', 'bob')).thenNothing());

  it('removes a reaction', () =>
    given([groupCreated(), sent(1), reaction('ReactionAdded', 'bob')]).when(react('RemoveReaction', 'bob')).then([reaction('ReactionRemoved', 'bob')]));

  it('removes nothing that is not there', () => given([groupCreated(), sent(1), reaction('ReactionAdded', 'ann')]).when(react('RemoveReaction', 'bob')).thenNothing());

  it('refuses non-members', () => given([groupCreated(), sent(1)]).when(react('AddReaction', 'eve')).thenThrows('forbidden'));

  it('refuses a deleted message', () =>
    given([groupCreated(), sent(1), { type: 'MessageDeleted', data: { chatId: G, messageId: 'm1', seq: 1, deletedBy: 'ann', at: now } }])
      .when(react('AddReaction', 'bob'))
      .thenThrows('not_found'));

  it('refuses a malformed emoji', () => given([groupCreated(), sent(1)]).when(react('AddReaction', 'bob', 'a b')).thenThrows('bad_request'));
});
