import { badRequest, forbidden, groupFull, notFound } from '../errors.ts';
import { isValidId } from '../ids.ts';
import { MAX_EMOJI_LENGTH, MAX_GROUP_MEMBERS, MAX_GROUP_NAME_LENGTH } from '../limits.ts';
import { assertValidContent, utf8Length } from '../content.ts';
import type { ChatEvent } from '../events.ts';
import type { ActiveChat, ChatState } from './state.ts';
import type { ChatCommand, SendMessage, TargetMessage } from './commands.ts';

const existing = (state: ChatState, chatId: string): ActiveChat => {
  if (state.status !== 'active') throw notFound(`no chat ${chatId}`);
  return state;
};

/** Every write needs membership; a non-member learns nothing more than `forbidden`. */
const asMember = (state: ChatState, chatId: string, userId: string): ActiveChat => {
  const chat = existing(state, chatId);
  if (!chat.members.has(userId)) throw forbidden(`not a member of ${chatId}`);
  return chat;
};

const asGroupAdmin = (state: ChatState, chatId: string, userId: string): ActiveChat => {
  const chat = asMember(state, chatId, userId);
  if (chat.chatType !== 'group') throw badRequest(`${chatId} is not a group`);
  if (chat.members.get(userId) !== 'admin') throw forbidden(`only admins of ${chatId} may do this`);
  return chat;
};

/** The target must exist in this chat and still have content. */
const liveTarget = (chat: ActiveChat, target: TargetMessage) => {
  if (target.seq < 1 || target.seq > chat.lastSeq) throw notFound(`no message ${target.messageId}`);
  if (chat.deleted.has(target.seq)) throw notFound(`message ${target.messageId} was deleted`);
};

const assertIds = (ids: readonly string[], what: string) => {
  for (const id of ids) if (!isValidId(id)) throw badRequest(`invalid ${what}: ${JSON.stringify(id)}`);
};

const assertEmoji = (emoji: string) => {
  if (emoji.length === 0 || utf8Length(emoji) > MAX_EMOJI_LENGTH || /\s/.test(emoji))
    throw badRequest('emoji must be 1 to 32 bytes without whitespace');
};

const decideSend = (command: SendMessage, state: ChatState): ChatEvent[] => {
  const { data, metadata } = command;
  assertIds([data.senderId], 'sender_id');
  assertIds([data.clientMsgId], 'client_msg_id');
  assertValidContent(data.messageType, data.content, data.mediaId);
  const created: ChatEvent[] = [];
  let lastSeq: number;
  if (state.status === 'none' && data.directPeerId !== undefined) {
    assertIds([data.directPeerId], 'receiver_id');
    if (data.directPeerId === data.senderId) throw badRequest('cannot send a direct message to yourself');
    const members = [data.senderId, data.directPeerId].map((userId) => ({ userId, role: 'member' as const }));
    created.push({
      type: 'ChatCreated',
      data: { chatId: data.chatId, chatType: 'direct', name: null, members, createdBy: data.senderId, at: metadata.now },
    });
    lastSeq = 0;
  } else {
    lastSeq = asMember(state, data.chatId, data.senderId).lastSeq;
  }
  if (data.replyTo && (data.replyTo.seq < 1 || data.replyTo.seq > lastSeq))
    throw badRequest(`reply_to ${data.replyTo.messageId} is not a message of this chat`);
  return [
    ...created,
    {
      type: 'MessageSent',
      data: {
        chatId: data.chatId,
        messageId: data.messageId,
        seq: lastSeq + 1,
        senderId: data.senderId,
        clientMsgId: data.clientMsgId,
        messageType: data.messageType,
        content: data.content,
        ...(data.mediaId !== undefined && { mediaId: data.mediaId }),
        ...(data.replyTo !== undefined && { replyTo: data.replyTo.messageId }),
        at: metadata.now,
      },
    },
  ];
};

/** decide(command, state) → events, or a ChatError with the protocol's code. Pure. */
export const decide = (command: ChatCommand, state: ChatState): ChatEvent[] => {
  const at = command.metadata.now;
  switch (command.type) {
    case 'SendMessage':
      return decideSend(command, state);

    case 'CreateGroup': {
      const { chatId, name, creatorId, memberIds } = command.data;
      if (state.status !== 'none') throw badRequest(`chat ${chatId} already exists`);
      assertIds([chatId], 'group id');
      assertIds([creatorId], 'user id');
      assertIds(memberIds, 'member id');
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > MAX_GROUP_NAME_LENGTH)
        throw badRequest(`name must be 1 to ${MAX_GROUP_NAME_LENGTH} characters`);
      const others = [...new Set(memberIds)].filter((id) => id !== creatorId);
      if (others.length + 1 > MAX_GROUP_MEMBERS) throw groupFull(`a group holds at most ${MAX_GROUP_MEMBERS} members`);
      const members = [
        { userId: creatorId, role: 'admin' as const },
        ...others.map((userId) => ({ userId, role: 'member' as const })),
      ];
      return [{ type: 'ChatCreated', data: { chatId, chatType: 'group', name: trimmed, members, createdBy: creatorId, at } }];
    }

    case 'AddMembers': {
      const { chatId, by, userIds } = command.data;
      assertIds(userIds, 'user id');
      const chat = asGroupAdmin(state, chatId, by);
      const fresh = [...new Set(userIds)].filter((id) => !chat.members.has(id));
      if (chat.members.size + fresh.length > MAX_GROUP_MEMBERS)
        throw groupFull(`a group holds at most ${MAX_GROUP_MEMBERS} members`);
      return fresh.map((userId) => ({ type: 'MemberAdded', data: { chatId, userId, role: 'member', addedBy: by, at } }));
    }

    case 'RemoveMember': {
      const { chatId, by, userId } = command.data;
      const chat = by === userId ? asMember(state, chatId, by) : asGroupAdmin(state, chatId, by);
      if (chat.chatType !== 'group') throw badRequest('cannot leave a direct chat');
      if (!chat.members.has(userId)) return []; // already gone: removal is idempotent
      const events: ChatEvent[] = [{ type: 'MemberRemoved', data: { chatId, userId, removedBy: by, at } }];
      const remaining = chat.members.delete(userId);
      const heir = remaining.keySeq().first();
      if (chat.members.get(userId) === 'admin' && heir !== undefined && !remaining.includes('admin'))
        events.push({ type: 'MemberPromoted', data: { chatId, userId: heir, at } });
      return events;
    }

    case 'EditMessage': {
      const { chatId, by, target, content } = command.data;
      const chat = asMember(state, chatId, by);
      liveTarget(chat, target);
      if (target.senderId !== by) throw forbidden('only the sender may edit a message');
      // media_id rules were checked at send and do not change; size and empty text do.
      assertValidContent(target.messageType === 'text' ? 'text' : 'encrypted', content, undefined);
      return [{ type: 'MessageEdited', data: { chatId, messageId: target.messageId, seq: target.seq, content, editedBy: by, at } }];
    }

    case 'DeleteMessage': {
      const { chatId, by, target } = command.data;
      const chat = asMember(state, chatId, by);
      if (target.seq < 1 || target.seq > chat.lastSeq) throw notFound(`no message ${target.messageId}`);
      const isAdmin = chat.chatType === 'group' && chat.members.get(by) === 'admin';
      if (target.senderId !== by && !isAdmin) throw forbidden('only the sender or a group admin may delete a message');
      if (chat.deleted.has(target.seq)) return [];
      return [{ type: 'MessageDeleted', data: { chatId, messageId: target.messageId, seq: target.seq, deletedBy: by, at } }];
    }

    case 'AddReaction':
    case 'RemoveReaction': {
      const { chatId, by, target, emoji } = command.data;
      const chat = asMember(state, chatId, by);
      liveTarget(chat, target);
      assertEmoji(emoji);
      const has = (chat.reactions.getIn([target.seq, emoji]) as { has(u: string): boolean } | undefined)?.has(by) ?? false;
      const adding = command.type === 'AddReaction';
      if (has === adding) return [];
      const data = { chatId, messageId: target.messageId, seq: target.seq, emoji, userId: by, at };
      return [adding ? { type: 'ReactionAdded', data } : { type: 'ReactionRemoved', data }];
    }
  }
};
